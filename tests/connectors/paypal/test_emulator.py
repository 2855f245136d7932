"""The PayPal emulator, driven through PayPal's own SDK and checked against PayPal's specs."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from paypalserversdk.exceptions.api_exception import ApiException

from ledgerbridge.connectors.paypal.emulator import AUTH_ALGO, WEBHOOK_ID, webhook_signature
from ledgerbridge.money import convert, parse_minor
from tests.connectors.paypal.conftest import CLIENT_ID, CLIENT_SECRET, WEBHOOK_SECRET, sdk_client
from tests.connectors.paypal.spec import problems

_NOW = dt.datetime.now(dt.UTC)
WINDOW = {"start_date": (_NOW - dt.timedelta(days=15)).strftime("%Y-%m-%dT%H:%M:%SZ"),
          "end_date": (_NOW + dt.timedelta(days=15)).strftime("%Y-%m-%dT%H:%M:%SZ")}


def token(url: str) -> str:
    response = httpx.post(f"{url}/v1/oauth2/token", auth=(CLIENT_ID, CLIENT_SECRET),
                          data={"grant_type": "client_credentials"})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    return body["access_token"]


def api(url: str, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"authorization": f"Bearer {token(url)}", **kwargs.pop("headers", {})}
    return httpx.request(method, f"{url}{path}", headers=headers, **kwargs)


def search(url: str, **params) -> httpx.Response:
    return api(url, "GET", "/v1/reporting/transactions", params={"fields": "all", **params})


def minor(money: dict) -> int:
    return parse_minor(money["value"], money["currency_code"])


def test_sdk_capture_and_refund_answer_in_paypals_shapes(sandbox):
    capture = sandbox.checkout("100.00", invoice_id="INV-7", custom_id="cart-7")
    assert problems("payments_payment_v2.json", "capture", capture) == []
    assert capture["status"] == "COMPLETED" and capture["invoice_id"] == "INV-7"
    breakdown = capture["seller_receivable_breakdown"]
    assert minor(breakdown["gross_amount"]) - minor(breakdown["paypal_fee"]) \
        == minor(breakdown["net_amount"])

    refund = sandbox.refund(capture["id"], "40.00")
    assert problems("payments_payment_v2.json", "refund", refund) == []
    payable = refund["seller_payable_breakdown"]
    assert minor(payable["gross_amount"]) == 4000
    assert 0 < minor(payable["paypal_fee"]) < minor(breakdown["paypal_fee"])
    assert sandbox.refund(capture["id"])["amount"]["value"] == "60.00"  # the rest
    shown = api(sandbox.url, "GET", f"/v2/payments/captures/{capture['id']}").json()
    assert shown["status"] == "REFUNDED"

    body = search(sandbox.url, **WINDOW).json()
    assert problems("reporting_transactions_v1.json", "search_response", body) == []
    codes = [d["transaction_info"]["transaction_event_code"] for d in body["transaction_details"]]
    assert codes == ["T0006", "T1107", "T1107"]
    payment, first_refund, _ = (d["transaction_info"] for d in body["transaction_details"])
    assert payment["fee_amount"]["value"] == "-" + breakdown["paypal_fee"]["value"]
    assert payment["invoice_id"] == "INV-7" and payment["custom_field"] == "cart-7"
    assert first_refund["paypal_reference_id"] == capture["id"]
    assert first_refund["transaction_amount"]["value"] == "-40.00"
    assert body["transaction_details"][0]["payer_info"]["email_address"]

    sandbox.control("POST", f"/captures/{capture['id']}/reverse", {"amount": "1.00"})
    sandbox.control("POST", "/withdrawals", {"amount": "10.00", "fee": "0.10"})
    sandbox.control("POST", "/fees", {"amount": "2.00"})
    body = search(sandbox.url, **WINDOW).json()
    assert problems("reporting_transactions_v1.json", "search_response", body) == []
    assert [d["transaction_info"]["transaction_event_code"]
            for d in body["transaction_details"]][3:] == ["T1201", "T0400", "T0100"]
    for event in sandbox.control("GET", "/webhooks"):
        assert problems("notifications_webhooks_v1.json", "event", event) == []
        schema = "capture" if event["resource_type"] == "capture" else "refund"
        assert problems("payments_payment_v2.json", schema, event["resource"]) == []


def test_foreign_currency_capture_is_converted_at_the_account_rate(sandbox):
    sandbox.control("PUT", "/config", {"rates": {"EUR": "1.1000"}})
    capture = sandbox.checkout("80.00", "EUR")
    breakdown = capture["seller_receivable_breakdown"]
    assert breakdown["exchange_rate"] == {"source_currency": "EUR", "target_currency": "USD",
                                          "value": "1.1000"}
    net = minor(breakdown["net_amount"])
    assert minor(breakdown["receivable_amount"]) == convert(net, "EUR", Decimal("1.1"), "USD")
    rows = sandbox.control("GET", "/transactions")
    assert [(r["code"], r["currency"]) for r in rows] == [
        ("T0006", "EUR"), ("T0200", "EUR"), ("T0200", "USD")]


def test_credentials_and_tokens_are_checked(sandbox):
    wrong = httpx.post(f"{sandbox.url}/v1/oauth2/token", auth=(CLIENT_ID, "nope"),
                       data={"grant_type": "client_credentials"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    with pytest.raises((ApiException, AuthValidationException)):
        sdk_client(sandbox.url, secret="nope").orders.get_order({"id": "X"})

    stale = httpx.get(f"{sandbox.url}/v2/payments/captures/X",
                      headers={"authorization": "Bearer not-a-token"})
    assert stale.status_code == 401
    assert problems("notifications_webhooks_v1.json", "error", stale.json()) == []
    assert stale.json()["name"] == "AUTHENTICATION_FAILURE"

    good = token(sandbox.url)
    sandbox.control("POST", "/tokens/expire")
    again = httpx.get(f"{sandbox.url}/v2/payments/captures/X",
                      headers={"authorization": f"Bearer {good}"})
    assert again.status_code == 401


def test_paypal_request_id_makes_creates_and_refunds_idempotent(sandbox):
    order = {"intent": "CAPTURE",
             "purchase_units": [{"amount": {"currency_code": "USD", "value": "20.00"}}]}
    key = {"paypal-request-id": "req-1"}
    first = api(sandbox.url, "POST", "/v2/checkout/orders", json=order, headers=key).json()
    second = api(sandbox.url, "POST", "/v2/checkout/orders", json=order, headers=key).json()
    assert first["id"] == second["id"]
    api(sandbox.url, "POST", f"/v2/checkout/orders/{first['id']}/capture")
    twice = api(sandbox.url, "POST", f"/v2/checkout/orders/{first['id']}/capture")
    assert twice.status_code == 422
    assert twice.json()["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"

    capture_id = sandbox.control("GET", "/transactions")[0]["id"]
    part = {"amount": {"currency_code": "USD", "value": "5.00"}}
    refunds = [api(sandbox.url, "POST", f"/v2/payments/captures/{capture_id}/refund",
                   json=part, headers={"paypal-request-id": "refund-1"}).json()
               for _ in range(2)]
    assert refunds[0]["id"] == refunds[1]["id"]
    too_much = api(sandbox.url, "POST", f"/v2/payments/captures/{capture_id}/refund",
                   json={"amount": {"currency_code": "USD", "value": "15.01"}})
    assert too_much.status_code == 422
    assert too_much.json()["details"][0]["issue"] == "REFUND_AMOUNT_EXCEEDED"
    assert [r["code"] for r in sandbox.control("GET", "/transactions")] == ["T0006", "T1107"]


def test_search_needs_dates_and_at_most_31_days_and_pages(sandbox):
    assert search(sandbox.url).status_code == 400
    too_long = search(sandbox.url, start_date="2026-01-01T00:00:00Z",
                      end_date="2026-02-01T00:00:01Z")
    assert too_long.status_code == 400
    assert too_long.json()["name"] == "INVALID_REQUEST"
    assert search(sandbox.url, start_date="2026-01-01T00:00:00Z",
                  end_date="2026-02-01T00:00:00Z").status_code == 200
    assert search(sandbox.url, page_size=501, **WINDOW).status_code >= 400

    january = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}
    empty = search(sandbox.url, **january).json()
    assert (empty["transaction_details"], empty["total_items"], empty["total_pages"]) == (
        [], 0, 1)
    sandbox.control("PUT", "/config", {"now": "2026-01-15T12:00:00Z"})
    for n in range(3):
        sandbox.checkout(f"{n + 1}.00")
    bodies = [search(sandbox.url, page=p, page_size=2, **january).json() for p in (1, 2)]
    assert [len(b["transaction_details"]) for b in bodies] == [2, 1]
    assert {b["total_items"] for b in bodies} == {3} and bodies[0]["total_pages"] == 2
    assert any(link["rel"] == "next" for link in bodies[0]["links"])


def test_verify_webhook_signature_succeeds_only_for_what_was_signed(sandbox):
    event = {"id": "WH-1", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {"id": "C1"}}
    body = json.dumps(event, separators=(",", ":")).encode()
    sig = webhook_signature("tx-1", "2026-11-25T10:00:00Z", WEBHOOK_ID, body, WEBHOOK_SECRET)
    assert base64.b64decode(sig)
    request = {"auth_algo": AUTH_ALGO, "cert_url": "https://api.paypal.com/cert",
               "transmission_id": "tx-1", "transmission_sig": sig,
               "transmission_time": "2026-11-25T10:00:00Z", "webhook_id": WEBHOOK_ID,
               "webhook_event": event}
    assert problems("notifications_webhooks_v1.json", "verify_webhook_signature", request) == []

    def verdict(**change) -> str:
        answer = api(sandbox.url, "POST", "/v1/notifications/verify-webhook-signature",
                     json={**request, **change})
        assert problems("notifications_webhooks_v1.json",
                        "verify_webhook_signature_response", answer.json()) == []
        return answer.json()["verification_status"]

    assert verdict() == "SUCCESS"
    assert verdict(webhook_event={**event, "id": "WH-2"}) == "FAILURE"
    assert verdict(webhook_id="WH-OTHER") == "FAILURE"
    assert verdict(transmission_time="2026-11-25T10:00:01Z") == "FAILURE"
