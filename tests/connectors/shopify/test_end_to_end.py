"""Emulator -> webhooks + backfill -> ledger, checked against the emulator's own data."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from ledgerbridge.store.tables import connections, documents
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.sync.worker import Worker
from tests.connectors.shopify.conftest import by_code

TAX_ACCOUNT = {("US", "CA"): "2210", ("US", "NY"): "2220"}


def cents(value: str | Decimal) -> int:
    return int(Decimal(value) * 100)


def place(order: dict) -> tuple:
    address = order["shipping_address"]
    return address["country_code"], address.get("province_code")


def expected_from(shop) -> dict[str, int]:
    """What the ledger must hold, computed from the emulator's orders, refunds and payouts."""
    want: dict[str, int] = {}

    def add(code: str, amount: int) -> None:
        want[code] = want.get(code, 0) + amount

    for order in shop.orders.values():
        tax = TAX_ACCOUNT.get(place(order), "2200")
        for line in order["line_items"]:
            gross = cents(line["price"]) * line["quantity"]
            add("2400" if line["gift_card"] else "4010", -gross)
            add("4050", cents(line["total_discount"]))
            add(tax, -sum(cents(t["price"]) for t in line["tax_lines"]))
        for ship in order["shipping_lines"]:
            add("4030", -cents(ship["price"]))
            add("4050", cents(ship["price"]) - cents(ship["discounted_price"]))
            add(tax, -sum(cents(t["price"]) for t in ship["tax_lines"]))
        for txn in shop.transactions[order["id"]]:
            sign = 1 if txn["kind"] == "sale" else -1
            add("1150" if txn["gateway"] == "shopify_payments" else "2400",
                sign * cents(txn["amount"]))
        for refund in order["refunds"]:
            for item in refund["refund_line_items"]:
                add("2400" if item["line_item"]["gift_card"] else "4060",
                    cents(item["subtotal"]))
                add(tax, cents(item["total_tax"]))
            for adjustment in refund["order_adjustments"]:
                add("4030", -cents(adjustment["amount"]))
                add(tax, -cents(adjustment["tax_amount"]))
    for move in shop.balance:  # fees are booked when a payout settles them
        if move["type"] != "payout" and move["payout_id"] is not None:
            add("6600", cents(move["fee"]))
            add("1150", -cents(move["fee"]))
    for payout in shop.payouts:
        add("1160", cents(payout["amount"]))
        add("1150", -cents(payout["amount"]))
    return {code: amount for code, amount in want.items() if amount}


def posted_documents(ledger) -> list[tuple[str, str]]:
    """(type, external id) of the current documents that have an entry."""
    query = (select(documents.c.type, documents.c.external_id)
             .where(documents.c.status == "current", documents.c.entry_id.is_not(None))
             .order_by(documents.c.type, documents.c.external_id))
    with ledger.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


@pytest.mark.parametrize("shop_options", [{}, {"summary": "daily"}], ids=["order", "daily"])
def test_orders_refunds_and_payouts_land_in_the_ledger(ledger, shop_connection, shop_options):
    record, emulator = shop_connection
    los_angeles = {"country_code": "US", "province_code": "CA"}
    new_york = {"country_code": "US", "province_code": "NY"}
    shirt = {"title": "Shirt", "sku": "SH-1", "price": "24.99", "quantity": 3}
    mug = {"title": "Mug", "sku": "MUG", "price": "12.50", "quantity": 1}
    card = {"title": "Gift card", "price": "50.00", "gift_card": True}
    ca = emulator.control("orders", {"line_items": [shirt, mug], "address": los_angeles,
                                     "shipping": {"title": "Express", "price": "9.95"},
                                     "discount_percent": "10"})["order"]
    emulator.control("orders", {"line_items": [mug, card], "address": new_york,
                                "shipping": {"price": "6.00", "free": True},
                                "gift_card": "20.00", "presentment_currency": "CAD",
                                "rate": "1.37"})
    emulator.control("orders", {"line_items": [shirt], "address": {"country_code": "DE"},
                                "shipping": {"price": "4.90"}})
    emulator.control(f"orders/{ca['id']}/refunds", {
        "line_items": [{"line_item_id": ca["line_items"][0]["id"], "quantity": 1,
                        "restock_type": "return"}],
        "shipping": True, "note": "too small"})
    emulator.control("payouts")

    Worker(ledger.engine).run_until_idle()  # what the webhooks brought
    backfill = poll_connection(ledger.engine, record, since=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert [(r.stream, r.read, r.stored, r.error) for r in backfill] == [
        ("orders", 3, 0, None), ("payouts", 1, 1, None)]
    Worker(ledger.engine).run_until_idle()

    balances = by_code(ledger)
    assert balances == expected_from(emulator.shop)
    assert balances["2210"] < 0 and balances["2220"] < 0 and balances["2200"] < 0
    assert "1150" not in balances and "1100" not in balances  # paid out; refunds net to zero
    assert sum(balances.values()) == 0
    posted = posted_documents(ledger)
    orders = [external_id for kind, external_id in posted if kind == "order"]
    if shop_options:  # the same ledger, from one summary instead of three orders
        assert orders == ["daily:2026-03-02"]
    else:
        assert sorted(orders) == sorted(str(o) for o in emulator.shop.orders)
    assert sum(kind == "credit_note" for kind, _ in posted) == 1


def test_switching_to_daily_summaries_needs_no_reimport(ledger, shop_connection):
    record, emulator = shop_connection
    mug = {"title": "Mug", "sku": "MUG", "price": "12.50", "quantity": 2}
    first = emulator.control("orders", {"line_items": [mug]})["order"]
    Worker(ledger.engine).run_until_idle()
    # from tomorrow on, one summary per day; the day already posted stays per order
    tomorrow = dt.date.fromisoformat(first["processed_at"][:10]) + dt.timedelta(days=1)
    settings = {**record.settings, "summary": "daily", "summary_from": tomorrow.isoformat()}
    with ledger.engine.begin() as conn:
        conn.execute(update(connections).where(connections.c.id == record.id)
                     .values(settings=json.dumps(settings)))
    emulator.control("clock?days=1")
    emulator.control("orders", {"line_items": [mug]})
    emulator.control("orders", {"line_items": [mug], "address": {"country_code": "US",
                                                                  "province_code": "NY"}})
    emulator.control(f"orders/{first['id']}/refunds", {"line_items": [
        {"line_item_id": first["line_items"][0]["id"], "quantity": 1}]})
    Worker(ledger.engine).run_until_idle()
    assert by_code(ledger) == expected_from(emulator.shop)
    orders = [external_id for kind, external_id in posted_documents(ledger) if kind == "order"]
    assert orders == [str(first["id"]), f"daily:{tomorrow.isoformat()}"]
