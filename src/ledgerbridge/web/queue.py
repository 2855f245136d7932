"""The exceptions queue: dead-lettered events and bank lines held for review, with advice."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.store.tables import accounts, bank_lines, connections, inbox
from ledgerbridge.sync.inbox import EventStatus

__all__ = ["DeadEvent", "ReviewLine", "dead_events", "decide_review_line", "review_lines"]

# What to do about an error, by what it says; the first match wins.
_ADVICE = (
    (r"signature", "Check the connection's secret with the sender, then replay."),
    (r"period .* (locked|closed)", "Reopen the period or post an adjustment, then replay."),
    (r"account", "Add the account to the chart or fix the mapping's account role, then replay."),
    (r"mapping|rule", "Fix the connection's mapping (ledgerbridge mapping validate), then replay."),
    (r"changed after invoicing|exception", "Decide on the change in the source system "
     "(reissue or credit the invoice), then replay."),
    (r"currency|rate", "Add the missing exchange rate or currency, then replay."),
    (r"json|malformed|invalid|validation|field required|unreadable",
     "The sender sent a record ledgerbridge cannot read: have it fixed at the source; "
     "the raw payload is kept for replay."),
)
_DEFAULT_ADVICE = "Read the error, fix its cause (connector, mapping or chart), then replay."
REVIEW_ADVICE = ("Probably a duplicate of a line already stored: keep it if the bank really "
                 "booked it twice, else discard it.")


def advice(error: str | None) -> str:
    """What a person should do about an event that failed with ``error``."""
    text = (error or "").lower()
    return next((what for pattern, what in _ADVICE if re.search(pattern, text)),
                _DEFAULT_ADVICE)


@dataclass(frozen=True, slots=True)
class DeadEvent:
    """An inbox event in the dead-letter queue."""

    id: int
    connection: str
    received_at: dt.datetime
    object_type: str | None
    object_id: str | None
    attempts: int
    error: str
    advice: str


@dataclass(frozen=True, slots=True)
class ReviewLine:
    """A bank line held for a person to decide on."""

    id: int
    account: str
    booking_date: dt.date
    amount: int
    currency: str
    description: str
    reason: str


def dead_events(conn: Connection, limit: int = 500) -> list[DeadEvent]:
    """Dead-lettered events, newest first."""
    query = (select(inbox.c.id, connections.c.name, inbox.c.received_at, inbox.c.object_type,
                    inbox.c.object_id, inbox.c.attempts, inbox.c.last_error)
             .join(connections, connections.c.id == inbox.c.connection_id)
             .where(inbox.c.status == EventStatus.DEAD.value)
             .order_by(inbox.c.received_at.desc(), inbox.c.id.desc()).limit(limit))
    return [DeadEvent(r.id, r.name, r.received_at, r.object_type, r.object_id, r.attempts,
                      r.last_error or "", advice(r.last_error)) for r in conn.execute(query)]


def review_lines(conn: Connection, ledger: Ledger, limit: int = 500) -> list[ReviewLine]:
    """The entity's bank lines in review, oldest first."""
    query = (select(bank_lines.c.id, accounts.c.code, bank_lines.c.booking_date,
                    bank_lines.c.amount, bank_lines.c.currency, bank_lines.c.description,
                    bank_lines.c.review_reason)
             .join(accounts, accounts.c.id == bank_lines.c.account_id)
             .where(bank_lines.c.entity_id == ledger.entity.id, bank_lines.c.status == "review")
             .order_by(bank_lines.c.booking_date, bank_lines.c.id).limit(limit))
    return [ReviewLine(r.id, r.code, r.booking_date, r.amount, r.currency, r.description,
                       r.review_reason or "") for r in conn.execute(query)]


def decide_review_line(ledger: Ledger, line_id: int, keep: bool) -> None:
    """Keep a reviewed line (it becomes unreconciled) or discard it as a duplicate."""
    with ledger.engine.begin() as conn:
        done = conn.execute(update(bank_lines).where(
            bank_lines.c.id == line_id, bank_lines.c.entity_id == ledger.entity.id,
            bank_lines.c.status == "review").values(
            status="unreconciled" if keep else "discarded")).rowcount
    if not done:
        raise LedgerError(f"bank line {line_id} is not waiting for review")
