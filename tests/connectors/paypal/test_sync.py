"""PayPal through the whole engine: webhooks at the gateway, polls, the worker, the ledger."""

from __future__ import annotations

import json
import uuid

import httpx
from sqlalchemy import func, select

from ledgerbridge.connectors.paypal.emulator import AUTH_ALGO, WEBHOOK_ID, webhook_signature
from ledgerbridge.money import parse_minor
from ledgerbridge.store.tables import journal_entries
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.paypal.conftest import (
    WEBHOOK_SECRET,
    balance,
    connect,
    inbox_statuses,
    work,
)

CLEARING, TRANSIT, FEES, LOSSES, REFUNDS, SALES = "1150", "1160", "6600", "6800", "4060", \
    "4010"  # a PayPal payment that pays no invoice is a sale (the connector's mapping)


def minor(money: dict) -> int:
    return parse_minor(money["value"], money["currency_code"])


def entries(ledger) -> int:
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(journal_entries)).scalar_one()


def events(sandbox, event_type: str) -> list[dict]:
    return [e for e in sandbox.control("GET", "/webhooks") if e["event_type"] == event_type]


def signed(body: bytes) -> dict[str, str]:
    transmission = str(uuid.uuid4())
    when = "2026-11-25T10:00:00Z"
    return {"content-type": "application/json", "paypal-transmission-id": transmission,
            "paypal-transmission-time": when, "paypal-auth-algo": AUTH_ALGO,
            "paypal-cert-url": "https://api.paypal.com/v1/notifications/certs/CERT",
            "paypal-transmission-sig": webhook_signature(transmission, when, WEBHOOK_ID, body,
                                                         WEBHOOK_SECRET)}


def test_sdk_checkout_and_partial_refund_post_once_however_often_delivered(ledger, live):
    paypal = connect(ledger, live.url)
    capture = live.checkout("100.00")
    refund = live.refund(capture["id"], "30.00")
    fee = minor(capture["seller_receivable_breakdown"]["paypal_fee"])
    returned = minor(refund["seller_payable_breakdown"]["paypal_fee"])
    assert [d["status"] for d in live.control("GET", "/stats")["deliveries"]] == [202, 202]
    assert work(ledger).posted == 2
    assert balance(ledger, CLEARING) == 10000 - fee - (3000 - returned)
    assert balance(ledger, FEES) == fee - returned
    assert balance(ledger, REFUNDS) == 3000
    assert balance(ledger, SALES) == -10000

    (completed,) = events(live, "PAYMENT.CAPTURE.COMPLETED")
    assert live.control("POST", f"/webhooks/{completed['id']}/resend")["status"] == 200
    (polled,) = poll_connection(ledger.engine, paypal)
    assert (polled.read, polled.stored, polled.error) == (2, 0, None)  # both already stored
    work(ledger)
    assert inbox_statuses(ledger) == ["posted", "posted"]
    assert entries(ledger) == 2


def test_a_refund_arriving_before_its_capture_waits_for_it(ledger, live):
    connect(ledger, live.url)
    live.control("PUT", "/config", {"send_webhooks": False})
    capture = live.checkout("60.00")
    live.refund(capture["id"])
    (refunded,) = events(live, "PAYMENT.CAPTURE.REFUNDED")
    (completed,) = events(live, "PAYMENT.CAPTURE.COMPLETED")
    live.control("POST", f"/webhooks/{refunded['id']}/resend")
    work(ledger)
    assert inbox_statuses(ledger) == ["waiting"]
    live.control("POST", f"/webhooks/{completed['id']}/resend")
    work(ledger)  # posting the capture wakes the refund in the same run
    assert inbox_statuses(ledger) == ["posted", "posted"]
    kept = minor(capture["seller_receivable_breakdown"]["paypal_fee"]) - 209  # fixed fee kept
    assert balance(ledger, CLEARING) == -kept
    assert balance(ledger, FEES) == kept


def test_a_foreign_currency_capture_lands_at_paypals_converted_amount(ledger, live):
    connect(ledger, live.url)
    live.control("PUT", "/config", {"rates": {"EUR": "1.0850"}})
    capture = live.checkout("250.00", "EUR")
    work(ledger)
    received = minor(capture["seller_receivable_breakdown"]["receivable_amount"])
    assert balance(ledger, CLEARING) == received
    assert balance(ledger, SALES) == -27125  # 250.00 EUR at 1.0850


def test_a_reversal_is_a_lost_dispute_with_its_fee(ledger, live):
    connect(ledger, live.url)
    capture = live.checkout("50.00")
    live.control("POST", f"/captures/{capture['id']}/reverse", {"fee": "20.00"})
    work(ledger)
    net = minor(capture["seller_receivable_breakdown"]["net_amount"])
    assert balance(ledger, LOSSES) == 5000 + 2000
    assert balance(ledger, CLEARING) == net - 7000


def test_a_zero_fee_capture_posts_no_fee_line(ledger, live):
    connect(ledger, live.url)
    live.control("PUT", "/config", {"fee_percent": "0", "fee_fixed": "0"})
    capture = live.checkout("12.00")
    assert capture["seller_receivable_breakdown"]["paypal_fee"]["value"] == "0.00"
    work(ledger)
    assert balance(ledger, CLEARING) == 1200
    assert balance(ledger, FEES) == 0


def test_a_webhook_failing_verification_is_refused_and_not_stored(ledger, live, gateway):
    connect(ledger, live.url)
    live.control("PUT", "/config", {"send_webhooks": False})
    live.checkout("10.00")
    (completed,) = events(live, "PAYMENT.CAPTURE.COMPLETED")
    body = json.dumps(completed, separators=(",", ":")).encode()
    headers = signed(body)
    tampered = body.replace(b'"10.00"', b'"99.00"')
    url = f"{gateway}/webhooks/paypal"
    assert httpx.post(url, content=tampered, headers=headers).status_code == 401
    assert httpx.post(url, content=body, headers={"content-type": "application/json"}
                      ).status_code == 401
    assert inbox_statuses(ledger) == []
    assert httpx.post(url, content=body, headers=headers).status_code == 202


def test_a_paypal_outage_during_verification_is_refused(ledger, gateway):
    connect(ledger, "http://127.0.0.1:9")  # nothing listens there
    body = b'{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"C"}}'
    answer = httpx.post(f"{gateway}/webhooks/paypal", content=body, headers=signed(body))
    assert answer.status_code == 401 and "could not verify" in answer.json()["error"]
    assert inbox_statuses(ledger) == []


def test_a_pending_capture_posts_when_it_completes(ledger, live):
    connect(ledger, live.url)
    live.control("PUT", "/config", {"capture_status": "PENDING"})
    capture = live.checkout("40.00")
    work(ledger)
    assert inbox_statuses(ledger) == ["ignored"] and entries(ledger) == 0
    live.control("POST", f"/captures/{capture['id']}/complete")
    work(ledger)
    assert inbox_statuses(ledger) == ["ignored", "posted"]
    assert balance(ledger, SALES) == -4000


def test_withdrawals_and_fees_come_from_polling(ledger, sandbox):
    paypal = connect(ledger, sandbox.url)
    sandbox.checkout("300.00")
    sandbox.control("POST", "/withdrawals", {"amount": "200.00"})
    sandbox.control("POST", "/withdrawals", {"amount": "50.00", "status": "P"})
    sandbox.control("POST", "/fees", {"amount": "2.50"})
    (polled,) = poll_connection(ledger.engine, paypal)
    assert polled.stored == 4
    work(ledger)
    assert balance(ledger, TRANSIT) == 20000
    rows = sandbox.control("GET", "/transactions")
    settled = sum(r["amount"] + r["fee"] for r in rows if r["status"] == "S")
    assert balance(ledger, CLEARING) == settled
