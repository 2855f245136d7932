"""The ledger's own history as training data, and the bank lines still to code.

A bank line teaches the categorizer once a reconciliation accepted it: the account
is the largest line, other than the bank's own, of the entry that settled it (the
entry a bank rule or a coding posted, or the book entry it was matched with).
Lines that settled an open item (a receivable, payable or transit line) are left
out: reconciliation matches those, and coding one to such an account would leave
the item open beside an unapplied amount.
A bill teaches through its posted cost lines: each line's memo (its description)
with the bill's vendor as counterparty, to the account it was booked to.
Both teach the tax code the line that gave the account carries (none when it has none).
Reversed entries teach nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from ledgerbridge.intelligence.categorize.features import Transaction
from ledgerbridge.ledger import Ledger
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    documents,
    journal_entries,
    journal_lines,
    reconciliation_links,
    reconciliations,
)

# The accounts whose lines reconciliation settles as open items: matched, never coded.
OPEN_ITEM_SUBTYPES = ("receivable", "payable", "transit")

__all__ = ["OpenLine", "TrainingSet", "bank_transaction", "open_lines", "training_set"]


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """Past transactions, the accounts, vendors and tax codes they were coded to, and sources.

    A source is ``bank:<bank line id>`` or ``bill:<journal line id>``.
    """

    txns: tuple[Transaction, ...]
    accounts: tuple[str, ...]
    parties: tuple[str | None, ...]
    sources: tuple[str, ...]
    tax_codes: tuple[str | None, ...] = ()


@dataclass(frozen=True, slots=True)
class OpenLine:
    """An unreconciled bank line, with the code of the bank account it is on."""

    id: int
    bank_account: str
    txn: Transaction


def bank_transaction(row) -> Transaction:  # noqa: ANN001 - a bank_lines row
    """A bank line as the categorizer sees it."""
    return Transaction(text=row.description or "", counterparty=row.counterparty,
                       amount=row.amount, currency=row.currency, date=row.booking_date,
                       mcc=row.mcc, code=row.kind, category=row.category_code)


def _settled_by(conn: Connection, ledger: Ledger) -> dict[int, int]:
    """Bank line id -> the entry that explains it, for accepted reconciliations."""
    link = reconciliation_links.alias("item")
    posted = select(reconciliation_links.c.bank_line_id, reconciliations.c.entry_id).join(
        reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id
    ).where(reconciliations.c.entity_id == ledger.entity.id,
            reconciliations.c.status == "accepted",
            reconciliations.c.entry_id.is_not(None),
            reconciliation_links.c.bank_line_id.is_not(None))
    matched = select(reconciliation_links.c.bank_line_id, func.min(journal_lines.c.entry_id)).join(
        reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id
    ).join(link, link.c.reconciliation_id == reconciliations.c.id).join(
        journal_lines, journal_lines.c.id == link.c.journal_line_id
    ).where(reconciliations.c.entity_id == ledger.entity.id,
            reconciliations.c.status == "accepted",
            reconciliations.c.entry_id.is_(None),
            reconciliation_links.c.bank_line_id.is_not(None)
            ).group_by(reconciliation_links.c.bank_line_id)
    found = dict(conn.execute(matched).all())
    found.update(conn.execute(posted).all())
    return found


def _bill_lines(conn: Connection, ledger: Ledger, reversed_ids: set[int]
                ) -> list[tuple[Transaction, str, str | None, str, str | None]]:
    """The cost lines of current bills' entries, with the bill's vendor and the tax code."""
    rows = conn.execute(select(
        journal_lines.c.id, journal_lines.c.entry_id, journal_lines.c.date,
        journal_lines.c.original_amount, journal_lines.c.currency, journal_lines.c.memo,
        journal_lines.c.party, journal_lines.c.tax_code, accounts.c.code,
        accounts.c.subtype).join(
        accounts, accounts.c.id == journal_lines.c.account_id).join(
        documents, documents.c.entry_id == journal_lines.c.entry_id).where(
        journal_lines.c.entity_id == ledger.entity.id, documents.c.type == "bill",
        documents.c.status == "current").order_by(journal_lines.c.id))
    by_entry: dict[int, list] = {}
    for r in rows:
        if r.entry_id not in reversed_ids:
            by_entry.setdefault(r.entry_id, []).append(r)
    out = []
    for lines in by_entry.values():
        vendor = next((r.party for r in lines if r.subtype == "payable"), None)
        out += [(Transaction(text=r.memo or "", counterparty=vendor, amount=-r.original_amount,
                             currency=r.currency, date=r.date), r.code, vendor, f"bill:{r.id}",
                 r.tax_code)
                for r in lines if r.subtype not in ("payable", "tax") and r.original_amount > 0]
    return out


def training_set(conn: Connection, ledger: Ledger) -> TrainingSet:
    """Every coded bank line and bill line of the entity, oldest first, with account and vendor."""
    settled = _settled_by(conn, ledger)
    reversed_ids = {r for (r,) in conn.execute(select(journal_entries.c.reverses_id).where(
        journal_entries.c.entity_id == ledger.entity.id,
        journal_entries.c.reverses_id.is_not(None)))}
    entry_ids = sorted(set(settled.values()) - reversed_ids)
    # size, code, party, subtype, tax code
    best: dict[int, tuple[int, str, str | None, str | None, str | None]] = {}
    lines_of = select(journal_lines.c.entry_id, journal_lines.c.account_id,
                      journal_lines.c.amount, journal_lines.c.party, accounts.c.code,
                      accounts.c.subtype, journal_lines.c.tax_code).join(accounts,
                                                accounts.c.id == journal_lines.c.account_id)
    for chunk in range(0, len(entry_ids), 5000):
        rows = conn.execute(lines_of.where(
            journal_lines.c.entry_id.in_(entry_ids[chunk:chunk + 5000])
        ).order_by(journal_lines.c.entry_id, journal_lines.c.line_no))
        for r in rows:
            if r.subtype != "bank" and abs(r.amount) > best.get(r.entry_id, (-1,))[0]:
                best[r.entry_id] = (abs(r.amount), r.code, r.party, r.subtype, r.tax_code)
    wanted = sorted(k for k, e in settled.items()
                    if e in best and best[e][3] not in OPEN_ITEM_SUBTYPES)
    found = _bill_lines(conn, ledger, reversed_ids)
    for chunk in range(0, len(wanted), 5000):
        rows = conn.execute(select(bank_lines).where(
            bank_lines.c.id.in_(wanted[chunk:chunk + 5000])))
        for row in rows:
            _, account, party, _, tax_code = best[settled[row.id]]
            found.append((bank_transaction(row), account, party, f"bank:{row.id}", tax_code))
    found.sort(key=lambda f: (f[0].date, f[3]))
    return TrainingSet(tuple(f[0] for f in found), tuple(f[1] for f in found),
                       tuple(f[2] for f in found), tuple(f[3] for f in found),
                       tuple(f[4] for f in found))


def open_lines(conn: Connection, ledger: Ledger, *, bank_account: str | None = None,
               line_ids: list[int] | None = None) -> list[OpenLine]:
    """Unreconciled, booked (not pending) bank lines, oldest first."""
    query = select(bank_lines, accounts.c.code.label("bank_code")).join(
        accounts, accounts.c.id == bank_lines.c.account_id).where(
        bank_lines.c.entity_id == ledger.entity.id,
        bank_lines.c.status == "unreconciled", bank_lines.c.pending.is_(False))
    if bank_account is not None:
        query = query.where(accounts.c.code == bank_account)
    if line_ids is not None:
        query = query.where(bank_lines.c.id.in_(line_ids))
    rows = conn.execute(query.order_by(bank_lines.c.booking_date, bank_lines.c.id))
    return [OpenLine(r.id, r.bank_code, bank_transaction(r)) for r in rows]
