"""Invoice payment state: how much of an invoice is still due, and its write-backs.

Two things settle an invoice: accepted bank reconciliations that link its
receivable line (on any version of its entry, so an edited invoice keeps what was
paid on it), and current Payment documents of its connection whose applications
name it. Whenever either changes, the state is computed afresh (``open``,
``partially_paid`` or ``paid`` with the amount due) and the mapping's
``invoice.<state>`` write-backs are produced for it. Their idempotency keys carry
the settlements seen so far, so one event seen twice queues nothing new, while
every later change (paid, undone, paid again) queues a command of its own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy import Connection, or_, select

from ledgerbridge.documents import Document, Invoice, Payment, parse_document
from ledgerbridge.money import Money
from ledgerbridge.store.tables import (
    connections,
    documents,
    journal_entries,
    journal_lines,
    reconciliation_links,
    reconciliations,
)
from ledgerbridge.sync.errors import MissingDependency, SyncError

if TYPE_CHECKING:
    from ledgerbridge.sync.apply import Command, Lookup

__all__ = [
    "STATES",
    "InvoiceKey",
    "InvoiceState",
    "StateRules",
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


def invoices_of_lines(conn: Connection, line_ids: Iterable[int]) -> list[InvoiceKey]:
    """The invoices whose entries hold these journal lines, found through entry lineage."""
    wanted = sorted(set(line_ids))
    doc_ids: set[int] = set()
    for chunk in _chunks(wanted):
        query = (
            select(journal_entries.c.document_id)
            .join(journal_lines, journal_lines.c.entry_id == journal_entries.c.id)
            .where(journal_lines.c.id.in_(chunk), journal_entries.c.object_type == "invoice",
                   journal_entries.c.document_id.is_not(None))
        )
        doc_ids.update(int(d) for (d,) in conn.execute(query) if d.isdigit())
    keys: set[InvoiceKey] = set()
    for chunk in _chunks(sorted(doc_ids)):
        query = select(documents.c.connection_id, documents.c.external_id).where(
            documents.c.id.in_(chunk), documents.c.type == "invoice")
        keys.update((c, e) for c, e in conn.execute(query))
    return sorted(keys)


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
    for amount, day, mark in _applied(conn, connection_id, invoice):
        paid += amount
        dates.append(day)
        history.append(mark)
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


def _reconciled(conn: Connection, entry_ids: list[int]) -> tuple[int, list[dt.date], list[str]]:
    """Amount (invoice currency) settled by accepted reconciliations; dates; history."""
    settling = journal_entries.alias("settling")
    query = (
        select(reconciliations.c.id, reconciliations.c.status, reconciliation_links.c.amount,
               journal_lines.c.amount.label("line_amount"), journal_lines.c.original_amount,
               settling.c.date)
        .join(reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id)
        .join(journal_lines, journal_lines.c.id == reconciliation_links.c.journal_line_id)
        .outerjoin(settling, settling.c.id == reconciliations.c.entry_id)
        .where(journal_lines.c.entry_id.in_(entry_ids or [-1]),
               reconciliations.c.status.in_(("accepted", "undone")))
    )
    paid, dates, history = 0, [], []
    for rid, status, amount, line_amount, original, day in conn.execute(query):
        history.append(f"r{rid}:{status}")
        if status == "accepted":
            paid += _in_original(amount, line_amount, original)
            if day is not None:
                dates.append(day)
    return paid, dates, history


def _has_own_invoice(conn: Connection, connection_id: int, external_id: str) -> bool:
    return conn.execute(select(documents.c.id).where(
        documents.c.connection_id == connection_id, documents.c.type == "invoice",
        documents.c.external_id == external_id).limit(1)).first() is not None


def _in_original(amount: int, line_amount: int, original: int) -> int:
    """A functional amount settled on a line, in the line's own currency (half up)."""
    if line_amount == original or line_amount == 0:
        return amount
    return (2 * amount * original + line_amount) // (2 * line_amount)


def _applied(conn: Connection, connection_id: int,
             invoice: Invoice) -> list[tuple[int, dt.date, str]]:
    """Applications of current payments to the invoice, from any connection of the entity.

    A payment of the invoice's own connection names it by external id or number;
    one of another connection (a processor paying a CRM's invoice) by its number, or
    by the external id when that connection has no invoice of its own by that id
    (the same rule as ``sync.apply.make_lookup``).
    """
    external_id = invoice.source.external_id
    names = {external_id, invoice.number} - {None}
    entity = select(connections.c.entity_id).where(connections.c.id == connection_id)
    siblings = select(connections.c.id).where(
        connections.c.entity_id == entity.scalar_subquery())
    query = select(documents.c.connection_id, documents.c.data).where(
        documents.c.connection_id.in_(siblings), documents.c.type == "payment",
        documents.c.status == "current",
        or_(*(documents.c.data.contains(json.dumps(n), autoescape=True) for n in names)))
    found = []
    for paid_on, data in conn.execute(query):
        payment = parse_document(data)
        if not isinstance(payment, Payment) or payment.currency != invoice.currency:
            continue
        for app in payment.applications:
            named = app.document.external_id
            if app.document_type != "invoice" or named not in names:
                continue
            if paid_on != connection_id and named != invoice.number and _has_own_invoice(
                    conn, paid_on, named):
                continue
            found.append((app.amount.minor, payment.date,
                          f"p{paid_on}:{payment.source.external_id}:{app.amount.minor}"))
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

    A Payment changes the invoices it names, wherever they came from. An invoice the
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
    keys = set()
    for app in document.applications:
        if app.document_type == "invoice" and app.document.external_id:
            keys.add(_invoice_key(conn, connection_id, app.document.external_id, lookup))
    commands = []
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


def _invoice_key(conn: Connection, connection_id: int, name: str,
                 lookup: Lookup) -> InvoiceKey | None:
    """Where the invoice a payment names lives: this connection's, or another's."""
    try:
        invoice = lookup("invoice", name)
    except MissingDependency:
        return None
    found = conn.execute(select(connections.c.id).where(
        connections.c.name == invoice.source.connection)).scalar()
    return (found if found is not None else connection_id, invoice.source.external_id)
