"""Invoice payment state and bill settlements: what is still due, and their write-backs.

Two things settle an invoice: accepted bank reconciliations that link its
receivable line (on any version of its entry, so an edited invoice keeps what was
paid on it), and current Payment documents of its connection whose applications
name it. Whenever either changes, the state is computed afresh (``open``,
``partially_paid`` or ``paid`` with the amount due) and the mapping's
``invoice.<state>`` write-backs are produced for it. Their idempotency keys carry
the settlements seen so far, so one event seen twice queues nothing new, while
every later change (paid, undone, paid again) queues a command of its own.

Bills are settled the same two ways; ``bill_state`` lists each settlement of a
bill on its own (a package holding the bill records each as one bill payment),
and ``bill_commands`` asks those packages to catch up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy import Connection, func, or_, select

from ledgerbridge.documents import Bill, Document, Invoice, Payment, parse_document
from ledgerbridge.money import Money
from ledgerbridge.store.tables import (
    accounts,
    connections,
    documents,
    journal_entries,
    journal_lines,
    reconciliation_links,
    reconciliations,
    unified_links,
)
from ledgerbridge.sync.errors import MissingDependency, SyncError

if TYPE_CHECKING:
    from ledgerbridge.sync.apply import Command, Lookup

__all__ = [
    "STATES",
    "SETTLE_BILL",
    "BillSettlement",
    "BillState",
    "InvoiceKey",
    "InvoiceState",
    "StateRules",
    "bill_commands",
    "bill_state",
    "bills_of_lines",
    "first_version",
    "invoice_state",
    "invoices_of_lines",
    "document_writebacks",
    "state_writebacks",
]

STATES = ("open", "partially_paid", "paid")
_CHUNK = 900  # ids per IN list: below SQLite's bound-parameter limit

InvoiceKey = tuple[int, str]
"""An invoice by the connection row it came from and its external id."""


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """What is still due on an invoice, and the settlements that say so.

    Attributes:
        document_id: the row of the invoice's current version.
        connection: the name of the connection the invoice came from.
        status: open, partially_paid or paid.
        amount_due: in the invoice's currency, never below zero.
        paid_date: the day of the last settlement, once paid.
        history: the settlements counted, in a stable order (for idempotency keys).

    """

    document_id: int
    connection: str
    invoice: Invoice
    status: str
    amount_due: Money
    paid_date: dt.date | None
    history: str

    def payload(self) -> dict[str, Any]:
        """The write-back payload every connector receives for a state change."""
        invoice = self.invoice
        total = invoice.total if invoice.total is not None else Money.zero(invoice.currency)
        return {
            "type": "invoice",
            "connection": invoice.source.connection,
            "external_id": invoice.source.external_id,
            "status": self.status,
            "number": invoice.number,
            "currency": invoice.currency,
            "total": total.text(),
            "amount_due": self.amount_due.text(),
            "paid_date": None if self.paid_date is None else self.paid_date.isoformat(),
        }

    def key_seed(self) -> str:
        """What identifies this state of this invoice (rule aside)."""
        source = self.invoice.source
        return "|".join((self.connection, source.external_id, self.status,
                         self.amount_due.text(), self.history))


@runtime_checkable
class StateRules(Protocol):
    """Posting rules that know the write-backs of invoice payment states."""

    invoice_states: frozenset[str]
    """The states some write-back reacts to (nothing to compute when empty)."""

    def invoice_commands(self, state: InvoiceState) -> list[Command]:
        """Write-back commands for an invoice reaching ``state``."""


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _documents_of_lines(conn: Connection, line_ids: Iterable[int], type_: str) -> list[Any]:
    """The ``type_`` documents whose entries hold these journal lines (through lineage).

    Rows of ``id``, ``connection_id`` and ``external_id``. The entry's object type
    is not asked: a bill received as a file posts as ``einvoice/<syntax>``.
    """
    wanted = sorted(set(line_ids))
    doc_ids: set[int] = set()
    for chunk in _chunks(wanted):
        query = (
            select(journal_entries.c.document_id)
            .join(journal_lines, journal_lines.c.entry_id == journal_entries.c.id)
            .where(journal_lines.c.id.in_(chunk), journal_entries.c.document_id.is_not(None))
        )
        doc_ids.update(int(d) for (d,) in conn.execute(query) if d.isdigit())
    rows = []
    for chunk in _chunks(sorted(doc_ids)):
        rows += conn.execute(select(documents.c.id, documents.c.connection_id,
                                    documents.c.external_id).where(
            documents.c.id.in_(chunk), documents.c.type == type_)).all()
    return rows


def invoices_of_lines(conn: Connection, line_ids: Iterable[int]) -> list[InvoiceKey]:
    """The invoices whose entries hold these journal lines, found through entry lineage."""
    return sorted({(r.connection_id, r.external_id)
                   for r in _documents_of_lines(conn, line_ids, "invoice")})


def bills_of_lines(conn: Connection, line_ids: Iterable[int]) -> list[int]:
    """The bills (their first version rows) whose entries hold these journal lines."""
    return sorted({int(first_version(conn, r.connection_id, "bill", r.external_id) or r.id)
                   for r in _documents_of_lines(conn, line_ids, "bill")})


def first_version(conn: Connection, connection_id: int, type_: str,
                  external_id: str) -> int | None:
    """The first version row of a document: the id that stays while versions replace it."""
    return conn.execute(select(func.min(documents.c.id)).where(
        documents.c.connection_id == connection_id, documents.c.type == type_,
        documents.c.external_id == external_id)).scalar()


@dataclass(frozen=True, slots=True)
class BillSettlement:
    """One settlement of a bill: a reconciliation of its payable line, or a payment applied.

    Attributes:
        key: what names it for good: ``r<reconciliation id>``, or ``p<connection
            id>:<payment external id>:<amount>`` (a changed amount is another settlement).
        date: the day it was paid.
        amount: in the bill's currency.
        account: our account code the money left from (the bank account reconciled,
            or the one the payment was booked from).

    """

    key: str
    date: dt.date
    amount: Money
    account: str


@dataclass(frozen=True, slots=True)
class BillState:
    """What settles a bill now.

    Attributes:
        bill: its current version.
        settlements: the settlements that stand, oldest reconciliation first.
        history: every settlement seen, undone ones too, in a stable order (for keys).

    """

    bill: Bill
    settlements: tuple[BillSettlement, ...]
    history: str


def bill_state(conn: Connection, bill_id: int) -> BillState | None:
    """What settles a bill (``bill_id``: any of its rows) now.

    None when the bill is not posted (draft, void) or not a bill.
    """
    row = conn.execute(select(documents.c.connection_id, documents.c.external_id).where(
        documents.c.id == bill_id, documents.c.type == "bill")).first()
    if row is None:
        return None
    versions = list(conn.execute(
        select(documents.c.status, documents.c.entry_id, documents.c.data)
        .where(documents.c.connection_id == row.connection_id, documents.c.type == "bill",
               documents.c.external_id == row.external_id)))
    current = next((v for v in versions if v.status == "current"), None)
    bill = None if current is None else parse_document(current.data)
    if not isinstance(bill, Bill) or bill.status in ("draft", "void"):
        return None
    every = _parts(conn, sorted({v.entry_id for v in versions if v.entry_id is not None}))
    parts = [p for p in every if p.status == "accepted"]
    codes = dict(conn.execute(select(accounts.c.id, accounts.c.code).where(
        accounts.c.id.in_([p.account_id for p in parts] or [-1]))).all())
    # the payable line is a credit: what settles it is linked as a negative amount
    found = [BillSettlement(f"r{p.rid}", p.day or p.decided, Money(-p.amount, bill.currency),
                            codes[p.account_id]) for p in parts]
    history = [f"r{p.rid}:{p.status}" for p in every]
    for applied in _applied(conn, row.connection_id, bill):
        paid_from = _paid_from(conn, applied.entry_id)
        if paid_from is not None:  # a payment that posted nothing moved no money
            found.append(BillSettlement(applied.mark, applied.date,
                                        Money(applied.amount, bill.currency), paid_from))
            history.append(applied.mark)
    return BillState(bill, tuple(found), ",".join(sorted(history)))


SETTLE_BILL = "settle_bill"
"""The outbox command that brings a package's payments of a bill in step with the ledger."""


def bill_commands(conn: Connection, bill_ids: Iterable[int]) -> list[tuple[Command, int]]:
    """``settle_bill`` commands (with the bill's row) for the packages holding these bills.

    A package holds a bill once ``Bridge.push`` linked it (``unified_links``). The key
    carries every settlement seen, so each change queues one command, once.
    """
    from ledgerbridge.sync.apply import Command  # apply builds on this module

    out = []
    for bill_id in sorted(set(bill_ids)):
        holders = conn.execute(
            select(connections.c.name).join(unified_links,
                                            unified_links.c.connection_id == connections.c.id)
            .where(unified_links.c.kind == "bills", unified_links.c.document_id == bill_id)
            .order_by(connections.c.name)).scalars().all()
        state = bill_state(conn, bill_id) if holders else None
        if state is None:
            continue
        seen = hashlib.sha256(state.history.encode()).hexdigest()[:32]
        out += [(Command(name, SETTLE_BILL, {"bill": bill_id},
                         f"{SETTLE_BILL}:{name}:{bill_id}:{seen}"), bill_id) for name in holders]
    return out


def _paid_from(conn: Connection, entry_id: int | None) -> str | None:
    """The account a payment's entry credits first: where the money left from."""
    if entry_id is None:
        return None
    return conn.execute(
        select(accounts.c.code).join(journal_lines, journal_lines.c.account_id == accounts.c.id)
        .where(journal_lines.c.entry_id == entry_id, journal_lines.c.amount < 0)
        .order_by(journal_lines.c.line_no).limit(1)).scalar()


def invoice_state(conn: Connection, key: InvoiceKey) -> InvoiceState | None:
    """The payment state of an invoice now; None when it is not posted (draft, void)."""
    connection_id, external_id = key
    versions = list(conn.execute(
        select(documents.c.id, documents.c.status, documents.c.entry_id, documents.c.data)
        .where(documents.c.connection_id == connection_id, documents.c.type == "invoice",
               documents.c.external_id == external_id)))
    current = next((v for v in versions if v.status == "current"), None)
    if current is None:
        return None
    invoice = parse_document(current.data)
    if not isinstance(invoice, Invoice) or invoice.status in ("draft", "void"):
        return None
    entry_ids = sorted({v.entry_id for v in versions if v.entry_id is not None})
    paid, dates, history = _reconciled(conn, entry_ids)
    for applied in _applied(conn, connection_id, invoice):
        paid += applied.amount
        dates.append(applied.date)
        history.append(applied.mark)
    total = invoice.total.minor if invoice.total is not None else 0
    due = max(0, total - paid)
    status = "paid" if due == 0 else "partially_paid" if paid > 0 else "open"
    name = conn.execute(select(connections.c.name).where(
        connections.c.id == connection_id)).scalar_one()
    return InvoiceState(
        document_id=current.id, connection=name, invoice=invoice, status=status,
        amount_due=Money(due, invoice.currency),
        paid_date=max(dates) if status == "paid" and dates else None,
        history=",".join(sorted(history)),
    )


def _parts(conn: Connection, entry_ids: list[int]) -> list[_Part]:
    """Each reconciliation (accepted or undone) of lines of these entries, oldest first.

    The amount it settled is the links' stored original amount (what the payer sent,
    in the lines' own currency), else the functional amount converted back.
    """
    settling = journal_entries.alias("settling")
    query = (
        select(reconciliations.c.id, reconciliations.c.status, reconciliations.c.account_id,
               reconciliations.c.created_at, reconciliation_links.c.amount,
               reconciliation_links.c.original_amount.label("settled_original"),
               journal_lines.c.amount.label("line_amount"), journal_lines.c.original_amount,
               settling.c.date)
        .join(reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id)
        .join(journal_lines, journal_lines.c.id == reconciliation_links.c.journal_line_id)
        .outerjoin(settling, settling.c.id == reconciliations.c.entry_id)
        .where(journal_lines.c.entry_id.in_(entry_ids or [-1]),
               reconciliations.c.status.in_(("accepted", "undone")))
        .order_by(reconciliations.c.id)
    )
    parts: dict[int, _Part] = {}
    for row in conn.execute(query):
        amount = row.settled_original if row.settled_original is not None else \
            _in_original(row.amount, row.line_amount, row.original_amount)
        found = parts.get(row.id)
        parts[row.id] = _Part(row.id, row.status, amount + (found.amount if found else 0),
                              row.date, row.created_at.date(), row.account_id)
    return list(parts.values())


@dataclass(frozen=True, slots=True)
class _Part:
    """One reconciliation of an item's lines.

    Attributes:
        amount: settled, in the lines' own currency, with the lines' sign.
        day: the settling entry's date, if the reconciliation posted one.
        decided: the day it was made.
        account_id: the bank account reconciled.

    """

    rid: int
    status: str
    amount: int
    day: dt.date | None
    decided: dt.date
    account_id: int


def _reconciled(conn: Connection, entry_ids: list[int]) -> tuple[int, list[dt.date], list[str]]:
    """Amount (invoice currency) settled by accepted reconciliations; dates; history."""
    paid, dates, history = 0, [], []
    for part in _parts(conn, entry_ids):
        history.append(f"r{part.rid}:{part.status}")
        if part.status == "accepted":
            paid += part.amount
            if part.day is not None:
                dates.append(part.day)
    return paid, dates, history


def _has_own(conn: Connection, connection_id: int, type_: str, external_id: str) -> bool:
    return conn.execute(select(documents.c.id).where(
        documents.c.connection_id == connection_id, documents.c.type == type_,
        documents.c.external_id == external_id).limit(1)).first() is not None


def _in_original(amount: int, line_amount: int, original: int) -> int:
    """A functional amount settled on a line, in the line's own currency (half up).

    Only for links stored without the original amount they settled.
    """
    if line_amount == original or line_amount == 0:
        return amount
    return (2 * amount * original + line_amount) // (2 * line_amount)


@dataclass(frozen=True, slots=True)
class _Applied:
    amount: int
    date: dt.date
    mark: str
    entry_id: int | None


def _applied(conn: Connection, connection_id: int, document: Invoice | Bill) -> list[_Applied]:
    """Applications of current payments to the invoice or bill, from any connection of the entity.

    A payment of the document's own connection names it by external id or number;
    one of another connection (a processor paying a CRM's invoice) by its number, or
    by the external id when that connection has no document of its own by that id
    (the same rule as ``sync.apply.make_lookup``).
    """
    external_id = document.source.external_id
    names = {external_id, document.number} - {None}
    entity = select(connections.c.entity_id).where(connections.c.id == connection_id)
    siblings = select(connections.c.id).where(
        connections.c.entity_id == entity.scalar_subquery())
    query = select(documents.c.connection_id, documents.c.data, documents.c.entry_id).where(
        documents.c.connection_id.in_(siblings), documents.c.type == "payment",
        documents.c.status == "current",
        or_(*(documents.c.data.contains(json.dumps(n), autoescape=True) for n in names)))
    found = []
    for paid_on, data, entry_id in conn.execute(query):
        payment = parse_document(data)
        if not isinstance(payment, Payment) or payment.currency != document.currency:
            continue
        for app in payment.applications:
            named = app.document.external_id
            if app.document_type != document.type or named not in names:
                continue
            if paid_on != connection_id and named != document.number and _has_own(
                    conn, paid_on, document.type, named):
                continue
            found.append(_Applied(app.amount.minor, payment.date,
                                  f"p{paid_on}:{payment.source.external_id}:{app.amount.minor}",
                                  entry_id))
    return found


def state_writebacks(conn: Connection, rules: object, keys: Iterable[InvoiceKey], *,
                     source_only: bool = False) -> list[tuple[Command, int]]:
    """Write-backs (with the invoice's document id) for the states of these invoices.

    ``source_only`` keeps the write-backs to the invoice's own connection.
    """
    if not isinstance(rules, StateRules) or not rules.invoice_states:
        return []
    out = []
    for key in keys:
        state = invoice_state(conn, key)
        if state is not None and state.status in rules.invoice_states:
            out += [(command, state.document_id) for command
                    in rules.invoice_commands(state, source_only=source_only)]
    return out


def document_writebacks(conn: Connection, connection_id: int, document: Document,
                        rules: object, lookup: Lookup, *, derived: bool = False
                        ) -> list[Command]:
    """Write-backs for the invoice states that a just-applied document changes.

    A Payment changes the invoices it names, wherever they came from, and the bills it
    names tell the packages holding them (``bill_commands``). An invoice the
    ledger derived (from a won deal) tells its own connection its state: the CRM
    learns "Invoiced". An invoice a system sent us is not echoed back to it, and
    write-backs to other connections on an invoice's arrival are the plain document
    rules' (``commands_for``), so none is sent twice.
    """
    if isinstance(document, Invoice):
        if not derived:
            return []
        keys = [(connection_id, document.source.external_id)]
        return [c for c, _ in state_writebacks(conn, rules, keys, source_only=True)]
    if not isinstance(document, Payment):
        return []
    keys, bills = set(), set()
    for app in document.applications:
        if app.document_type == "invoice" and app.document.external_id:
            keys.add(_document_key(conn, connection_id, "invoice", app.document.external_id,
                                   lookup))
        if app.document_type == "bill" and app.document.external_id:
            bills.add(_document_key(conn, connection_id, "bill", app.document.external_id,
                                    lookup))
    bill_ids = [first_version(conn, key[0], "bill", key[1]) for key in bills - {None}]
    commands = [c for c, _ in bill_commands(conn, [b for b in bill_ids if b is not None])]
    for key in sorted(keys - {None}):
        # the invoice's own connection says which write-backs its states trigger
        owner = rules if key[0] == connection_id else _rules_of(conn, key[0])
        commands += [command for command, _ in state_writebacks(conn, owner, [key])]
    return commands


def _rules_of(conn: Connection, connection_id: int) -> object:
    """The posting rules of another connection, from its stored mapping."""
    from ledgerbridge.mapping import MappingError, rules_for_connection  # mapping builds on sync

    system, text = conn.execute(select(connections.c.system, connections.c.mapping).where(
        connections.c.id == connection_id)).one()
    try:
        return rules_for_connection(system, text)
    except (MappingError, SyncError):  # that connection's own events report the problem
        return None


def _document_key(conn: Connection, connection_id: int, type_: str, name: str,
                  lookup: Lookup) -> InvoiceKey | None:
    """Where the invoice or bill a payment names lives: this connection's, or another's."""
    try:
        found_doc = lookup(type_, name)
    except MissingDependency:
        return None
    found = conn.execute(select(connections.c.id).where(
        connections.c.name == found_doc.source.connection)).scalar()
    return (found if found is not None else connection_id, found_doc.source.external_id)
