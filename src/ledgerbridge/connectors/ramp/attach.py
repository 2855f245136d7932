"""Receipts linked to posted card lines, and the card lines still missing one.

Card lines are the current Expense documents of a Ramp connection that came from
card transactions. Receipts Ramp holds arrive on the transaction itself; receipt
files dropped into the document store (``ledgerbridge documents add``) are matched
here by ``receipts.match``. A match is recorded as a new version of the card line's
Expense naming the receipt (``intake:<sha256>``): the sync engine reverses the
entry of the version without it and posts the same amounts again, so the entry in
force leads, through its lineage, to a document that names the receipt file.
The document store is only read: a matched file stays there as it arrived.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from sqlalchemy import Connection, select

from ledgerbridge.connectors.ramp.mcc import RESTAURANTS, category
from ledgerbridge.connectors.ramp.receipts import CardLine, Match, MatchPolicy, Receipt, match
from ledgerbridge.documents import Expense
from ledgerbridge.intake import IntakeStore, StoredDocument
from ledgerbridge.ledger import Ledger
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.store.tables import documents
from ledgerbridge.sync.apply import apply_document, make_lookup
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.outbox import enqueue
from ledgerbridge.sync.worker import connection_rules

__all__ = ["attach_receipts", "card_lines", "intake_receipts", "matches_report",
           "missing_receipts"]

INTAKE_PREFIX = "intake:"
_MCC = re.compile(r"\(MCC (\d{4})\)")
_UNUSED = ("ready", "flagged")
"""Stored documents that may be receipts: read, and not posted as bills."""


def _current_expenses(conn: Connection, connection_id: int) -> list[Expense]:
    rows = conn.execute(select(documents.c.data).where(
        documents.c.connection_id == connection_id, documents.c.type == "expense",
        documents.c.status == "current"))
    return [Expense.model_validate_json(data) for (data,) in rows]


def _line(expense: Expense) -> CardLine:
    codes = {code for line in expense.lines for code in _MCC.findall(line.description or "")}
    return CardLine(
        external_id=expense.source.external_id,
        merchant=expense.vendor.name if expense.vendor else None,
        amount=expense.total, date=expense.date,
        restaurant=any(category(code) == RESTAURANTS for code in codes))


def card_lines(conn: Connection, connection_id: int) -> list[tuple[CardLine, Expense]]:
    """The connection's card transactions that name no receipt, with their Expenses."""
    return [(_line(e), e) for e in _current_expenses(conn, connection_id)
            if e.source.object_type == "transaction" and e.receipt is None
            and e.total is not None]


def _receipt(stored: StoredDocument) -> Receipt | None:
    bill = stored.bill
    if bill is None or bill.total is None:
        return None
    merchant = stored.seller or (bill.vendor.name if bill.vendor else None)
    return Receipt(f"{INTAKE_PREFIX}{stored.sha256}", merchant, bill.total, bill.issue_date)


def intake_receipts(store: IntakeStore, taken: Iterable[str] = ()) -> list[Receipt]:
    """Stored documents that can be receipts: read, not posted, not linked already."""
    used = set(taken)
    found = (_receipt(s) for s in store.list() if s.status in _UNUSED and s.entry_id is None)
    return [r for r in found if r is not None and r.ref not in used]


def attach_receipts(ledger: Ledger, connection: str,
                    policy: MatchPolicy | None = None) -> list[Match]:
    """Match the connection's card lines with stored receipts and record each match."""
    store = IntakeStore(ledger)
    with ledger.engine.begin() as conn:
        record = get_connection(conn, connection)
        expenses = _current_expenses(conn, record.id)
        taken = [e.receipt for e in expenses if e.receipt]
        open_lines = card_lines(conn, record.id)
        found = match([line for line, _ in open_lines], intake_receipts(store, taken), policy)
        by_id = {line.external_id: expense for line, expense in open_lines}
        rules = connection_rules(record, ledger)
        lookup = make_lookup(conn, record.id)
        for hit in found:
            expense = by_id[hit.line.external_id]
            linked = Expense.model_validate(
                expense.model_dump(mode="json", exclude={"id"}) | {"receipt": hit.receipt.ref})
            applied, commands = apply_document(conn, ledger, record.id, linked, rules,
                                               lookup=lookup)
            for command in commands:
                enqueue(conn, command, entry_id=applied.entry_id,
                        document_id=applied.document_id)
    return found


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


def matches_report(found: list[Match], currency: str) -> Report:
    """The receipts just linked, one row per card line."""
    rows = [{"transaction": m.line.external_id, "date": m.line.date,
             "merchant": m.line.merchant, "amount": m.line.amount, "receipt": m.receipt.ref,
             "receipt_merchant": m.receipt.merchant, "tip": m.tip,
             "similarity": round(m.similarity)} for m in found]
    return Report("Receipts matched to card lines", _MATCH_COLUMNS, rows, currency,
                  meta={"count": len(rows)}, rows_key="matches")


_MISSING_COLUMNS = (
    Column("transaction", "Card transaction"),
    Column("date", "Date", ColumnKind.DATE),
    Column("age_days", "Days", ColumnKind.INT),
    Column("merchant", "Merchant"),
    Column("card_holder", "Card holder"),
    Column("amount", "Amount", ColumnKind.MONEY),
)


def missing_receipts(ledger: Ledger, connection: str, *, older_than_days: int = 7,
                     today: dt.date | None = None) -> Report:
    """Card lines without a receipt that are more than ``older_than_days`` old."""
    if older_than_days < 0:
        raise ValueError(f"older_than_days must not be negative, got {older_than_days}")
    today = today or dt.date.today()
    with ledger.engine.connect() as conn:
        record = get_connection(conn, connection)
        lines = card_lines(conn, record.id)
    rows = [{"transaction": line.external_id, "date": line.date,
             "age_days": (today - line.date).days, "merchant": line.merchant,
             "card_holder": expense.employee.name if expense.employee else None,
             "amount": line.amount}
            for line, expense in sorted(lines, key=lambda pair: pair[0].date)
            if (today - line.date).days > older_than_days]
    return Report("Card lines missing a receipt", _MISSING_COLUMNS, rows,
                  ledger.entity.functional_currency,
                  subtitle=f"{connection}: older than {older_than_days} days on {today}",
                  meta={"connection": connection, "older_than_days": older_than_days,
                        "count": len(rows)}, rows_key="missing")
