"""Bank transaction documents from any connector go to the bank book, never the ledger."""

import json

from sqlalchemy import func, select

from ledgerbridge.connectors.base import WebhookRequest
from ledgerbridge.connectors.webhook import sign
from ledgerbridge.store.tables import bank_imports, inbox, journal_entries
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.inbox import Channel, store_events
from ledgerbridge.sync.worker import Worker
from tests.connectors.plaid.conftest import book

SECRET = "whsec_routing_0123456789"


def line(account="1010", amount="-81.80", ref="2024060412345", **extra):
    return {"type": "bank_transaction",
            "source": {"connection": "hook", "object_type": "camt053", "external_id": ref},
            "account": account, "booking_date": "2026-11-20", "amount": amount,
            "currency": "EUR", "description": "STRIPE PAYOUT", "bank_reference": ref,
            "counterparty": {"name": "Stripe"}, **extra}


def deliver(ledger, hook, document):
    raw = json.dumps(document).encode()
    request = WebhookRequest("POST", "/webhooks/hook",
                             {"x-ledgerbridge-signature": sign(raw, SECRET)}, raw)
    connector = hook.connector()
    connector.verify(request)
    with ledger.engine.begin() as conn:
        store_events(conn, hook.id, Channel.WEBHOOK, connector.split(request))
    Worker(ledger.engine).run_until_idle()


def count(ledger, table):
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_bank_transaction_document_is_a_bank_line(ledger):
    hook = add_connection(ledger.engine, "hook", "webhook", settings={"secret": SECRET})
    deliver(ledger, hook, line())
    deliver(ledger, hook, line(amount="-80.00", source={
        "connection": "hook", "object_type": "camt053", "external_id": "2024060412345",
        "version": "2"}))
    (row,) = book(ledger)
    assert (row.amount, row.currency, row.counterparty, row.bank_reference) == (
        -8000, "EUR", "Stripe", "2024060412345")
    assert count(ledger, journal_entries) == 0
    with ledger.engine.connect() as conn:
        names = [r.file_name for r in conn.execute(select(bank_imports))]
    assert names == ["hook:inbox:1", "hook:inbox:2"]


def test_an_account_that_is_no_bank_account_is_dead_lettered(ledger):
    hook = add_connection(ledger.engine, "hook", "webhook", settings={"secret": SECRET})
    deliver(ledger, hook, line(account="DE89370400440532013000"))
    with ledger.engine.connect() as conn:
        (row,) = conn.execute(select(inbox))
    assert row.status == "dead" and "no account 'DE89370400440532013000'" in row.last_error
    assert book(ledger) == []
