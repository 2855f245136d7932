"""The Stripe emulator, driven through the official SDK as an integration would drive Stripe."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import stripe
from fastapi import FastAPI, Request

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.stripe.account import Account
from ledgerbridge.connectors.stripe.emulator import create_emulator
from ledgerbridge.connectors.stripe.signature import verify
from ledgerbridge.sandbox.emulators import SandboxOptions
from tests.conftest import SHARED
from tests.connectors.stripe.conftest import API_KEY, WEBHOOK_SECRET, control

FIXTURES = SHARED / "specs" / "stripe" / "fixtures3.json"


@pytest.fixture(scope="module")
def received() -> Iterator[tuple[str, list]]:
    """A webhook receiver that keeps what it is sent: (URL, [(headers, body)])."""
    app, kept = FastAPI(), []

    @app.post("/hook")
    async def hook(request: Request) -> dict:
        kept.append((dict(request.headers), await request.body()))
        return {}

    with serve_in_thread(app) as url:
        yield f"{url}/hook", kept


@pytest.fixture(scope="module")
def emulator(received) -> Iterator[str]:
    options = SandboxOptions(API_KEY, received[0], WEBHOOK_SECRET)
    with serve_in_thread(create_emulator(options, Account(seed=3))) as url:
        yield url


@pytest.fixture(scope="module")
def client(emulator) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": emulator}, max_network_retries=0)


def test_a_wrong_key_gets_401_with_stripes_error_body(emulator):
    bad = stripe.StripeClient("sk_test_wrong_key_0000", base_addresses={"api": emulator},
                              max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as refused:
        bad.v1.charges.list()
    assert refused.value.http_status == 401
    assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    assert "sk_test_wrong_key_0000" not in str(refused.value)
    assert httpx.get(f"{emulator}/v1/charges").status_code == 401
    assert httpx.get(f"{emulator}/v1/charges", auth=(API_KEY, "")).status_code == 200


def test_errors_carry_type_code_message_and_param(client):
    charge = client.v1.charges.create(params={"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 1001})
    assert (refused.value.http_status, refused.value.code, refused.value.param) == (
        400, "amount_too_large", "amount")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.charges.retrieve("ch_nope")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_idempotency_key_replays_the_same_answer_and_refuses_other_parameters(client,
                                                                              emulator):
    options = {"idempotency_key": "order-77"}
    first = client.v1.charges.create(params={"amount": 700, "currency": "usd"}, options=options)
    again = client.v1.charges.create(params={"amount": 700, "currency": "usd"}, options=options)
    assert again.id == first.id
    raw = httpx.post(f"{emulator}/v1/charges", data={"amount": 700, "currency": "usd"},
                     headers={"authorization": f"Bearer {API_KEY}",
                              "idempotency-key": "order-77"})
    assert raw.headers["idempotent-replayed"] == "true" and raw.json()["id"] == first.id
    with pytest.raises(stripe.IdempotencyError) as refused:
        client.v1.charges.create(params={"amount": 701, "currency": "usd"}, options=options)
    assert refused.value.http_status == 400


def test_charges_settle_with_fee_and_exchange_rate_in_stripes_units(client):
    usd = client.v1.charges.create(params={"amount": 10000, "currency": "usd",
                                           "metadata": {"invoice": "INV-9"},
                                           "expand": ["balance_transaction"]})
    assert usd.metadata["invoice"] == "INV-9"
    assert (usd.balance_transaction.amount, usd.balance_transaction.fee,
            usd.balance_transaction.net) == (10000, 320, 9680)
    yen = client.v1.payment_intents.create(params={"amount": 1000, "currency": "jpy",
                                                   "confirm": True})
    assert yen.status == "succeeded"
    txn = client.v1.balance_transactions.retrieve(
        client.v1.charges.retrieve(yen.latest_charge).balance_transaction)
    # 1000 yen (zero-decimal) at 0.0067 is 6.70 USD
    assert (txn.amount, txn.currency, str(txn.exchange_rate)) == (670, "usd", "0.0067")
    assert txn.fee == (670 * 290 + 5000) // 10000 + 30


def test_lists_page_newest_first_with_auto_pagination_and_created_filters(client):
    made = [client.v1.charges.create(params={"amount": 100 + i, "currency": "usd"}).id
            for i in range(23)]
    listed = [c.id for c in client.v1.charges.list(params={"limit": 5}).auto_paging_iter()]
    assert listed[:23] == made[::-1]
    newest = client.v1.charges.retrieve(made[-1]).created
    recent = client.v1.charges.list(params={"created": {"gte": newest}, "limit": 100})
    assert made[-1] in [c.id for c in recent.data]
    assert all(c.created >= newest for c in recent.data)
    assert client.v1.charges.list(params={"created": {"gt": newest}}).data == []


def test_payouts_sweep_the_balance_and_list_their_transactions(client, emulator):
    client.v1.charges.create(params={"amount": 5000, "currency": "eur"})
    balance = client.v1.balance.retrieve().available[0].amount
    payout = client.v1.payouts.create(params={"amount": balance})
    swept = list(client.v1.balance_transactions.list(
        params={"payout": payout.id, "limit": 3}).auto_paging_iter())
    assert sum(t.net for t in swept) == 0  # the payout's own transaction takes it all out
    assert sum(t.net for t in swept if t.type != "payout") == payout.amount == balance
    failed = control(emulator, f"payouts/{payout.id}/settle", outcome="failed")
    assert failed["status"] == "failed"
    back = client.v1.balance_transactions.retrieve(failed["failure_balance_transaction"])
    assert (back.type, back.amount) == ("payout_failure", balance)
    assert client.v1.balance.retrieve().available[0].amount == balance


def test_webhooks_are_signed_over_the_raw_body(client, emulator, received):
    received[1].clear()
    charge = client.v1.charges.create(params={"amount": 2500, "currency": "usd"})
    client.v1.refunds.create(params={"charge": charge.id})
    dispute = control(emulator, "disputes", charge=charge.id)
    control(emulator, f"disputes/{dispute['id']}/close", outcome="lost")
    types = []
    for headers, body in received[1]:
        verify(headers["stripe-signature"], body, WEBHOOK_SECRET, tolerance=300)
        types.append(json.loads(body)["type"])
    assert types == ["charge.succeeded", "charge.refunded", "charge.dispute.created",
                     "charge.dispute.closed"]
    events = client.v1.events.list(params={"type": "refund.created"})
    assert events.data[0].data.object.charge == charge.id


def _kind(value):
    return type(value).__name__ if value is not None else None


@pytest.mark.skipif(not FIXTURES.exists(), reason="shared Stripe fixtures not present")
def test_objects_have_the_keys_and_types_of_stripes_fixtures(client, emulator):
    resources = json.loads(FIXTURES.read_text())["resources"]
    charge = client.v1.charges.create(params={"amount": 4000, "currency": "gbp"})
    client.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    control(emulator, "disputes", charge=charge.id)
    client.v1.payment_intents.create(params={"amount": 900, "currency": "usd", "confirm": True})
    control(emulator, "payouts/automatic", outcome="paid")
    auth = {"authorization": f"Bearer {API_KEY}"}
    for kind, path in [("charge", "charges"), ("refund", "refunds"),
                       ("balance_transaction", "balance_transactions"),
                       ("dispute", "disputes"), ("payout", "payouts"),
                       ("payment_intent", "payment_intents"), ("event", "events")]:
        ours = httpx.get(f"{emulator}/v1/{path}", headers=auth).json()["data"][0]
        theirs = resources[kind]
        assert set(ours) == set(theirs), kind
        for key, value in ours.items():
            types = {_kind(value), _kind(theirs[key])} - {None}
            assert len(types) <= 1 or types == {"int", "float"}, (kind, key, types)
