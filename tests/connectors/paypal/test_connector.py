"""The PayPal connector against the emulator: windows, paging, tokens, normalizing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ledgerbridge.connectors.paypal as paypal_package
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.base import RawEvent, WebhookRequest
from ledgerbridge.connectors.paypal import PayPalConnector, PayPalSettings
from ledgerbridge.connectors.paypal.emulator import CLIENT_ID as SANDBOX_CLIENT
from ledgerbridge.connectors.paypal.emulator import WEBHOOK_ID
from ledgerbridge.connectors.paypal.search import MAX_WINDOW, search_windows
from ledgerbridge.connectors.registry import connector_class
from ledgerbridge.documents import Dispute, Payment, Payout, Refund
from ledgerbridge.sandbox.emulators import SandboxOptions, emulator_app
from ledgerbridge.sync.errors import FatalError
from tests.connectors.paypal.conftest import CLIENT_ID, CLIENT_SECRET

EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def connector(url: str, **settings) -> PayPalConnector:
    return PayPalConnector("paypal", PayPalSettings(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, webhook_id=WEBHOOK_ID, base_url=url,
        **settings))


def read_all(paypal: PayPalConnector, cursor):
    return list(paypal.read(paypal.stream("transactions"), cursor))


def at(sandbox, moment: dt.datetime) -> None:
    sandbox.control("PUT", "/config", {"now": moment.strftime("%Y-%m-%dT%H:%M:%SZ")})


def test_the_entry_point_names_the_connector():
    assert connector_class("paypal") is PayPalConnector
    assert PayPalConnector.secret_fields == ("client_secret",)


@given(st.integers(0, 10**9), st.integers(0, 400 * 86400))
def test_windows_cover_the_range_back_to_back_and_never_exceed_31_days(offset, length):
    start = EPOCH + dt.timedelta(seconds=offset)
    end = start + dt.timedelta(seconds=length)
    windows = search_windows(start, end)
    assert all(b - a <= MAX_WINDOW and a < b for a, b in windows)
    assert all(w[1] == n[0] for w, n in zip(windows, windows[1:], strict=False))
    if length:
        assert (windows[0][0], windows[-1][1]) == (start, end)
        assert len(windows) == -(-length // int(MAX_WINDOW.total_seconds()))
    else:
        assert windows == []


def test_a_75_day_backfill_is_searched_in_windows_of_at_most_31_days(sandbox):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    made = []
    for days in (74, 60, 40, 31, 20, 2):
        at(sandbox, now - dt.timedelta(days=days))
        made.append(sandbox.checkout(f"{days}.00")["id"])
    paypal = connector(sandbox.url, lookback=dt.timedelta(0), page_size=2)
    pages = read_all(paypal, (now - dt.timedelta(days=75)).isoformat())
    assert [e.object_id for p in pages for e in p.events] == made
    assert [p.more for p in pages][-1] is False and all(p.more for p in pages[:-1])

    searches = sandbox.control("GET", "/stats")["searches"]
    spans = [(dt.datetime.fromisoformat(s["start"]), dt.datetime.fromisoformat(s["end"]))
             for s in searches if s["page"] == 1]
    assert len(spans) == 3
    assert all(end - start <= MAX_WINDOW for start, end in spans)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert spans[0][0] == now - dt.timedelta(days=75)
    cursor = dt.datetime.fromisoformat(pages[-1].cursor)
    assert cursor >= now and cursor == spans[-1][1]


def test_the_token_is_reused_and_renewed_when_it_expires_mid_sync(sandbox):
    for value in ("1.00", "2.00", "3.00"):
        sandbox.checkout(value)
    paypal = connector(sandbox.url, page_size=1)
    issued = sandbox.control("GET", "/stats")["tokens_issued"]
    pages = paypal.read(paypal.stream("transactions"), None)
    first = next(pages)
    sandbox.control("POST", "/tokens/expire")  # PayPal revokes it before its expiry
    rest = list(pages)
    assert len([e for p in [first, *rest] for e in p.events]) == 3
    read_all(paypal, None)
    assert sandbox.control("GET", "/stats")["tokens_issued"] - issued == 2


def test_a_token_close_to_expiry_is_not_used(sandbox):
    sandbox.control("PUT", "/config", {"token_seconds": 60})  # inside the safety margin
    paypal = connector(sandbox.url)
    issued = sandbox.control("GET", "/stats")["tokens_issued"]
    read_all(paypal, None)
    read_all(paypal, None)
    assert sandbox.control("GET", "/stats")["tokens_issued"] - issued == 2


def test_wrong_credentials_are_fatal(sandbox):
    paypal = PayPalConnector("paypal", PayPalSettings(
        client_id=CLIENT_ID, client_secret="wrong", base_url=sandbox.url))
    with pytest.raises(FatalError, match="invalid_client"):
        read_all(paypal, None)


def _by_id(sandbox, paypal):
    polled = {e.object_id: e for p in read_all(paypal, None) for e in p.events}
    hooks = {e["resource"]["id"]: e for e in sandbox.control("GET", "/webhooks")
             if "resource" in e and "id" in e["resource"]}
    return polled, hooks


def test_a_webhook_and_a_searched_transaction_make_the_same_documents(sandbox):
    sandbox.control("PUT", "/config", {"rates": {"GBP": "1.2500"}})
    capture = sandbox.checkout("120.00", "GBP")
    refund = sandbox.refund(capture["id"], "20.00", "GBP")
    usd = sandbox.checkout("50.00")
    reversal = sandbox.control("POST", f"/captures/{usd['id']}/reverse",
                               {"fee": "20.00", "code": "T1201"})
    paypal = connector(sandbox.url)
    polled, hooks = _by_id(sandbox, paypal)
    for object_id in (capture["id"], refund["id"], usd["id"], reversal["id"]):
        event = polled[object_id]
        hook = hooks[object_id]
        assert paypal.normalize(event) == paypal.normalize(RawEvent(json.dumps(hook).encode()))
        (webhook,) = paypal.split(_request(hook))
        assert (webhook.object_type, webhook.object_id, webhook.object_version) == (
            event.object_type, event.object_id, event.object_version)

    (payment,) = paypal.normalize(polled[capture["id"]])
    assert isinstance(payment, Payment) and payment.exchange_rate == 1.25
    assert (payment.amount.minor, payment.fee.minor) == (12000, 468)
    (back,) = paypal.normalize(polled[refund["id"]])
    assert isinstance(back, Refund) and back.payment.external_id == capture["id"]
    assert back.fee.minor < 0 and back.exchange_rate == 1.25
    (lost,) = paypal.normalize(polled[reversal["id"]])
    assert isinstance(lost, Dispute) and lost.status == "lost"
    assert (lost.amount.minor, lost.fee.minor, lost.payment.external_id) == (
        5000, 2000, usd["id"])


def _request(event):
    return WebhookRequest("POST", "/webhooks/paypal", {}, json.dumps(event).encode())


def test_pending_posts_nothing_until_completed_and_denied_never(sandbox):
    sandbox.control("PUT", "/config", {"capture_status": "PENDING"})
    waiting = sandbox.checkout("30.00")
    denied = sandbox.checkout("40.00")
    paypal = connector(sandbox.url)
    polled, _ = _by_id(sandbox, paypal)
    assert paypal.normalize(polled[waiting["id"]]) == []
    sandbox.control("POST", f"/captures/{waiting['id']}/complete")
    sandbox.control("POST", f"/captures/{denied['id']}/deny")
    later, _ = _by_id(sandbox, paypal)
    assert later[waiting["id"]].object_version != polled[waiting["id"]].object_version
    assert [d.type for d in paypal.normalize(later[waiting["id"]])] == ["payment"]
    assert paypal.normalize(later[denied["id"]]) == []


def test_withdrawals_fees_and_conversions(sandbox):
    sandbox.control("POST", "/withdrawals", {"amount": "100.00", "fee": "1.50"})
    sandbox.control("POST", "/fees", {"amount": "4.00", "code": "T0106"})
    sandbox.control("PUT", "/config", {"fee_percent": "0", "fee_fixed": "0"})
    free = sandbox.checkout("10.00", "EUR")
    paypal = connector(sandbox.url)
    events = [e for p in read_all(paypal, None) for e in p.events]
    docs = [d for e in events for d in paypal.normalize(e)]
    payout, fee_on_it, fee, payment = docs
    assert isinstance(payout, Payout)
    assert (payout.gross.minor, payout.fees.minor, payout.net.minor) == (10150, 150, 10000)
    assert (fee_on_it.kind, fee_on_it.amount.minor) == ("payout", 150)
    assert (fee.kind, fee.amount.minor) == ("dispute", 400)
    assert payment.source.external_id == free["id"] and payment.fee.minor == 0
    assert [e.object_type for e in events].count("neutral") == 2


def test_an_unknown_event_code_is_fatal_not_silently_skipped():
    paypal = connector("http://127.0.0.1:9")
    detail = {"transaction_info": {
        "transaction_id": "X1", "transaction_event_code": "T9999",
        "transaction_initiation_date": "2026-01-01T00:00:00Z",
        "transaction_amount": {"currency_code": "USD", "value": "-5.00"},
        "transaction_status": "S"}}
    with pytest.raises(FatalError, match="T9999"):
        paypal.normalize(RawEvent(json.dumps(detail).encode(), object_id="X1"))


def test_a_capture_is_applied_to_its_invoice_only_when_asked(sandbox):
    capture = sandbox.checkout("64.00", invoice_id="INV-64")
    (event,) = [e for p in read_all(connector(sandbox.url), None) for e in p.events]
    (plain,) = connector(sandbox.url).normalize(event)
    (applied,) = connector(sandbox.url, apply_invoices=True).normalize(event)
    assert plain.applications == ()
    (application,) = applied.applications
    assert application.document.external_id == "INV-64"
    assert application.amount.minor == 6400 and applied.reference == capture["id"]


def test_the_sandbox_serves_the_emulator_with_its_client_id():
    with serve_in_thread(emulator_app("paypal", SandboxOptions(api_key="k-1"))) as url:
        paypal = PayPalConnector("paypal", PayPalSettings(
            client_id=SANDBOX_CLIENT, client_secret="k-1", base_url=url))
        assert read_all(paypal, None)[0].events == []


def test_the_package_exports_exactly_the_connector_and_its_settings():
    assert sorted(paypal_package.__all__) == ["PayPalConnector", "PayPalSettings"]
