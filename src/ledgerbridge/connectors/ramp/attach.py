"""Receipts tied to card lines as either arrives, and the card lines still missing one.

Card lines are the current Expense documents of a Ramp connection that came from
card transactions. Receipts Ramp holds arrive on the transaction itself; receipt
files in the document store are matched here (``receipts.settle``):

- when a file is added to the store (``match_arrived_receipt``), against the open
  card lines of its dates;
- when card transactions are posted by the sync worker (``match_arrived_lines``),
  against the unmatched files of their dates;
- on request over the whole history (``attach_receipts``, ``receipts match``).

Only unmatched files and card lines dated within a window around the newcomers are
read, so each arrival costs the same however long the history. A match is recorded
as a new version of the card line's Expense naming the receipt (``intake:<sha256>``):
the sync engine reverses the entry of the version without it and posts the same
amounts again, so the entry in force leads, through its lineage, to a document that
names the file. In the same transaction the file becomes ``matched`` in the store,
with the transaction, who (``auto`` on arrival) and when. A pairing a rival comes
close to is never guessed: its pairs are held for review (``receipt_matches`` rows
of status ``review``) until someone links one by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, delete, or_, select

from ledgerbridge.connectors.ramp.mcc import RESTAURANTS, category
from ledgerbridge.connectors.ramp.receipts import (
    CardLine,
    Match,
    MatchPolicy,
    Receipt,
    settle,
)
from ledgerbridge.documents import Expense
from ledgerbridge.intake import IntakeError, IntakeStore, StoredDocument
from ledgerbridge.intake.store import MATCHABLE
from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.money import Money, parse_minor
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.store.bulk import insert_ignoring_conflicts
from ledgerbridge.store.tables import connections, documents, intake_documents, receipt_matches
from ledgerbridge.sync.apply import apply_document, lock_objects, make_lookup
from ledgerbridge.sync.connections import ConnectionRecord, get_connection
from ledgerbridge.sync.outbox import enqueue
from ledgerbridge.sync.worker import connection_rules

__all__ = ["AUTO", "Attached", "attach_receipts", "card_lines", "intake_receipts",
           "link_receipt", "match_arrived_lines", "match_arrived_receipt", "matches_report",
           "missing_receipts", "receipt_policy", "unlink_receipt"]

INTAKE_PREFIX = "intake:"
AUTO = "auto"
"""Who matched a receipt that was matched on arrival."""

SYSTEM = "ramp"
_MCC = re.compile(r"\(MCC (\d{4})\)")
_SLACK = dt.timedelta(days=1)
"""A card line is stored after its swipe, a file added after it was printed, give or
take a time zone: rows older than a window's first day less this cannot be in it."""


@dataclass(frozen=True, slots=True)
class Attached:
    """What one matching run recorded: the matches, and the pairings held for review."""

    matches: tuple[Match, ...]
    review: tuple[tuple[Match, ...], ...]


def receipt_policy(record: ConnectionRecord, currency: str) -> tuple[int, Money | None]:
    """A connection's receipt rules: days a line may wait, and the amount needing one.

    The amount (in ``currency``) is None when every card line needs a receipt. From
    the connection's settings ``receipts_due_days`` (default 7) and
    ``receipts_required_over`` (default none).
    """
    days = int(record.settings.get("receipts_due_days", 7))
    over = record.settings.get("receipts_required_over")
    return days, (Money(parse_minor(str(over), currency), currency) if over else None)


def _expenses(conn: Connection, connection_id: int, *, since: dt.datetime | None = None,
              external_ids: Iterable[str] | None = None) -> list[Expense]:
    d = documents.c
    query = select(d.data).where(d.connection_id == connection_id, d.type == "expense",
                                 d.status == "current")
    if since is not None:
        query = query.where(d.created_at >= since)
    if external_ids is not None:
        query = query.where(d.external_id.in_(list(external_ids)))
    return [Expense.model_validate_json(data) for (data,) in conn.execute(query)]


def _line(expense: Expense) -> CardLine:
    codes = {code for line in expense.lines for code in _MCC.findall(line.description or "")}
    return CardLine(
        external_id=expense.source.external_id,
        merchant=expense.vendor.name if expense.vendor else None,
        amount=expense.total, date=expense.date,
        restaurant=any(category(code) == RESTAURANTS for code in codes))


def card_lines(conn: Connection, connection_id: int, *, since: dt.datetime | None = None,
               external_ids: Iterable[str] | None = None) -> list[tuple[CardLine, Expense]]:
    """The connection's card transactions that name no receipt, with their Expenses.

    ``since`` keeps those stored since then, ``external_ids`` those of these ids.
    """
    return [(_line(e), e) for e in _expenses(conn, connection_id, since=since,
                                             external_ids=external_ids)
            if e.source.object_type == "transaction" and e.receipt is None
            and e.total is not None]


def _receipt(stored: StoredDocument) -> Receipt | None:
    bill = stored.bill
    if bill is None or bill.total is None:
        return None
    merchant = stored.seller or (bill.vendor.name if bill.vendor else None)
    return Receipt(f"{INTAKE_PREFIX}{stored.sha256}", merchant, bill.total, bill.issue_date)


def intake_receipts(store: IntakeStore, *, added_since: dt.datetime | None = None
                    ) -> list[tuple[Receipt, StoredDocument]]:
    """Stored documents that can be receipts: read, not posted, not matched already."""
    found = ((_receipt(s), s) for s in store.list(MATCHABLE, added_since=added_since)
             if s.entry_id is None)
    return [(r, s) for r, s in found if r is not None]


def _in_review(conn: Connection, connection_id: int) -> tuple[set[int], set[str]]:
    """Documents and card transactions waiting for a person to pick their pairing."""
    r = receipt_matches.c
    rows = conn.execute(select(r.document_id, r.transaction_id).where(
        r.connection_id == connection_id, r.status == "review")).all()
    return {row.document_id for row in rows}, {row.transaction_id for row in rows}


def _ramp_connections(conn: Connection, entity_id: int) -> list[ConnectionRecord]:
    names = conn.execute(select(connections.c.name).where(
        connections.c.entity_id == entity_id, connections.c.system == SYSTEM,
        connections.c.enabled.is_(True)).order_by(connections.c.id)).scalars()
    return [get_connection(conn, name) for name in names]


def _window(ledger: Ledger, record: ConnectionRecord, dates: Sequence[dt.date],
            policy: MatchPolicy, by: str) -> Attached:
    """Match the open card lines and unmatched files dated near ``dates``.

    The window reaches two policy spans either side, so every rival of a newcomer's
    candidates is read too and an ambiguous pairing is seen as one.
    """
    span = dt.timedelta(days=2 * policy.days)
    low, high = min(dates) - span, max(dates) + span
    since = dt.datetime.combine(low, dt.time(), dt.UTC) - _SLACK
    store = IntakeStore(ledger)
    with ledger.engine.connect() as conn:
        held_docs, held_lines = _in_review(conn, record.id)
        lines = [(line, e) for line, e in card_lines(conn, record.id, since=since)
                 if low <= line.date <= high and line.external_id not in held_lines]
    receipts = [(r, s) for r, s in intake_receipts(store, added_since=since)
                if low <= r.date <= high and s.id not in held_docs]
    return _record(ledger, record, lines, receipts, policy, by)


def _everything(ledger: Ledger, record: ConnectionRecord, policy: MatchPolicy,
                by: str) -> Attached:
    with ledger.engine.connect() as conn:
        held_docs, held_lines = _in_review(conn, record.id)
        lines = [(line, e) for line, e in card_lines(conn, record.id)
                 if line.external_id not in held_lines]
    receipts = [(r, s) for r, s in intake_receipts(IntakeStore(ledger))
                if s.id not in held_docs]
    return _record(ledger, record, lines, receipts, policy, by)


def _record(ledger: Ledger, record: ConnectionRecord,
            lines: list[tuple[CardLine, Expense]], receipts: list[tuple[Receipt, StoredDocument]],
            policy: MatchPolicy, by: str) -> Attached:
    """Settle ``lines`` against ``receipts``; link each clear match, hold the ambiguous."""
    settled = settle([line for line, _ in lines], [r for r, _ in receipts], policy)
    docs = {r.ref: s.id for r, s in receipts}
    linked = []
    for hit in settled.matches:
        if _link(ledger, record, hit.line.external_id, docs[hit.receipt.ref],
                 hit.receipt.ref, by=by, score=round(hit.similarity)):
            linked.append(hit)
    if settled.ambiguous:
        with ledger.engine.begin() as conn:
            for group in settled.ambiguous:
                _hold(conn, ledger, record, group, docs)
    return Attached(tuple(linked), settled.ambiguous)


def _hold(conn: Connection, ledger: Ledger, record: ConnectionRecord,
          group: tuple[Match, ...], docs: dict[str, int]) -> None:
    """Keep every pairing of an ambiguous group for a person to choose from."""
    receipts = sorted({m.receipt.ref for m in group})
    lines = sorted({m.line.external_id for m in group})
    reason = (f"{len(receipts)} receipt file(s) and {len(lines)} card line(s) fit about "
              f"equally well (card lines {', '.join(lines)}): pick the pairing by hand")
    for m in group:
        insert_ignoring_conflicts(conn, receipt_matches, {
            "entity_id": ledger.entity.id, "document_id": docs[m.receipt.ref],
            "connection_id": record.id, "transaction_id": m.line.external_id,
            "status": "review", "score": round(m.similarity), "reason": reason})


def _current(conn: Connection, connection_id: int, transaction_id: str) -> Expense | None:
    found = _expenses(conn, connection_id, external_ids=[transaction_id])
    return found[0] if found and found[0].source.object_type == "transaction" else None


def _with_receipt(expense: Expense, ref: str | None) -> Expense:
    """A new version of ``expense`` naming ``ref`` (None: naming no receipt).

    Its version label is new each time, so linking again after an undo posts again.
    """
    source = expense.source.model_copy(update={"version": f"receipt@{_now().isoformat()}"})
    return Expense.model_validate(expense.model_dump(mode="json", exclude={"id"})
                                  | {"receipt": ref, "source": source.model_dump(mode="json")})


def _apply(conn: Connection, ledger: Ledger, record: ConnectionRecord, expense: Expense) -> None:
    applied, commands = apply_document(conn, ledger, record.id, expense,
                                       connection_rules(record, ledger),
                                       lookup=make_lookup(conn, record.id))
    for command in commands:
        enqueue(conn, command, entry_id=applied.entry_id, document_id=applied.document_id)


def _link(ledger: Ledger, record: ConnectionRecord, transaction_id: str, document_id: int,
          ref: str, *, by: str, score: int | None = None) -> bool:
    """Record one match in one transaction; False when either side was taken meanwhile."""
    store = IntakeStore(ledger)
    with ledger.engine.begin() as conn:
        lock_objects(conn, [(record.id, "expense", transaction_id)])
        expense = _current(conn, record.id, transaction_id)
        if expense is None or expense.receipt is not None:
            return False
        if not store.mark_matched(conn, document_id, record.id, transaction_id, by=by,
                                  score=score):
            return False
        _apply(conn, ledger, record, _with_receipt(expense, ref))
        r = receipt_matches.c
        conn.execute(delete(receipt_matches).where(
            r.connection_id == record.id, r.status == "review",
            or_(r.document_id == document_id, r.transaction_id == transaction_id)))
    return True


def _relink(ledger: Ledger, record: ConnectionRecord, external_ids: Sequence[str]) -> None:
    """Name the matched receipt again on card lines Ramp changed after the match."""
    r, d = receipt_matches.c, intake_documents.c
    with ledger.engine.begin() as conn:
        matched = dict(conn.execute(select(r.transaction_id, d.sha256)
                                    .join(intake_documents, d.id == r.document_id)
                                    .where(r.connection_id == record.id, r.status == "matched",
                                           r.transaction_id.in_(list(external_ids)))).all())
        if not matched:
            return
        lock_objects(conn, [(record.id, "expense", t) for t in matched])
        for expense in _expenses(conn, record.id, external_ids=matched):
            if expense.receipt is None:
                sha256 = matched[expense.source.external_id]
                _apply(conn, ledger, record, _with_receipt(expense, f"{INTAKE_PREFIX}{sha256}"))


def match_arrived_receipt(ledger: Ledger, document_id: int,
                          policy: MatchPolicy | None = None) -> Attached:
    """Match a newly stored file to the open card lines of every Ramp connection."""
    policy = policy or MatchPolicy()
    receipt = _receipt(IntakeStore(ledger).get(document_id))
    if receipt is None:
        return Attached((), ())
    with ledger.engine.connect() as conn:
        records = _ramp_connections(conn, ledger.entity.id)
    matches: list[Match] = []
    review: list[tuple[Match, ...]] = []
    for record in records:
        found = _window(ledger, record, [receipt.date], policy, AUTO)
        matches += found.matches
        review += found.review
        if any(m.receipt.ref == receipt.ref for m in found.matches):
            break
    return Attached(tuple(matches), tuple(review))


def match_arrived_lines(ledger: Ledger, connection: str, external_ids: Sequence[str],
                        policy: MatchPolicy | None = None) -> Attached:
    """Match card transactions the sync worker just posted to unmatched receipt files."""
    with ledger.engine.connect() as conn:
        record = get_connection(conn, connection)
    _relink(ledger, record, external_ids)
    with ledger.engine.connect() as conn:
        dates = [line.date for line, _ in card_lines(conn, record.id, external_ids=external_ids)]
    if not dates:
        return Attached((), ())
    return _window(ledger, record, dates, policy or MatchPolicy(), AUTO)


def attach_receipts(ledger: Ledger, connection: str, policy: MatchPolicy | None = None, *,
                    by: str = AUTO) -> Attached:
    """Match all the connection's open card lines with the unmatched stored receipts."""
    with ledger.engine.connect() as conn:
        record = get_connection(conn, connection)
    return _everything(ledger, record, policy or MatchPolicy(), by)


def link_receipt(ledger: Ledger, document_id: int, connection: str, transaction_id: str, *,
                 by: str) -> StoredDocument:
    """Tie a stored file to a card transaction by hand (a pairing held for review, say)."""
    store = IntakeStore(ledger)
    stored = store.get(document_id)
    if stored.matched is not None:
        raise IntakeError(f"document {document_id} is already the receipt of {stored.matched}")
    if stored.status not in MATCHABLE or stored.entry_id is not None:
        raise IntakeError(f"document {document_id} is {stored.status}: only a ready or "
                          "flagged document can be a receipt")
    with ledger.engine.connect() as conn:
        record = get_connection(conn, connection)
        expense = _current(conn, record.id, transaction_id)
    if expense is None:
        raise LedgerError(f"{connection} has no card transaction {transaction_id}")
    if expense.receipt is not None:
        raise LedgerError(f"card transaction {transaction_id} already names a receipt "
                          f"({expense.receipt})")
    if not _link(ledger, record, transaction_id, document_id,
                 f"{INTAKE_PREFIX}{stored.sha256}", by=by):
        raise LedgerError(f"document {document_id} or card transaction {transaction_id} "
                          "was matched meanwhile")
    return store.get(document_id)


def unlink_receipt(ledger: Ledger, document_id: int) -> StoredDocument:
    """Undo a match: the card line names no receipt again, the file gets its status back."""
    store = IntakeStore(ledger)
    with ledger.engine.begin() as conn:
        connection_id, transaction_id = store.unmark(conn, document_id)
        record = get_connection(conn, conn.execute(select(connections.c.name).where(
            connections.c.id == connection_id)).scalar_one())
        lock_objects(conn, [(record.id, "expense", transaction_id)])
        expense = _current(conn, record.id, transaction_id)
        if expense is not None and expense.receipt is not None:
            _apply(conn, ledger, record, _with_receipt(expense, None))
    return store.get(document_id)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_MATCH_COLUMNS = (
    Column("transaction", "Card transaction"),
    Column("date", "Date", ColumnKind.DATE),
    Column("merchant", "Merchant"),
    Column("amount", "Amount", ColumnKind.MONEY),
    Column("receipt", "Receipt"),
    Column("receipt_merchant", "Printed merchant"),
    Column("tip", "Tip", ColumnKind.MONEY, blank_zero=True),
    Column("similarity", "Name match", ColumnKind.INT),
)


def matches_report(found: Attached, currency: str) -> Report:
    """The receipts just linked, one row per card line; held pairings counted."""
    rows = [{"transaction": m.line.external_id, "date": m.line.date,
             "merchant": m.line.merchant, "amount": m.line.amount, "receipt": m.receipt.ref,
             "receipt_merchant": m.receipt.merchant, "tip": m.tip,
             "similarity": round(m.similarity)} for m in found.matches]
    held = len(found.review)
    return Report("Receipts matched to card lines", _MATCH_COLUMNS, rows, currency,
                  subtitle=f"{held} ambiguous pairing(s) held for review" if held else None,
                  meta={"count": len(rows), "review": held}, rows_key="matches")


_MISSING_COLUMNS = (
    Column("transaction", "Card transaction"),
    Column("date", "Date", ColumnKind.DATE),
    Column("age_days", "Days", ColumnKind.INT),
    Column("merchant", "Merchant"),
    Column("card_holder", "Card holder"),
    Column("amount", "Amount", ColumnKind.MONEY),
)


def missing_rows(conn: Connection, record: ConnectionRecord, *, older_than_days: int,
                 today: dt.date, over: Money | None = None) -> list[dict]:
    """Card lines without a receipt older than ``older_than_days``, above ``over``."""
    lines = card_lines(conn, record.id)
    return [{"transaction": line.external_id, "date": line.date,
             "age_days": (today - line.date).days, "merchant": line.merchant,
             "card_holder": expense.employee.name if expense.employee else None,
             "amount": line.amount}
            for line, expense in sorted(lines, key=lambda pair: pair[0].date)
            if (today - line.date).days > older_than_days
            and (over is None or line.amount.currency != over.currency
                 or abs(line.amount.minor) > over.minor)]


def missing_receipts(ledger: Ledger, connection: str, *, older_than_days: int = 7,
                     today: dt.date | None = None, over: Decimal | None = None) -> Report:
    """Card lines without a receipt that are more than ``older_than_days`` old.

    ``over`` keeps only lines above that amount (the receipt policy's threshold).
    """
    if older_than_days < 0:
        raise ValueError(f"older_than_days must not be negative, got {older_than_days}")
    today = today or dt.date.today()
    currency = ledger.entity.functional_currency
    threshold = Money(parse_minor(str(over), currency), currency) if over else None
    with ledger.engine.connect() as conn:
        record = get_connection(conn, connection)
        rows = missing_rows(conn, record, older_than_days=older_than_days, today=today,
                            over=threshold)
    return Report("Card lines missing a receipt", _MISSING_COLUMNS, rows, currency,
                  subtitle=f"{connection}: older than {older_than_days} days on {today}",
                  meta={"connection": connection, "older_than_days": older_than_days,
                        "count": len(rows)}, rows_key="missing")
