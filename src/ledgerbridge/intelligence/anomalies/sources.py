"""Where the checks' records come from: documents, bank lines and journal lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

from sqlalchemy import Connection, func, select

from ledgerbridge.documents import Bill, Contact, Document, Expense, Payment, Ref, Refund
from ledgerbridge.documents import parse_document as parse
from ledgerbridge.intelligence.anomalies.checks import ManualEntry
from ledgerbridge.intelligence.anomalies.model import Outflow, Posting, vendor_key
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    connections,
    documents,
    journal_entries,
    journal_lines,
)

__all__ = ["SCREENED_TYPES", "bank_outflows", "document_key", "document_outflows",
           "manual_entries", "outflow_of", "vendor_postings"]

SCREENED_TYPES = frozenset({"bill", "payment", "refund", "expense", "contact"})
"""Document types that make outflows (or, for contacts, a vendor's bank details)."""


def document_key(document: Document) -> str:
    """A document's record key: ``bill:qbo/145``; a contact's names its version too."""
    source = document.source
    key = f"{document.type}:{source.connection}/{source.external_id}"
    if document.type == "contact":
        key += f"@{source.version or source.updated_at or ''}"
    return key


def _vendor(ref: Ref | None) -> str | None:
    """The name a reference goes by (mapping cannot be imported here: it imports sync)."""
    return None if ref is None else ref.name or ref.external_id or ref.id


def _outflow(document: Document, kind: str, channel: str, vendor: str | None,
             number: str | None, amount: int, currency: str, date: dt.date) -> Outflow | None:
    if not vendor:
        return None
    return Outflow(document_key(document), kind, channel, vendor_key(vendor), vendor,
                   number, amount, currency, date)


def outflow_of(document: Document) -> Outflow | None:
    """The outflow a document makes, or None (money coming in, no vendor, other types)."""
    if isinstance(document, Bill) and document.status != "void" and document.total:
        return _outflow(document, "bill", "", _vendor(document.vendor), document.number,
                        document.total.minor, document.currency, document.issue_date)
    if isinstance(document, Payment) and document.direction == "sent":
        channel = ("processor" if document.processor else
                   "card" if document.method == "card" else "bank")
        applied = document.applications[0].document if document.applications else None
        return _outflow(document, "payment", channel, _vendor(document.contact), _vendor(applied),
                        document.amount.minor, document.currency, document.date)
    if isinstance(document, Refund) and document.direction == "sent":
        return _outflow(document, "refund", "processor" if document.processor else "bank",
                        _vendor(document.contact), None, document.amount.minor,
                        document.currency, document.date)
    if isinstance(document, Expense) and document.total:
        card = document.payment_method == "card" or "card" in (document.paid_with or "").lower()
        return _outflow(document, "card" if card else "expense", "card" if card else "bank",
                        _vendor(document.vendor), None, document.total.minor,
                        document.currency, document.date)
    if isinstance(document, Contact) and document.kind != "customer" and document.iban:
        changed = document.source.updated_at
        if changed is None:
            return None
        found = _outflow(document, "contact", "", document.name, None, 0,
                         document.currency or "XXX", changed.date())
        return None if found is None else replace(found, account=document.iban)
    return None


def _entity_connections(entity_id: int):  # noqa: ANN202 - a select
    return select(connections.c.id).where(connections.c.entity_id == entity_id)


def document_outflows(conn: Connection, entity_id: int) -> Iterator[Outflow]:
    """Outflows of the entity's current documents and every version of its vendors."""
    rows = conn.execute(select(documents.c.type, documents.c.status, documents.c.data).where(
        documents.c.connection_id.in_(_entity_connections(entity_id)),
        documents.c.type.in_(sorted(SCREENED_TYPES)),
        documents.c.status.in_(("current", "superseded"))).order_by(documents.c.id))
    for row in rows:
        if row.status == "superseded" and row.type != "contact":
            continue
        found = outflow_of(parse(row.data))
        if found is not None:
            yield found


def bank_outflows(conn: Connection, entity_id: int) -> Iterator[Outflow]:
    """Booked bank debits, except lines held or discarded as duplicates of other lines."""
    rows = conn.execute(select(bank_lines).where(
        bank_lines.c.entity_id == entity_id, bank_lines.c.amount < 0,
        bank_lines.c.pending.is_(False),
        bank_lines.c.status.not_in(("review", "discarded"))).order_by(bank_lines.c.id))
    for r in rows:
        name = r.counterparty or r.description
        if name:
            yield Outflow(f"bank_line:{r.id}", "bank", "bank", vendor_key(name), name, None,
                          -r.amount, r.currency, r.booking_date, r.counterparty_account)


def vendor_postings(conn: Connection, entity_id: int, currency: str) -> Iterator[Posting]:
    """Expense lines with the party of their entry (the vendor line's party)."""
    parties = (select(journal_lines.c.entry_id, func.max(journal_lines.c.party).label("party"))
               .where(journal_lines.c.entity_id == entity_id, journal_lines.c.party.is_not(None))
               .group_by(journal_lines.c.entry_id).subquery())
    rows = conn.execute(
        select(journal_lines.c.id, journal_lines.c.date, journal_lines.c.amount,
               accounts.c.code, accounts.c.name, parties.c.party)
        .join(accounts, accounts.c.id == journal_lines.c.account_id)
        .join(parties, parties.c.entry_id == journal_lines.c.entry_id)
        .where(journal_lines.c.entity_id == entity_id, accounts.c.type == "expense")
        .order_by(journal_lines.c.id))
    for r in rows:
        yield Posting(f"journal_line:{r.id}", r.party, r.code, r.name, r.date, r.amount, currency)


def manual_entries(conn: Connection, entity_id: int, currency: str) -> Iterator[ManualEntry]:
    """Entries made by hand: no connection, no source object, not a reversal."""
    je = journal_entries
    debits = func.sum(journal_lines.c.amount).filter(journal_lines.c.amount > 0)
    rows = conn.execute(
        select(je.c.id, je.c.date, je.c.memo, debits.label("debits"))
        .join(journal_lines, journal_lines.c.entry_id == je.c.id)
        .where(je.c.entity_id == entity_id, je.c.connection.is_(None),
               je.c.object_type.is_(None), je.c.reverses_id.is_(None))
        .group_by(je.c.id, je.c.date, je.c.memo).order_by(je.c.id))
    for r in rows:
        yield ManualEntry(f"entry:{r.id}", r.date, int(r.debits or 0), currency, r.memo)
