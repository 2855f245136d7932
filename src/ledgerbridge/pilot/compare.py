"""Comparing the shadow book with what the old process produced, entry by entry.

Entries are matched by source reference first (the shadow entry's external id
against the reference the old process kept), then by date and amount. A pair
that matched is checked for a different date, different accounts and different
amounts (a one-cent rounding difference included); what matched nothing is
*missing* (the shadow book has it, the old file does not) or *extra* (the old
file has it, the shadow book does not). Totals are compared per account and
month. A reversed entry and its reversal cancel out and are left out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.exports._journal import open_journal
from ledgerbridge.money import Money
from ledgerbridge.pilot.oldbooks import OldEntry
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.store.tables import journal_entries

__all__ = ["Comparison", "Discrepancy", "Kind", "compare", "discrepancy_report",
           "totals_report"]


class Kind(StrEnum):
    """The kinds of discrepancy."""

    MISSING = "missing"
    EXTRA = "extra"
    AMOUNT = "amount differs"
    ACCOUNT = "account differs"
    DATE = "date differs"


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One difference between the shadow book and the old process, with its reason."""

    kind: Kind
    reference: str | None
    date: dt.date | None
    old_date: dt.date | None
    amount: int | None
    old_amount: int | None
    accounts: str
    reason: str
    entry_id: int | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class TotalDifference:
    """An account's total for a month that differs between the two books."""

    period: str
    account: str
    amount: int
    old_amount: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """The whole comparison: discrepancies, differing totals and how many matched."""

    currency: str
    shadow_entity: str
    discrepancies: tuple[Discrepancy, ...]
    totals: tuple[TotalDifference, ...]
    matched: int
    shadow_count: int
    old_count: int


@dataclass(frozen=True, slots=True)
class _New:
    """A shadow entry as compared: net amounts per account."""

    id: int
    date: dt.date
    reference: str | None
    lines: tuple[tuple[str, int], ...]

    @property
    def amount(self) -> int:
        return sum(amount for _, amount in self.lines if amount > 0)


def _entries(ledger: Ledger) -> list[_New]:
    with ledger.engine.connect() as conn:
        cancelled = set(conn.execute(select(journal_entries.c.reverses_id).where(
            journal_entries.c.entity_id == ledger.entity.id,
            journal_entries.c.reverses_id.is_not(None))).scalars())
    found = []
    with open_journal(ledger) as journal:
        for entry in journal.entries:
            if entry.reverses_id is not None or entry.id in cancelled:
                continue
            totals: dict[str, int] = defaultdict(int)
            for line in entry.lines:
                totals[line.account] += line.amount.minor
            lines = tuple(sorted((a, v) for a, v in totals.items() if v))
            found.append(_New(entry.id, entry.date, entry.lineage.external_id, lines))
    return found


def _money(minor: int, currency: str) -> str:
    return Money(minor, currency).text()


def _pair(new: _New, old: OldEntry, currency: str) -> list[Discrepancy]:
    """What differs between a matched pair."""
    found = []

    def add(kind: Kind, accounts: str, reason: str) -> None:
        found.append(Discrepancy(kind, new.reference or old.reference, new.date, old.date,
                                 new.amount, old.amount, accounts, reason, new.id, old.origin))

    if new.date != old.date:
        days = (old.date - new.date).days
        add(Kind.DATE, "", f"the old process dated it {old.date}, {abs(days)} day(s) "
                           f"{'later' if days > 0 else 'earlier'}")
    ours, theirs = dict(new.lines), dict(old.lines)
    only_ours, only_theirs = sorted(ours.keys() - theirs), sorted(theirs.keys() - ours)
    if only_ours or only_theirs:
        add(Kind.ACCOUNT, ", ".join(only_ours + only_theirs),
            f"the shadow book uses {', '.join(only_ours) or 'no other account'}, "
            f"the old process {', '.join(only_theirs) or 'no other account'}")
    changed = [a for a in sorted(ours.keys() & theirs) if ours[a] != theirs[a]]
    if changed or (not (only_ours or only_theirs) and new.amount != old.amount):
        details = "; ".join(
            f"{a}: {_money(ours[a], currency)} here, {_money(theirs[a], currency)} in the old "
            f"file" for a in changed)
        gap = max((abs(ours[a] - theirs[a]) for a in changed), default=0)
        note = " (a rounding difference of one minor unit)" if gap == 1 else ""
        add(Kind.AMOUNT, ", ".join(changed), f"{details}{note}")
    return found


def _match(new: list[_New], old: list[OldEntry]) -> tuple[list[tuple[_New, OldEntry]],
                                                             list[_New], list[OldEntry]]:
    """Pairs by reference (closest date and amount first), then by date and amount."""
    by_ref: dict[str, list[_New]] = defaultdict(list)
    for entry in new:
        if entry.reference:
            by_ref[entry.reference].append(entry)
    taken: set[int] = set()
    pairs, unmatched_old = [], []
    for entry in old:
        pool = [n for n in by_ref.get(entry.reference or "", ()) if n.id not in taken]
        if pool:
            best = min(pool, key=lambda n: (n.date != entry.date, n.amount != entry.amount,
                                            abs((n.date - entry.date).days), n.id))
            taken.add(best.id)
            pairs.append((best, entry))
        else:
            unmatched_old.append(entry)
    by_day: dict[tuple[dt.date, int], list[_New]] = defaultdict(list)
    for entry in new:
        if entry.id not in taken:
            by_day[(entry.date, entry.amount)].append(entry)
    extra = []
    for entry in unmatched_old:
        pool = [n for n in by_day.get((entry.date, entry.amount), ()) if n.id not in taken]
        if pool:
            taken.add(pool[0].id)
            pairs.append((pool[0], entry))
        else:
            extra.append(entry)
    return pairs, [n for n in new if n.id not in taken], extra


def _totals(lines: Iterable[tuple[dt.date, str, int]]) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for day, account, amount in lines:
        totals[(f"{day:%Y-%m}", account)] += amount
    return totals


def compare(shadow: Ledger, old: list[OldEntry]) -> Comparison:
    """Compare the shadow book's entries with the old process's, entry by entry and in total."""
    currency = shadow.entity.functional_currency
    new = _entries(shadow)
    pairs, missing, extra = _match(new, old)
    found: list[Discrepancy] = []
    for entry in missing:
        found.append(Discrepancy(Kind.MISSING, entry.reference, entry.date, None, entry.amount,
                                 None, ", ".join(a for a, _ in entry.lines),
                                 "in the shadow book, not in the old file", entry.id))
    for item in extra:
        found.append(Discrepancy(Kind.EXTRA, item.reference, None, item.date, None, item.amount,
                                 ", ".join(a for a, _ in item.lines),
                                 "in the old file, not in the shadow book", None, item.origin))
    for new_entry, old_entry in pairs:
        found.extend(_pair(new_entry, old_entry, currency))
    found.sort(key=lambda d: (d.date or d.old_date, d.reference or "", d.kind.value))
    ours = _totals((e.date, a, v) for e in new for a, v in e.lines)
    theirs = _totals((e.date, a, v) for e in old for a, v in e.lines)
    totals = tuple(TotalDifference(period, account, ours.get((period, account), 0),
                                   theirs.get((period, account), 0))
                   for period, account in sorted(ours.keys() | theirs.keys())
                   if ours.get((period, account), 0) != theirs.get((period, account), 0))
    return Comparison(currency, shadow.entity.code, tuple(found), totals, len(pairs), len(new),
                      len(old))


def _summary(comparison: Comparison) -> dict[str, object]:
    counts = {kind.value: 0 for kind in Kind}
    for item in comparison.discrepancies:
        counts[item.kind.value] += 1
    return {"shadow_entity": comparison.shadow_entity, "matched": comparison.matched,
            "shadow_entries": comparison.shadow_count, "old_entries": comparison.old_count,
            "counts": counts, "totals_differing": len(comparison.totals)}


def discrepancy_report(comparison: Comparison) -> Report:
    """The entry-by-entry discrepancies as a report."""
    rows = [{"kind": d.kind.value, "reference": d.reference, "date": d.date,
             "old_date": d.old_date, "amount": d.amount, "old_amount": d.old_amount,
             "accounts": d.accounts, "reason": d.reason, "entry_id": d.entry_id,
             "origin": d.origin} for d in comparison.discrepancies]
    return Report(
        title="Pilot comparison: discrepancies",
        subtitle=(f"{comparison.shadow_entity}: {comparison.matched} matched, "
                  f"{len(rows)} discrepancies, {len(comparison.totals)} account-month totals "
                  "differ"),
        columns=(Column("kind", "Kind"), Column("reference", "Reference"),
                 Column("date", "Date", ColumnKind.DATE),
                 Column("old_date", "Old date", ColumnKind.DATE),
                 Column("amount", "Amount", ColumnKind.MONEY),
                 Column("old_amount", "Old amount", ColumnKind.MONEY),
                 Column("accounts", "Accounts"), Column("reason", "Reason"),
                 Column("entry_id", "Entry", ColumnKind.INT, table=False),
                 Column("origin", "Old file", table=False)),
        rows=rows, currency=comparison.currency, meta=_summary(comparison),
        rows_key="discrepancies")


def totals_report(comparison: Comparison) -> Report:
    """Account totals per month that differ between the two books."""
    rows = [{"period": t.period, "account": t.account, "amount": t.amount,
             "old_amount": t.old_amount, "difference": t.amount - t.old_amount}
            for t in comparison.totals]
    return Report(
        title="Pilot comparison: totals per account and month",
        subtitle=f"{comparison.shadow_entity}: {len(rows)} account-month totals differ",
        columns=(Column("period", "Month"), Column("account", "Account"),
                 Column("amount", "Shadow book", ColumnKind.MONEY),
                 Column("old_amount", "Old process", ColumnKind.MONEY),
                 Column("difference", "Difference", ColumnKind.MONEY)),
        rows=rows, currency=comparison.currency, meta=_summary(comparison),
        rows_key="account_months")
