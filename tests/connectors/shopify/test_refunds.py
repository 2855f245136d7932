"""A refund may return at most what the order's earlier refunds left refundable."""

from __future__ import annotations

import re

import pytest

from ledgerbridge.connectors.shopify.emulated_shop import EmulatedShop
from ledgerbridge.connectors.shopify.orders import refund_documents
from ledgerbridge.sync.errors import FatalError

OREGON = {"country_code": "US", "province_code": "OR"}  # no sales tax


def test_a_refund_beyond_what_remains_is_refused_with_the_figures():
    shop = EmulatedShop(seed=1)
    order = shop.create_order({"line_items": [{"title": "Mug", "price": "10.00",
                                               "quantity": 2}], "address": OREGON})
    first = shop.refund(order["id"], {"line_items": [
        {"line_item_id": order["line_items"][0]["id"], "quantity": 1}]})
    too_much = shop.refund(order["id"], {"amount": "15.00"})
    assert [d.type for d in refund_documents("shop", first, order)] == ["credit_note", "refund"]
    message = re.escape(f"refund {too_much['id']} of order #1001 returns 15.00 USD, but only "
                        "10.00 of the order's 20.00 remains refundable (10.00 refunded before)")
    with pytest.raises(FatalError, match=message) as caught:
        refund_documents("shop", too_much, order)
    assert (caught.value.connection, caught.value.record) == ("shop", str(too_much["id"]))
    # read before the order lists it: every refund the order lists came before it
    with pytest.raises(FatalError, match=message):
        refund_documents("shop", too_much, {**order, "refunds": [first]})


def test_an_edit_after_payment_charges_the_difference():
    shop = EmulatedShop(seed=1)
    order = shop.create_order({"line_items": [{"title": "Mug", "price": "10.00"}],
                               "address": OREGON})
    stamp = order["updated_at"]
    shop.edit_order(order["id"], {"line_items": [{"title": "Mug", "price": "10.00",
                                                  "quantity": 3}]})
    assert (order["total_price"], order["financial_status"]) == ("30.00", "paid")
    assert order["updated_at"] > stamp
    assert [t["amount"] for t in shop.transactions[order["id"]]] == ["10.00", "20.00"]
    with pytest.raises(ValueError, match="refund"):
        shop.edit_order(order["id"], {"line_items": [{"title": "Mug", "price": "10.00"}]})
