"""What each Stripe movement posts, from the SDK's call to the ledger's balances.

Charges, refunds and payment intents are made through the official SDK against the
emulator; its signed webhooks reach the real gateway; the worker posts them.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlalchemy import func, select

from ledgerbridge.connectors.stripe.signature import sign
from ledgerbridge.documents import parse_document
from ledgerbridge.store.tables import inbox, journal_entries
from ledgerbridge.sync.apply import apply_document, make_lookup
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.sync.worker import connection_rules
from tests.connectors.stripe.conftest import NAME, WEBHOOK_SECRET, balances, control, work
from tests.sync.samples import invoice


def count(ledger, table, *where) -> int:
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def post_event(gateway: str, event: dict, *, secret: str = WEBHOOK_SECRET,
               stamp: int | None = None) -> httpx.Response:
    """Deliver one Stripe event to the gateway as Stripe would (signed now, unless told)."""
    body = json.dumps(event).encode()
    return httpx.post(f"{gateway}/webhooks/{NAME}", content=body,
                      headers={"stripe-signature": sign(body, secret, stamp)})


def events(account, type_: str) -> list[dict]:
    return [e for e in account.sequence("event")[0] if e["type"] == type_]


def test_charge_posts_gross_fee_and_sale_and_a_redelivery_posts_nothing(
        ledger, connection, client, account, emulator):
    client.v1.charges.create(params={"amount": 10000, "currency": "usd"})
    (delivered,) = events(account, "charge.succeeded")
    assert control(emulator, f"events/{delivered['id']}/deliver") == {"status": 200}
    work(ledger)
    assert balances(ledger) == {"1150": 9680, "6600": 320, "4010": -10000}
    assert count(ledger, journal_entries) == 1
    assert count(ledger, inbox) == 1


def test_zero_fee_charge_posts_two_lines(ledger, connection, client, emulator):
    control(emulator, "pricing", percent_bp=0, fixed=0)
    client.v1.payment_intents.create(params={"amount": 4200, "currency": "usd",
                                             "confirm": True})
    work(ledger)
    assert balances(ledger) == {"1150": 4200, "4010": -4200}


def test_partial_refunds_leave_the_fee_spent(ledger, connection, client):
    charge = client.v1.charges.create(params={"amount": 10000, "currency": "usd"})
    client.v1.refunds.create(params={"charge": charge.id, "amount": 3000})
    client.v1.refunds.create(params={"charge": charge.id, "amount": 2000})
    work(ledger)
    assert balances(ledger) == {"1150": 9680 - 5000, "6600": 320, "4010": -10000,
                                "4060": 5000}


def test_refund_delivered_before_its_charge_waits_then_posts(
        ledger, connection, client, account, gateway):
    account.on_event = None  # hold the webhooks; they are delivered below, out of order
    charge = client.v1.charges.create(params={"amount": 8000, "currency": "usd"})
    client.v1.refunds.create(params={"charge": charge.id, "amount": 8000})
    (refund,) = events(account, "refund.created")
    assert post_event(gateway, refund).status_code == 202
    work(ledger)
    with ledger.engine.connect() as conn:
        assert conn.execute(select(inbox.c.status, inbox.c.depends_on)).one() == (
            "waiting", f"payment:{charge.id}")
    (succeeded,) = events(account, "charge.succeeded")
    assert post_event(gateway, succeeded).status_code == 202
    work(ledger)
    assert count(ledger, inbox, inbox.c.status == "posted") == 2
    assert balances(ledger) == {"1150": 8000 - 262 - 8000, "6600": 262, "4010": -8000,
                                "4060": 8000}


@pytest.mark.parametrize("stamp_offset", [0, -301], ids=["wrong secret", "stale"])
def test_wrong_or_stale_signature_gets_401_and_stores_nothing(
        ledger, connection, client, account, gateway, stamp_offset):
    account.on_event = None
    client.v1.charges.create(params={"amount": 5000, "currency": "usd"})
    (event,) = events(account, "charge.succeeded")
    secret = "whsec_somebody_else" if stamp_offset == 0 else WEBHOOK_SECRET
    response = post_event(gateway, event, secret=secret, stamp=int(time.time()) + stamp_offset)
    assert response.status_code == 401
    work(ledger)
    assert count(ledger, inbox) == 0
    assert balances(ledger) == {}


def test_euro_charge_settled_in_dollars_books_the_exchange_difference(
        ledger, connection, client):
    sent = {**invoice("INV-EU", "100.00", "0.00"), "currency": "EUR", "exchange_rate": "1.10"}
    sent["source"]["connection"] = NAME
    with ledger.engine.begin() as conn:  # the invoice as this connection knows it
        apply_document(conn, ledger, connection.id, parse_document(sent),
                       connection_rules(connection, ledger),
                       lookup=make_lookup(conn, connection.id))
    client.v1.charges.create(params={"amount": 10000, "currency": "eur",
                                     "metadata": {"invoice": "INV-EU"}})
    work(ledger)
    # 100.00 EUR reached Stripe as 108.50 USD (1.085) but was invoiced at 110.00 USD
    # (1.10): 1.50 USD exchange loss. The 3.45 USD fee is charged in dollars.
    assert balances(ledger) == {"1150": 10850 - 345, "6600": 345, "4920": 150,
                                "4020": -11000}


def test_disputes_won_return_everything_and_lost_cost_amount_and_fee(
        ledger, connection, client, emulator):
    won = client.v1.charges.create(params={"amount": 3000, "currency": "usd"})
    lost = client.v1.charges.create(params={"amount": 5000, "currency": "usd"})
    for charge, outcome in ((won, "won"), (lost, "lost")):
        dispute = control(emulator, "disputes", charge=charge.id)
        work(ledger)
        control(emulator, f"disputes/{dispute['id']}/close", outcome=outcome)
    work(ledger)
    fees = 117 + 175
    assert balances(ledger) == {"1150": 8000 - fees - 5000 - 1500, "6600": fees,
                                "6800": 5000 + 1500, "4010": -8000}


def test_failed_payout_reverses_its_transit_and_a_paid_one_moves_the_net(
        ledger, connection, client, emulator):
    client.v1.charges.create(params={"amount": 10000, "currency": "usd"})
    payout = client.v1.payouts.create(params={"amount": 9680})
    poll_connection(ledger.engine, connection, streams=["payouts"])  # in transit: no webhook
    work(ledger)
    assert balances(ledger)["1160"] == 9680
    control(emulator, f"payouts/{payout.id}/settle", outcome="failed")
    work(ledger)
    assert balances(ledger) == {"1150": 9680, "6600": 320, "4010": -10000}
    control(emulator, "payouts/automatic", outcome="paid")  # the returned funds, again
    work(ledger)
    assert balances(ledger) == {"1160": 9680, "6600": 320, "4010": -10000}


def test_stripe_fee_not_tied_to_a_charge_is_a_fee(ledger, connection, client, emulator):
    control(emulator, "fees", amount=1999, description="Radar - Fraud screening")
    poll_connection(ledger.engine, connection, streams=["balance_transactions"])
    work(ledger)
    assert balances(ledger) == {"6600": 1999, "1150": -1999}
