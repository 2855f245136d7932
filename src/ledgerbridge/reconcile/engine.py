"""Run reconciliation over a bank account and decide on its proposals.

``run`` replaces the account's open proposals with fresh ones (so running it twice
leaves one set), accepts the confident ones and posts their settling entries in
bulk, all in one transaction. ``accept``, ``reject`` and ``undo`` act on one
reconciliation; calling one twice is harmless, and a decision that contradicts an
earlier one is refused with a ``ReconcileError`` saying why.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from sqlalchemy import Connection, delete, func, select, update

from ledgerbridge.ledger import Entry, Ledger, LedgerError, Line, Lineage, PeriodStatus
from ledgerbridge.mapping import load_rules
from ledgerbridge.money import Money, MoneyError, format_minor, parse_minor
from ledgerbridge.reconcile.candidates import BankLine, Item, bank_account_id, load, open_item
from ledgerbridge.reconcile.foreign import relief, settling_line
from ledgerbridge.reconcile.rules import (
    AmountRule,
    BankRule,
    read_originals,
    rule_for,
    with_tax,
)
from ledgerbridge.reconcile.score import MARGIN, FeePolicy, Proposal, propose
from ledgerbridge.reconcile.writeback import queue_invoice_writebacks
from ledgerbridge.store.bulk import insert_rows, reserve_ids, take_write_lock
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    journal_entries,
    journal_lines,
    reconciliation_links,
    reconciliations,
)

__all__ = ["ReconcileError", "RunResult", "accept", "book_lines", "reject", "run", "undo"]

_HEAD_COLUMNS = ("id", "entity_id", "account_id", "status", "kind", "confidence", "reasons",
                 "fee", "entry_id", "decided_at")
_LINK_COLUMNS = ("reconciliation_id", "bank_line_id", "journal_line_id", "amount",
                 "original_amount")
_CHUNK = 5000  # ids per IN list, well below SQLite's limit on bound parameters


class ReconcileError(LedgerError):
    """A reconciliation decision refused, with the reason."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run did: lines looked at, proposals stored, lines matched automatically."""

    bank_lines: int
    proposals: int
    auto_accepted: int
    suggested: int
    unmatched: int
    entries_posted: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    by_rule: int = 0  # of the automatic ones, lines booked by a bank rule


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a run.

    A run holds hundreds of thousands of small acyclic objects (lines, items,
    proposals, entries); the collector's repeated passes over them cost a quarter
    of the run and free nothing. Reference counting still frees them as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _lock(conn: Connection, account_id: int) -> None:
    """One reconciliation writer per bank account at a time."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(70421, %s)", (account_id,))
    else:
        take_write_lock(conn)


def _now(conn: Connection) -> dt.datetime | str:
    now = dt.datetime.now(dt.UTC)
    if conn.dialect.name == "sqlite":
        return now.strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


@cache
def _mapping_fx_account() -> str | None:
    """The default mapping's ``fx_gain_loss`` account (4920 in the standard chart)."""
    return load_rules(None).config.accounts["fx_gain_loss"]


def _difference_lines(currency: str, fee: int, fee_account: str, fx: int,
                      fx_account: str | None) -> list[Line]:
    """The bank fee and the realized exchange difference of a settlement, if any."""
    lines = []
    if fee:
        lines.append(Line(fee_account, Money(fee, currency), memo="bank fee"))
    if fx:
        if fx_account is None:
            raise ReconcileError("the mapping sets no fx_gain_loss account for the exchange "
                                 "difference")
        lines.append(Line(fx_account, Money(-fx, currency),
                          memo="realized exchange difference"))
    return lines


def _settling_lines(bank_code: str, proposal: Proposal, currency: str,
                    fees: FeePolicy) -> tuple[Line, ...]:
    bank = proposal.bank
    lines = [Line(bank_code, Money(bank.amount, currency))]
    if proposal.rule is not None:
        return (*lines, *proposal.rule.lines_for(bank.amount, currency, bank.description))
    lines += [settling_line(i.account, proposal.settles(i), currency, party=i.party,
                            memo=i.label, part=_part_money(proposal, i))
              for i in proposal.items]
    fx = proposal.exchange_difference
    if proposal.fee or fx:
        lines += _difference_lines(currency, proposal.fee, fees.account, fx,
                                   fees.fx_account or _mapping_fx_account())
    return tuple(lines)


def _part_money(proposal: Proposal, item: Item) -> Money | None:
    part = proposal.part_of(item)
    return None if part is None else Money(part, item.currency)


def _claims_fit(auto: list[Proposal]) -> list[Proposal]:
    """Automatic matches whose items no other one claims, but for part payments.

    Several lines may each pay part of one item, as long as together they pay no
    more than is open on it (in its own currency, for a foreign item).
    """
    claims: dict[int, list[Proposal]] = defaultdict(list)
    items: dict[int, Item] = {}
    for p in auto:
        for i in p.items:
            claims[i.line_id].append(p)
            items[i.line_id] = i
    refused: set[int] = set()
    for line_id, mine in claims.items():
        if len(mine) > 1:
            item = items[line_id]
            paid = sum((p.part_of(item) or 0) if item.foreign else p.settles(item) for p in mine)
            if not (all(p.kind == "partial" for p in mine)
                    and abs(paid) <= abs(item.open_original)):
                refused.update(id(p) for p in mine)
    return [p for p in auto if id(p) not in refused] if refused else auto


def _relieve_in_turn(auto: list[Proposal]) -> None:
    """Parts of one foreign item accepted in one run: each relieves what the earlier left.

    Scoring relieved each part from the item's open state before the run; taken in
    turn, the part that settles the rest relieves all that is left.
    """
    left: dict[int, tuple[int, int]] = {}
    for p in auto:
        if p.relieved is None or p.part is None:
            continue
        item = p.items[0]
        open_, open_original = left.get(item.line_id, (item.open, item.open_original))
        p.relieved = relief(open_, open_original, p.part)
        left[item.line_id] = (open_ - p.relieved, open_original - p.part)


def _automatic(props: list[Proposal], threshold: int) -> bool:
    best = props[0]
    unique = len(props) == 1 or props[1].confidence <= best.confidence - MARGIN
    return best.evidence and unique and best.confidence >= threshold


def _outside_shut_periods(auto: list[Proposal], shut: dict[str, PeriodStatus]
                          ) -> list[Proposal]:
    """Automatic matches that can post; the others stay proposals, saying why."""
    if not shut:
        return auto
    kept = []
    for p in auto:
        period = p.bank.date.strftime("%Y-%m")
        status = shut.get(period)
        if status is None or p.kind == "book":
            kept.append(p)
        else:
            p.reasons.append(f"not accepted automatically: period {period} is {status.value}")
    return kept


def _check_chart(conn: Connection, ledger: Ledger, rules: Iterable[BankRule]) -> None:
    """Refuse bank rules that name an account which is not an active one of the chart."""
    chart = {a.code for a in ledger.accounts(conn=conn) if a.active}
    named = {r.account for r in rules} | {r.tax_account for r in rules if r.tax_account}
    unknown = sorted(named - chart)
    if unknown:
        raise ReconcileError(f"bank rules name account {unknown[0]!r}, which is not an "
                             "active account of the chart")


def _rule_proposal(bank: BankLine, rule: BankRule) -> Proposal:
    """Booking ``bank`` by ``rule``: a proposal of kind ``rule``, sure and unique."""
    return Proposal(bank, "rule", [], 0, 100, [f"bank rule {rule.label}"], True, False, rule)


def _apply_rules(conn: Connection, ledger: Ledger, rules: Sequence[BankRule],
                 per_line: list[tuple[BankLine, list[Proposal]]]) -> None:
    """Give each line nothing matched the first bank rule that applies to it."""
    if not rules:
        return
    rules = with_tax(conn, ledger, rules)
    _check_chart(conn, ledger, rules)
    for k, (bank, props) in enumerate(per_line):
        rule = None if props else rule_for(rules, bank)
        if rule is not None:
            per_line[k] = (bank, [_rule_proposal(bank, rule)])


def run(ledger: Ledger, *, account: str = "1010", auto_threshold: int = 90,
        fees: FeePolicy | None = None, rules: Sequence[BankRule] = (),
        amounts: Sequence[AmountRule] = ()) -> RunResult:
    """Propose matches for every unreconciled line of bank account ``account``.

    Each line keeps its best candidate and up to three alternatives as proposals;
    the best is accepted automatically when its confidence reaches
    ``auto_threshold``, its evidence suffices, it is clearly ahead of the
    alternatives and no other line's automatic match claims the same items. A
    line nothing matched is booked by the first of ``rules`` that applies to it.
    ``amounts`` read what the payer sent from the text of lines whose bank did
    not state it, before matching.
    """
    # The run's objects are all freed when _run returns, before the collector
    # resumes: its first pass then has little to look at.
    with _collector_paused():
        return _run(ledger, account, auto_threshold, fees or FeePolicy(), rules, amounts)


def _run(ledger: Ledger, account: str, auto_threshold: int, fees: FeePolicy,
         rules: Sequence[BankRule], amounts: Sequence[AmountRule]) -> RunResult:
    with ledger.engine.begin() as conn:
        account_id = bank_account_id(conn, ledger, account)
        _lock(conn, account_id)
        stale = select(reconciliations.c.id).where(
            reconciliations.c.account_id == account_id, reconciliations.c.status == "proposed")
        conn.execute(delete(reconciliation_links).where(
            reconciliation_links.c.reconciliation_id.in_(stale)))
        conn.execute(delete(reconciliations).where(
            reconciliations.c.account_id == account_id, reconciliations.c.status == "proposed"))
        clock = time.perf_counter()
        cands = load(conn, ledger, account_id)
        read_originals(amounts, cands.bank)
        timings = {"load": time.perf_counter() - clock}
        clock = time.perf_counter()
        per_line = [(bank, propose(bank, cands, fees)) for bank in cands.bank]
        _apply_rules(conn, ledger, rules, per_line)
        timings["match"] = time.perf_counter() - clock
        clock = time.perf_counter()
        auto = [props[0] for _, props in per_line
                if props and _automatic(props, auto_threshold)]
        auto = _claims_fit(auto)
        auto = _outside_shut_periods(auto, ledger.periods(conn=conn))
        _relieve_in_turn(auto)
        result = _record(conn, ledger, account, account_id, fees, per_line, auto, timings, clock)
        clock = time.perf_counter()
    timings["commit"] = time.perf_counter() - clock
    return result


def _record(conn: Connection, ledger: Ledger, account: str, account_id: int, fees: FeePolicy,
            per_line: list[tuple[BankLine, list[Proposal]]], auto: list[Proposal],
            timings: dict[str, float], clock: float) -> RunResult:
    """Post the automatic matches, store every proposal and mark the matched lines.

    A line's automatic match is stored alone; a line without one keeps all its
    proposals. ``clock`` is when the posting phase began; the caller's
    transaction commits after this returns.
    """
    chosen = {id(p) for p in auto}
    stored = [p for _, props in per_line
              for p in (props[:1] if props and id(props[0]) in chosen else props)]
    ids = reserve_ids(conn, reconciliations, len(stored))
    rid = {id(p): i for p, i in zip(stored, ids, strict=True)}
    settling = [p for p in auto if p.kind != "book"]
    entries = _post(conn, ledger, account, settling, rid, fees)
    timings["post"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _store(conn, ledger, account_id, stored, rid, chosen, entries)
    if auto:
        _mark_reconciled(conn, account_id, ids[0], ids[-1])
    queue_invoice_writebacks(conn, (i.line_id for p in settling for i in p.items))
    timings["store"] = time.perf_counter() - clock
    with_props = sum(1 for _, props in per_line if props)
    return RunResult(
        bank_lines=len(per_line), proposals=len(stored), auto_accepted=len(auto),
        suggested=with_props - len(auto), unmatched=len(per_line) - with_props,
        entries_posted=len(entries), timings=timings,
        by_rule=sum(1 for p in auto if p.kind == "rule"),
    )


def book_lines(ledger: Ledger, rule_by_line: Mapping[int, BankRule], *,
               account: str = "1010", fees: FeePolicy | None = None) -> RunResult:
    """Book each given line of bank account ``account`` by its own bank rule, no other line.

    For these lines it does what ``run`` does when each one's rule is the first
    that applies to it: a line some candidate matches gets its match proposals
    (none accepted) instead of the booking; a line in a closed or locked period
    keeps a rule proposal saying why; every other line is booked with the entry,
    lineage, reconciliation (kind ``rule``) and undo of a bank rule. The lines'
    earlier proposals are replaced. No other line is looked at and no other
    match is accepted, so the cost grows with the lines given, not with their
    product with the account's open lines. A line that is not an open, booked
    line of ``account`` in the functional currency raises ReconcileError.
    """
    with _collector_paused():
        return _book_lines(ledger, dict(rule_by_line), account, fees or FeePolicy())


def _book_lines(ledger: Ledger, rules: dict[int, BankRule], account: str,
                fees: FeePolicy) -> RunResult:
    with ledger.engine.begin() as conn:
        account_id = bank_account_id(conn, ledger, account)
        _lock(conn, account_id)
        rules = dict(zip(rules, with_tax(conn, ledger, rules.values()), strict=True))
        _check_chart(conn, ledger, rules.values())
        clock = time.perf_counter()
        cands = load(conn, ledger, account_id)
        wanted = [b for b in cands.bank if b.id in rules]
        missing = sorted(set(rules) - {b.id for b in wanted})
        if missing:
            raise ReconcileError(f"bank line {missing[0]} is not an open, booked "
                                 f"{ledger.entity.functional_currency} line of account "
                                 f"{account}")
        _drop_proposals(conn, account_id, [b.id for b in wanted])
        timings = {"load": time.perf_counter() - clock}
        clock = time.perf_counter()
        per_line = [(bank, propose(bank, cands, fees) or [_rule_proposal(bank, rules[bank.id])])
                    for bank in wanted]
        timings["match"] = time.perf_counter() - clock
        clock = time.perf_counter()
        auto = [props[0] for _, props in per_line if props[0].kind == "rule"]
        auto = _outside_shut_periods(auto, ledger.periods(conn=conn))
        result = _record(conn, ledger, account, account_id, fees, per_line, auto, timings, clock)
        clock = time.perf_counter()
    timings["commit"] = time.perf_counter() - clock
    return result


def _drop_proposals(conn: Connection, account_id: int, line_ids: list[int]) -> None:
    """Delete the open proposals of these bank lines, and only theirs."""
    for start in range(0, len(line_ids), _CHUNK):
        stale = [r for (r,) in conn.execute(select(reconciliations.c.id).join(
            reconciliation_links,
            reconciliation_links.c.reconciliation_id == reconciliations.c.id).where(
            reconciliations.c.account_id == account_id, reconciliations.c.status == "proposed",
            reconciliation_links.c.bank_line_id.in_(line_ids[start:start + _CHUNK])))]
        if stale:
            conn.execute(delete(reconciliation_links).where(
                reconciliation_links.c.reconciliation_id.in_(stale)))
            conn.execute(delete(reconciliations).where(reconciliations.c.id.in_(stale)))


def _post(conn: Connection, ledger: Ledger, account: str, settling: list[Proposal],
          rid: dict[int, int], fees: FeePolicy) -> dict[int, int]:
    """Post the settling entries of automatic matches; entry ids by reconciliation id."""
    if not settling:
        return {}
    currency = ledger.entity.functional_currency
    result = ledger.post_many((
        Entry(date=p.bank.date, lines=_settling_lines(account, p, currency, fees),
              memo=f"Bank reconciliation {rid[id(p)]}: {p.bank.description}"[:500],
              lineage=Lineage(object_type="bank_line", external_id=str(p.bank.id)))
        for p in settling), conn=conn)
    if not result.posted:
        return {}
    by_line = {str(p.bank.id): rid[id(p)] for p in settling}
    posted = conn.execute(select(journal_entries.c.external_id, journal_entries.c.id).where(
        journal_entries.c.entity_id == ledger.entity.id,
        journal_entries.c.object_type == "bank_line",
        journal_entries.c.id.between(result.first_id, result.last_id)))
    return {by_line[k]: e for k, e in posted if k in by_line}


def _store(conn: Connection, ledger: Ledger, account_id: int, stored: list[Proposal],
           rid: dict[int, int], chosen: set[int], entries: dict[int, int]) -> None:
    """Insert the run's reconciliations and their links, accepted or proposed."""
    now = _now(conn)
    entity_id = ledger.entity.id
    heads, links = [], []
    for p in stored:
        r = rid[id(p)]
        accepted = id(p) in chosen
        heads.append((r, entity_id, account_id, "accepted" if accepted else "proposed",
                      p.kind, p.confidence, "; ".join(p.reasons), p.fee,
                      entries.get(r), now if accepted else None))
        links.append((r, p.bank.id, None, p.bank.amount, None))
        links += [(r, None, i.line_id, p.settles(i), p.part_of(i)) for i in p.items]
    insert_rows(conn, reconciliations, _HEAD_COLUMNS, heads)
    insert_rows(conn, reconciliation_links, _LINK_COLUMNS, links)


def _mark_reconciled(conn: Connection, account_id: int, first: int, last: int) -> None:
    """Mark reconciled the bank lines of the run's accepted reconciliations.

    The run's reconciliations have ids ``first``..``last``: the statement reads
    only those, however long the account's history.
    """
    matched = select(reconciliation_links.c.bank_line_id).join(
        reconciliations,
        reconciliations.c.id == reconciliation_links.c.reconciliation_id,
    ).where(reconciliations.c.id.between(first, last),
            reconciliations.c.account_id == account_id,
            reconciliations.c.status == "accepted",
            reconciliation_links.c.bank_line_id.is_not(None))
    conn.execute(update(bank_lines).where(
        bank_lines.c.account_id == account_id, bank_lines.c.status == "unreconciled",
        bank_lines.c.id.in_(matched)).values(status="reconciled"))


def _head(conn: Connection, ledger: Ledger, reconciliation_id: int):  # noqa: ANN202 - a row
    query = select(reconciliations).where(reconciliations.c.id == reconciliation_id,
                                          reconciliations.c.entity_id == ledger.entity.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    else:
        take_write_lock(conn)
    row = conn.execute(query).first()
    if row is None:
        raise ReconcileError(f"no reconciliation {reconciliation_id} in entity "
                             f"{ledger.entity.code!r}")
    return row


def _links(conn: Connection, reconciliation_id: int) -> list:
    return list(conn.execute(select(reconciliation_links).where(
        reconciliation_links.c.reconciliation_id == reconciliation_id)))


def accept(ledger: Ledger, reconciliation_id: int, *, fee_account: str = "6650",
           fx_account: str | None = None, original: str | Decimal | None = None
           ) -> int | None:
    """Accept a proposal: post its settling entry and mark its bank lines reconciled.

    ``original`` is how much of a foreign item's own currency the bank line paid
    (decimal text such as "400.00"), for a part payment whose line does not say;
    it overrides what the line says. Returns the settling entry's id (None for a
    match with a line already in the book). Accepting an accepted reconciliation
    returns the same id again.
    """
    with ledger.engine.begin() as conn:
        head = _head(conn, ledger, reconciliation_id)
        if head.status == "accepted":
            return head.entry_id
        if head.status != "proposed":
            raise ReconcileError(f"reconciliation {reconciliation_id} is {head.status}; "
                                 "only a proposal can be accepted (run again for a new one)")
        if head.kind == "rule":
            raise ReconcileError(f"reconciliation {reconciliation_id} is a bank rule's; "
                                 "`reconcile run --rules` books it once its period is open")
        _lock(conn, head.account_id)
        links = _links(conn, reconciliation_id)
        bank_ids = [lk.bank_line_id for lk in links if lk.bank_line_id is not None]
        line_links = {lk.journal_line_id: lk.amount for lk in links
                      if lk.journal_line_id is not None}
        banks = list(conn.execute(select(bank_lines).where(bank_lines.c.id.in_(bank_ids))))
        for b in banks:
            if b.status != "unreconciled":
                raise ReconcileError(f"bank line {b.id} is {b.status}, not unreconciled")
        parts = {} if head.kind == "book" else _foreign_parts(
            conn, ledger, head, links, original)
        line_links.update({line_id: amount for line_id, (amount, _) in parts.items()})
        _check_open(conn, line_links)
        entry_id = None
        if head.kind != "book":
            entry_id = _post_settling(conn, ledger, head, banks, line_links, parts,
                                      fee_account, fx_account or _mapping_fx_account())
        conn.execute(update(reconciliations).where(
            reconciliations.c.id == reconciliation_id).values(
            status="accepted", entry_id=entry_id, decided_at=func.now()))
        conn.execute(update(bank_lines).where(bank_lines.c.id.in_(bank_ids)).values(
            status="reconciled"))
        queue_invoice_writebacks(conn, line_links)
        siblings = select(reconciliation_links.c.reconciliation_id).join(
            reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id
        ).where(reconciliations.c.status == "proposed",
                reconciliation_links.c.bank_line_id.in_(bank_ids))
        doomed = [r for (r,) in conn.execute(siblings)]
        if doomed:
            conn.execute(delete(reconciliation_links).where(
                reconciliation_links.c.reconciliation_id.in_(doomed)))
            conn.execute(delete(reconciliations).where(reconciliations.c.id.in_(doomed)))
        return entry_id


def _check_open(conn: Connection, line_links: dict[int, int]) -> None:
    """Refuse links that would settle more of a journal line than it holds."""
    if not line_links:
        return
    amounts = dict(conn.execute(select(journal_lines.c.id, journal_lines.c.amount).where(
        journal_lines.c.id.in_(list(line_links)))).all())
    linked = dict(conn.execute(
        select(reconciliation_links.c.journal_line_id, func.sum(reconciliation_links.c.amount))
        .join(reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id)
        .where(reconciliations.c.status == "accepted",
               reconciliation_links.c.journal_line_id.in_(list(line_links)))
        .group_by(reconciliation_links.c.journal_line_id)).all())
    for line_id, amount in line_links.items():
        total = amounts.get(line_id)
        if total is None:
            raise ReconcileError(f"journal line {line_id} no longer exists")
        done = int(linked.get(line_id) or 0)
        if abs(done + amount) > abs(total) or (done + amount) * total < 0:
            raise ReconcileError(f"journal line {line_id} is already settled by another "
                                 "reconciliation")


def _foreign_parts(conn: Connection, ledger: Ledger, head, links: list,  # noqa: ANN001
                   original: str | Decimal | None) -> dict[int, tuple[int, Money]]:
    """For each foreign item a proposal links: the functional amount relieved and the part.

    The part is what the user gives, else what the proposal recorded, else (a
    full settlement) all that is open; it is relieved from the item's open state
    now, and the proposal's links are brought up to date with it.
    """
    functional = ledger.entity.functional_currency
    item_links = [lk for lk in links if lk.journal_line_id is not None]
    currencies = dict(conn.execute(select(journal_lines.c.id, journal_lines.c.currency).where(
        journal_lines.c.id.in_([lk.journal_line_id for lk in item_links] or [-1]))).all())
    foreign = [lk for lk in item_links if currencies.get(lk.journal_line_id) != functional]
    rid = head.id
    if original is not None and (len(item_links) != 1 or not foreign):
        raise ReconcileError(f"reconciliation {rid} does not settle exactly one item in "
                             "another currency; an original amount does not apply to it")
    found = {}
    for link in foreign:
        item = open_item(conn, ledger, link.journal_line_id)
        if item is None:
            raise ReconcileError(f"journal line {link.journal_line_id} is already settled by "
                                 "another reconciliation")
        sign = 1 if item.open_original > 0 else -1
        if original is not None:
            try:
                part = sign * abs(parse_minor(original, item.currency))
            except MoneyError as exc:
                raise ReconcileError(f"reconciliation {rid}: original amount: {exc}") from None
        elif link.original_amount is not None:
            part = link.original_amount
        elif head.kind == "partial":
            raise ReconcileError(
                f"reconciliation {rid} pays part of {item.label}, booked in {item.currency}; "
                f"give the {item.currency} amount the bank line paid")
        else:
            part = item.open_original
        if part * sign <= 0 or abs(part) > abs(item.open_original):
            given, left = (format_minor(abs(v), item.currency) for v in (part, item.open_original))
            raise ReconcileError(f"reconciliation {rid}: {given} {item.currency} is not a part "
                                 f"of the {left} {item.currency} open on {item.label}")
        found[link.journal_line_id] = (item.relief(part), Money(part, item.currency))
        conn.execute(update(reconciliation_links).where(
            reconciliation_links.c.id == link.id).values(
            amount=found[link.journal_line_id][0], original_amount=part))
    return found


def _post_settling(conn: Connection, ledger: Ledger, head, banks: list,  # noqa: ANN001
                   line_links: dict[int, int], parts: dict[int, tuple[int, Money]],
                   fee_account: str, fx_account: str | None) -> int:
    currency = ledger.entity.functional_currency
    bank_code = conn.execute(select(accounts.c.code).where(
        accounts.c.id == head.account_id)).scalar_one()
    items = conn.execute(select(journal_lines.c.id, journal_lines.c.party, journal_lines.c.memo,
                                accounts.c.code).join(
        accounts, accounts.c.id == journal_lines.c.account_id).where(
        journal_lines.c.id.in_(list(line_links))).order_by(journal_lines.c.id))
    lines = [Line(bank_code, Money(b.amount, currency)) for b in banks]
    lines += [settling_line(r.code, line_links[r.id], currency, party=r.party, memo=r.memo,
                            part=parts[r.id][1] if r.id in parts else None)
              for r in items]
    short = sum(line_links.values()) - sum(b.amount for b in banks)
    # with an item in another currency, the whole difference is an exchange difference
    fx = -short if head.kind == "fx" or parts else 0
    lines += _difference_lines(currency, short + fx, fee_account, fx, fx_account)
    first = min(banks, key=lambda b: b.id)
    return ledger.post(Entry(
        date=max(b.booking_date for b in banks), lines=tuple(lines),
        memo=f"Bank reconciliation {head.id}: {first.description}"[:500],
        lineage=Lineage(object_type="bank_line", external_id=str(first.id)),
        idempotency_key=f"reconciliation:{head.id}"), conn=conn)


def reject(ledger: Ledger, reconciliation_id: int) -> None:
    """Reject a proposal; a later run does not propose the same match again."""
    with ledger.engine.begin() as conn:
        head = _head(conn, ledger, reconciliation_id)
        if head.status == "rejected":
            return
        if head.status == "accepted":
            raise ReconcileError(f"reconciliation {reconciliation_id} is accepted; undo it "
                                 "instead")
        conn.execute(update(reconciliations).where(
            reconciliations.c.id == reconciliation_id).values(
            status="rejected", decided_at=func.now()))


def undo(ledger: Ledger, reconciliation_id: int) -> int | None:
    """Undo an accepted reconciliation: reverse its entry and reopen its bank lines.

    Returns the reversal's entry id (None when nothing was posted). Undoing an
    undone reconciliation does nothing.
    """
    with ledger.engine.begin() as conn:
        head = _head(conn, ledger, reconciliation_id)
        if head.status == "undone":
            return None
        if head.status != "accepted":
            raise ReconcileError(f"reconciliation {reconciliation_id} is {head.status}; "
                                 "only an accepted one can be undone")
        _lock(conn, head.account_id)
        reversal = None
        if head.entry_id is not None:
            reversal = ledger.reverse(
                head.entry_id, memo=f"Undo bank reconciliation {reconciliation_id}", conn=conn)
        links = _links(conn, reconciliation_id)
        bank_ids = [lk.bank_line_id for lk in links if lk.bank_line_id is not None]
        conn.execute(update(reconciliations).where(
            reconciliations.c.id == reconciliation_id).values(
            status="undone", decided_at=func.now()))
        conn.execute(update(bank_lines).where(
            bank_lines.c.id.in_(bank_ids), bank_lines.c.status == "reconciled").values(
            status="unreconciled"))
        queue_invoice_writebacks(conn, (lk.journal_line_id for lk in links
                                        if lk.journal_line_id is not None))
        return reversal
