"""The exceptions queue: what did not flow on its own, each with its reason and what to do.

Dead-lettered inbox events, dead outbox commands (a write-back a target refused, such
as a contact push that matched several records), bank lines held for review, card
lines still missing a receipt after the connection's policy days, and receipt files
that fit several card lines about equally.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select, update

from ledgerbridge.connectors.ramp.attach import missing_rows, receipt_policy
from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.money import Money
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    connections,
    documents,
    inbox,
    intake_documents,
    outbox,
    receipt_matches,
)
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.inbox import EventStatus

__all__ = ["DeadCommand", "DeadEvent", "HeldReceipt", "MissingReceipt", "ReviewLine",
           "dead_commands", "dead_events", "decide_review_line", "held_receipts",
           "missing_receipts", "retry_command", "review_lines"]

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


COMMAND_ADVICE = ("Fix the cause in the target system (for several candidates: merge or "
                  "delete the duplicates there), then retry.")
MISSING_ADVICE = "Ask the card holder for the receipt, then add it (documents add)."
HELD_ADVICE = "Pick the card line this receipt belongs to."


@dataclass(frozen=True, slots=True)
class DeadCommand:
    """An outbox command (a write-back) that failed for good."""

    id: int
    connection: str
    command: str
    created_at: dt.datetime
    attempts: int
    error: str
    advice: str


@dataclass(frozen=True, slots=True)
class MissingReceipt:
    """A card line without a receipt past its connection's policy days.

    Attributes:
        entry_id: the card line's GL entry, where it is opened.

    """

    connection: str
    transaction_id: str
    date: dt.date
    age_days: int
    merchant: str | None
    card_holder: str | None
    amount: Money
    entry_id: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class HeldReceipt:
    """A receipt file that fits several card lines (or shares one with another file)."""

    document_id: int
    file_name: str
    connection: str
    transaction_ids: tuple[str, ...]
    reason: str


def dead_commands(conn: Connection, limit: int = 500) -> list[DeadCommand]:
    """Dead outbox commands, newest first."""
    query = (select(outbox.c.id, connections.c.name, outbox.c.command, outbox.c.created_at,
                    outbox.c.attempts, outbox.c.last_error)
             .join(connections, connections.c.id == outbox.c.connection_id)
             .where(outbox.c.status == "dead")
             .order_by(outbox.c.created_at.desc(), outbox.c.id.desc()).limit(limit))
    return [DeadCommand(r.id, r.name, r.command, r.created_at, r.attempts,
                        r.last_error or "", COMMAND_ADVICE) for r in conn.execute(query)]


def retry_command(engine: Engine, command_id: int) -> None:
    """Queue a dead outbox command again, its attempts counted afresh."""
    with engine.begin() as conn:
        done = conn.execute(update(outbox).where(
            outbox.c.id == command_id, outbox.c.status == "dead").values(
            status="pending", attempts=0, next_attempt_at=None)).rowcount
    if not done:
        raise LedgerError(f"outbox command {command_id} is not dead")


def missing_receipts(conn: Connection, ledger: Ledger,
                     today: dt.date | None = None) -> list[MissingReceipt]:
    """Card lines of the entity's Ramp connections missing a receipt past their policy."""
    today = today or dt.date.today()
    currency = ledger.entity.functional_currency
    found = []
    names = conn.execute(select(connections.c.name).where(
        connections.c.entity_id == ledger.entity.id, connections.c.system == "ramp")
        .order_by(connections.c.id)).scalars().all()
    for name in names:
        record = get_connection(conn, name)
        days, over = receipt_policy(record, currency)
        rows = missing_rows(conn, record, older_than_days=days, today=today, over=over)
        entries = _entries(conn, record.id, [r["transaction"] for r in rows])
        threshold = f" above {over}" if over else ""
        found += [MissingReceipt(
            name, r["transaction"], r["date"], r["age_days"], r["merchant"], r["card_holder"],
            r["amount"], entries.get(r["transaction"]),
            f"no receipt after {r['age_days']} days (policy: {days} days{threshold})")
            for r in rows]
    return found


def _entries(conn: Connection, connection_id: int, external_ids: list[str]) -> dict[str, int]:
    if not external_ids:
        return {}
    d = documents.c
    return dict(conn.execute(select(d.external_id, d.entry_id).where(
        d.connection_id == connection_id, d.type == "expense", d.status == "current",
        d.external_id.in_(external_ids))).all())


def held_receipts(conn: Connection, ledger: Ledger) -> list[HeldReceipt]:
    """Receipt files held for review: each with the card lines it may belong to."""
    r, d = receipt_matches.c, intake_documents.c
    rows = conn.execute(select(r.document_id, d.file_name, connections.c.name,
                               r.transaction_id, r.reason)
                        .join(intake_documents, d.id == r.document_id)
                        .join(connections, connections.c.id == r.connection_id)
                        .where(r.entity_id == ledger.entity.id, r.status == "review")
                        .order_by(r.document_id, r.transaction_id)).all()
    held: dict[tuple[int, str], list] = {}
    for row in rows:
        held.setdefault((row.document_id, row.name), []).append(row)
    return [HeldReceipt(doc, group[0].file_name, name,
                        tuple(row.transaction_id for row in group), group[0].reason or "")
            for (doc, name), group in held.items()]

