"""Any capture and refunds: the webhook and the searched transaction read the same."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.connectors.paypal import PayPalConnector, PayPalSettings
from ledgerbridge.connectors.paypal.emulator_account import Account
from ledgerbridge.connectors.paypal.movements import from_resource
from ledgerbridge.money import format_minor

PAYPAL = PayPalConnector("paypal", PayPalSettings(client_id="c", client_secret="s",
                                                  currency="USD"))
START = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def _documents(body: dict) -> list:
    return PAYPAL.normalize(RawEvent(json.dumps(body).encode()))


@given(gross=st.integers(1, 10**7), currency=st.sampled_from(["USD", "EUR", "JPY"]),
       percent=st.decimals("0", "5", places=2), fixed=st.integers(0, 100),
       cuts=st.lists(st.integers(1, 10**7), max_size=3))
@settings(max_examples=60, deadline=None)
def test_webhooks_and_search_rows_give_equal_documents(gross, currency, percent, fixed, cuts):
    account = Account(fee_percent=Decimal(percent), fee_fixed=fixed)
    order = account.create_order({"intent": "CAPTURE", "purchase_units": [
        {"amount": {"currency_code": currency, "value": format_minor(gross, currency)}}]})
    capture = account.capture_order(order["id"])["purchase_units"][0]["payments"]["captures"][0]
    left = gross
    for cut in cuts:
        amount = min(cut, left)
        if amount:
            account.refund(capture["id"], {"amount": {"currency_code": currency,
                                                      "value": format_minor(amount, currency)}})
            left -= amount
    resources = {e["resource"]["id"]: e["resource"] for e in account.events}
    webhooks = [d for e in account.events for d in _documents(e)]
    rows = []
    for detail in account.search(START, END):
        info = detail["transaction_info"]
        resource = resources.get(info["transaction_id"])
        if resource is not None and currency != "USD":  # read() looks the rate up
            kind = "capture" if info["transaction_event_code"] == "T0006" else "refund"
            detail = {**detail, "exchange_rate": str(from_resource(resource, kind).rate)}
        rows.extend(_documents(detail))
    assert rows == webhooks
    (payment, *refunds) = rows
    assert payment.amount.minor == gross
    assert sum(r.amount.minor for r in refunds) == gross - left
    returned = -sum(r.fee.minor for r in refunds)
    assert 0 <= returned <= payment.fee.minor

