"""A small company's books for the dashboard tests: synced, manual, bank and broken records."""

from __future__ import annotations

import datetime as dt
import json

import httpx

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.connectors.webhook import sign
from ledgerbridge.ledger import Entry, Ledger, Line
from ledgerbridge.money import Money
from ledgerbridge.reconcile import run
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.inbox import Channel, EventStatus, store_events
from ledgerbridge.sync.worker import Worker
from tests.reconcile.test_reconcile import bank

SECRET = "whsec_dashboard_0123"
DAY = dt.date(2026, 3, 2)


def usd(text: str) -> Money:
    return Money.parse(text, "USD")


def invoice_body(number: str, issue_date: str = "2026-02-01") -> bytes:
    """A canonical invoice for 108.25 (consulting plus Texas tax) from "shop", as JSON."""
    return json.dumps({
        "type": "invoice", "number": number, "issue_date": issue_date,
        "due_date": "2026-03-03", "currency": "USD", "status": "open",
        "source": {"connection": "shop", "object_type": "invoice", "external_id": number},
        "customer": {"external_id": "acme", "name": "Acme Corp"},
        "lines": [{"description": "Consulting", "amount": "100.00",
                   "tax_lines": [{"jurisdiction": "US-TX", "amount": "8.25"}]}],
    }).encode()


def synced_invoice(site: str, ledger: Ledger) -> None:
    """INV-1 sent by the "shop" connection and posted by a worker."""
    body = invoice_body("INV-1")
    answer = httpx.post(f"{site}/webhooks/shop", content=body, headers={
        "content-type": "application/json", "x-ledgerbridge-signature": sign(body, SECRET)})
    assert answer.status_code == 202, answer.text
    Worker(ledger.engine).run_until_idle()


def manual_invoice(ledger: Ledger, party: str, amount: str, number: str) -> int:
    return ledger.post(Entry(
        date=DAY, memo=f"Invoice {number}",
        lines=(Line("1100", usd(amount), party=party), Line("4010", -usd(amount)))))


def bank_line(ledger: Ledger, amount: str, text: str, counterparty: str, *,
              day: dt.date = DAY, status: str = "unreconciled", reason: str | None = None
              ) -> int:
    return bank(ledger, amount, text, counterparty, day, status=status, reason=reason)


def dead_event(ledger: Ledger, connection_id: int, event_id: str = "evt-dead",
               body: bytes = b'{"type": "invoice"}') -> int:
    with ledger.engine.begin() as conn:
        (stored,) = store_events(conn, connection_id, Channel.WEBHOOK,
                                 [RawEvent(body, event_id=event_id)],
                                 status=EventStatus.DEAD,
                                 error="no account 9999 in the chart")
    return stored.id


def seed(site: str, ledger: Ledger) -> dict[str, int]:
    """The books; returns the ids the tests look for."""
    shop = add_connection(ledger.engine, "shop", "webhook", settings={"secret": SECRET})
    synced_invoice(site, ledger)
    manual_invoice(ledger, "Johnson & Partners LLC", "830.40", "INV-2001")
    manual_invoice(ledger, "Globex Ltd", "99.00", "INV-3001")
    manual_invoice(ledger, "Globex Ltd", "99.00", "INV-3002")
    ids = {
        "typo": bank_line(ledger, "830.40", "INCOMING TRANSFER", "JONSON PARTNRS",
                          day=DAY + dt.timedelta(days=2)),
        "globex": bank_line(ledger, "99.00", "TRANSFER", "GLOBEX LTD"),
        "review": bank_line(ledger, "99.00", "TRANSFER", "GLOBEX LTD", status="review",
                            reason="probable duplicate of bank line 2 (same amount, 0 days)"),
        "dead": dead_event(ledger, shop.id),
    }
    run(ledger, auto_threshold=101)  # everything stays a suggestion
    return ids
