"""The emulator's shop: orders, refunds, transactions and payouts in Shopify's JSON shapes.

Taxes come from a small table of real-looking rates per (country, province); order
discounts are percentages allocated to the lines; Shopify Payments charges cost
2.9 % + 0.30 and wait in the balance until a payout takes them. Time is a counter
(one minute per change), so a seeded run always produces the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.money import currency_exponent

__all__ = ["TAX_RATES", "EmulatedShop"]

TAX_RATES: dict[tuple[str, str | None], tuple[tuple[str, str], ...]] = {
    ("US", "CA"): (("CA State Tax", "0.0725"), ("Los Angeles County Tax", "0.0025")),
    ("US", "NY"): (("NY State Tax", "0.04"), ("New York City Tax", "0.045")),
    ("US", "OR"): (),
    ("CA", "QC"): (("GST", "0.05"), ("QST", "0.09975")),
    ("DE", None): (("VAT", "0.19"),),
}
"""Tax titles and rates by (country, province) of the shipping address."""

_FEE_RATE, _FEE_FIXED = Decimal("0.029"), Decimal("0.30")
_START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


class EmulatedShop:
    """In-memory shop state; every change returns the Shopify objects it touched."""

    def __init__(self, seed: int = 0, currency: str = "USD", *,
                 start: dt.datetime = _START) -> None:
        self.currency = currency
        self.start = start  # the clock before its first tick
        self.orders: dict[int, dict] = {}
        self.transactions: dict[int, list[dict]] = {}
        self.balance: list[dict] = []
        self.payouts: list[dict] = []
        self._ids = random.Random(seed).randrange(10**9, 2 * 10**9)
        self._ticks = 0

    # -- helpers --------------------------------------------------------------------

    def _id(self) -> int:
        self._ids += 1
        return self._ids

    def now(self) -> str:
        """The shop's clock, one minute further on every call."""
        self._ticks += 1
        return (self.start + dt.timedelta(minutes=self._ticks)).isoformat()

    def advance(self, days: int) -> None:
        """Move the clock on by whole days."""
        self._ticks += days * 24 * 60

    def _round(self, value: Decimal, currency: str | None = None) -> Decimal:
        exponent = currency_exponent(currency or self.currency)
        return value.quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_UP)

    def _money(self, amount: Decimal, order: dict | None = None) -> dict:
        """An amount with its ``_set`` twin (shop and presentment money)."""
        shop = self._round(amount)
        presentment = (order or {}).get("presentment_currency") or self.currency
        rate = Decimal((order or {}).get("_rate", "1"))
        shown = self._round(shop * rate, presentment)
        return {"shop_money": {"amount": str(shop), "currency_code": self.currency},
                "presentment_money": {"amount": str(shown), "currency_code": presentment}}

    def _with_set(self, target: dict, key: str, amount: Decimal, order: dict) -> None:
        target[key] = str(self._round(amount))
        target[f"{key}_set"] = self._money(amount, order)

    def _allocate(self, target: dict, discount: Decimal, order: dict) -> None:
        """The discount allocations of a line or shipping line (the order's one discount)."""
        target["discount_allocations"] = []
        if discount:
            allocation = {"discount_application_index": 0}
            self._with_set(allocation, "amount", discount, order)
            target["discount_allocations"].append(allocation)

    def _taxes(self, taxable: Decimal, place: tuple[str, str | None], order: dict) -> list[dict]:
        lines = []
        for title, rate in TAX_RATES.get(place, ()):
            line = {"title": title, "rate": float(rate), "channel_liable": False}
            self._with_set(line, "price", self._round(taxable * Decimal(rate)), order)
            lines.append(line)
        return lines

    # -- orders ------------------------------------------------------------------------

    def create_order(self, spec: dict[str, Any]) -> dict:
        """A new order from a spec.

        Keys: line_items (title, sku, price, quantity, gift_card), shipping (title,
        price, free), discount_percent, address (country_code, province_code),
        gift_card (the part paid by gift card), presentment_currency and rate,
        financial_status ("paid" or "pending").
        """
        stamp = self.now()
        address = spec.get("address") or {"country_code": "US", "province_code": "CA"}
        place = (address["country_code"], address.get("province_code"))
        order_id = self._id()
        number = 1000 + len(self.orders) + 1
        order: dict[str, Any] = {
            "id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
            "name": f"#{number}", "number": number - 1000, "order_number": number,
            "email": spec.get("email", "buyer@example.com"), "created_at": stamp,
            "updated_at": stamp, "processed_at": stamp, "cancelled_at": None, "closed_at": None,
            "currency": self.currency,
            "presentment_currency": spec.get("presentment_currency", self.currency),
            "_rate": str(spec.get("rate", "1")), "taxes_included": False, "test": True,
            "source_name": spec.get("source_name", "web"), "fulfillment_status": None,
            "billing_address": address, "shipping_address": address,
            "customer": {"id": self._id(), "email": spec.get("email", "buyer@example.com"),
                         "first_name": spec.get("first_name", "Avery"),
                         "last_name": spec.get("last_name", "Buyer")},
            "refunds": [],
        }
        order["_spec"] = spec
        total = self._fill(order, spec, place)
        self._pay(order, total, Decimal(str(spec.get("gift_card", "0"))),
                  spec.get("financial_status", "paid"))
        self.orders[order_id] = order
        return order

    def _fill(self, order: dict, spec: dict[str, Any], place: tuple[str, str | None]) -> Decimal:
        """Set the order's lines, shipping, taxes and totals from ``spec``; returns the total."""
        percent = Decimal(str(spec.get("discount_percent", "0")))
        items, totals = [], {"gross": Decimal(0), "discount": Decimal(0), "tax": Decimal(0)}
        for n, item in enumerate(spec["line_items"]):
            price, quantity = Decimal(str(item["price"])), int(item.get("quantity", 1))
            gross = price * quantity
            gift = bool(item.get("gift_card"))
            discount = Decimal(0) if gift else self._round(gross * percent / 100)
            line: dict[str, Any] = {
                "id": self._id(), "title": item["title"], "name": item["title"],
                "sku": item.get("sku"), "vendor": item.get("vendor", "Emulated Goods"),
                "product_id": 7000 + n, "variant_id": 8000 + n, "quantity": quantity,
                "gift_card": gift, "taxable": not gift, "requires_shipping": not gift,
                "fulfillable_quantity": quantity,
                "tax_lines": [] if gift else self._taxes(gross - discount, place, order),
            }
            self._with_set(line, "price", price, order)
            self._with_set(line, "total_discount", discount, order)
            self._allocate(line, discount, order)
            totals["gross"] += gross
            totals["discount"] += discount
            totals["tax"] += _tax_of(line)
            items.append(line)
        order["line_items"] = items
        order["discount_applications"] = [{
            "type": "discount_code", "value": str(percent), "value_type": "percentage",
            "allocation_method": "across", "target_selection": "all", "target_type": "line_item",
            "code": spec.get("discount_code", "SAVE")}] if percent else []
        order["discount_codes"] = [{"code": spec.get("discount_code", "SAVE"), "type": "percentage",
                                    "amount": str(totals["discount"])}] if percent else []
        shipping = spec.get("shipping")
        order["shipping_lines"] = []
        ship_net = Decimal(0)
        if shipping:
            price = Decimal(str(shipping["price"]))
            ship_discount = price if shipping.get("free") else Decimal(0)
            ship_net = price - ship_discount
            ship = {"id": self._id(), "title": shipping.get("title", "Standard"),
                    "code": shipping.get("title", "Standard"), "source": "shopify",
                    "tax_lines": self._taxes(ship_net, place, order)}
            self._with_set(ship, "price", price, order)
            self._with_set(ship, "discounted_price", ship_net, order)
            self._allocate(ship, ship_discount, order)
            totals["tax"] += _tax_of(ship)
            order["shipping_lines"].append(ship)
        order["tax_lines"] = _merged_taxes(
            t for line in (*items, *order["shipping_lines"]) for t in line["tax_lines"])
        for tax in order["tax_lines"]:
            tax["price_set"] = self._money(Decimal(tax["price"]), order)
        subtotal = totals["gross"] - totals["discount"]
        total = subtotal + ship_net + totals["tax"]
        for key, amount in (("total_line_items_price", totals["gross"]),
                            ("total_discounts", totals["discount"]),
                            ("subtotal_price", subtotal), ("total_tax", totals["tax"]),
                            ("total_price", total), ("current_total_price", total)):
            self._with_set(order, key, amount, order)
        order["total_shipping_price_set"] = self._money(
            sum((Decimal(s["price"]) for s in order["shipping_lines"]), Decimal(0)), order)
        return total

    def edit_order(self, order_id: int, spec: dict[str, Any]) -> dict:
        """Edit a paid order, as Shopify's order editing does; the customer pays the balance.

        Keys as for ``create_order`` (line_items, shipping, discount_percent), replacing
        the order's own. The order gets a new ``updated_at``; the difference to the old
        total is charged to the card. Edits that lower the total (Shopify refunds
        those) are not emulated.
        """
        order = self.orders[order_id]
        before = Decimal(order["total_price"])
        order["updated_at"] = self.now()
        address = order["shipping_address"]
        spec = {**order["_spec"], **spec}
        order["_spec"] = spec
        owed = self._fill(order, spec, (address["country_code"], address.get("province_code")))
        if owed < before:
            raise ValueError("an edit that lowers the total is a refund; refund the order")
        if owed > before:
            txn = self._transaction(order, "sale", "shopify_payments", owed - before)
            self._balance("charge", order, txn, owed - before)
        return order

    def _pay(self, order: dict, total: Decimal, gift: Decimal, status: str) -> None:
        self.transactions[order["id"]] = []
        gateways = []
        if status == "paid":
            if gift:
                self._transaction(order, "sale", "gift_card", gift, receipt={
                    "gift_card_id": self._id(), "gift_card_last_characters": "a1b2"})
                gateways.append("gift_card")
            if total - gift:
                txn = self._transaction(order, "sale", "shopify_payments", total - gift)
                self._balance("charge", order, txn, total - gift)
                gateways.append("shopify_payments")
        order["financial_status"] = status
        order["payment_gateway_names"] = gateways or ["shopify_payments"]
        order["gateway"] = order["payment_gateway_names"][0]

    def _transaction(self, order: dict, kind: str, gateway: str, amount: Decimal,
                     receipt: dict | None = None, parent: int | None = None) -> dict:
        stamp = order["updated_at"]
        txn = {"id": self._id(), "order_id": order["id"], "kind": kind, "gateway": gateway,
               "status": "success", "message": None, "created_at": stamp,
               "processed_at": stamp, "test": True, "parent_id": parent,
               "currency": self.currency, "receipt": receipt or {}, "source_name": "web"}
        self._with_set(txn, "amount", amount, order)
        self.transactions[order["id"]].append(txn)
        return txn

    def _balance(self, kind: str, order: dict, txn: dict, amount: Decimal) -> None:
        fee = self._round(amount * _FEE_RATE + _FEE_FIXED) if kind == "charge" else Decimal(0)
        self.balance.append({
            "id": self._id(), "type": kind, "test": True, "payout_id": None,
            "payout_status": "pending", "currency": self.currency,
            "amount": str(self._round(amount)), "fee": str(fee),
            "net": str(self._round(amount - fee)), "source_id": txn["id"],
            "source_type": "charge" if kind == "charge" else "Payments::Refund",
            "source_order_id": order["id"], "source_order_transaction_id": txn["id"],
            "processed_at": txn["processed_at"]})

    # -- refunds -------------------------------------------------------------------------

    def refund(self, order_id: int, spec: dict[str, Any]) -> dict:
        """Refund part of an order; money goes back to the card first, then the gift card.

        Keys: line_items (line_item_id, quantity, restock_type), shipping (true:
        refund all of it), note, amount (the money returned to the card, instead of
        what the lines come to; Shopify's refundable limit is not checked here).
        """
        order = self.orders[order_id]
        order["updated_at"] = stamp = self.now()
        refund: dict[str, Any] = {"id": self._id(), "order_id": order_id, "created_at": stamp,
                                  "processed_at": stamp, "note": spec.get("note"),
                                  "restock": False, "refund_line_items": [],
                                  "order_adjustments": [], "transactions": []}
        money = Decimal(0)
        lines = {line["id"]: line for line in order["line_items"]}
        for item in spec.get("line_items", []):
            line = lines[item["line_item_id"]]
            quantity = int(item.get("quantity", 1))
            share = Decimal(quantity) / Decimal(line["quantity"])
            net = Decimal(line["price"]) * line["quantity"] - Decimal(line["total_discount"])
            subtotal = self._round(net * share)
            tax = self._round(_tax_of(line) * share)
            entry = {"id": self._id(), "line_item_id": line["id"], "quantity": quantity,
                     "restock_type": item.get("restock_type", "no_restock"),
                     "location_id": None, "line_item": line}
            self._with_set(entry, "subtotal", subtotal, order)
            self._with_set(entry, "total_tax", tax, order)
            refund["refund_line_items"].append(entry)
            refund["restock"] = refund["restock"] or entry["restock_type"] != "no_restock"
            money += subtotal + tax
        if spec.get("shipping") and order["shipping_lines"]:
            ship = order["shipping_lines"][0]
            amount = Decimal(ship["discounted_price"])
            tax = _tax_of(ship)
            adjustment = {"id": self._id(), "order_id": order_id, "refund_id": refund["id"],
                          "kind": "shipping_refund", "reason": "Shipping refund"}
            self._with_set(adjustment, "amount", -amount, order)
            self._with_set(adjustment, "tax_amount", -tax, order)
            refund["order_adjustments"].append(adjustment)
            money += amount + tax
        forced = spec.get("amount")
        self._refund_money(order, refund, money if forced is None else Decimal(str(forced)),
                           forced=forced is not None)
        order["refunds"].append(refund)
        refunded = sum((Decimal(t["amount"]) for r in order["refunds"]
                        for t in r["transactions"]), Decimal(0))
        order["financial_status"] = ("refunded" if refunded >= Decimal(order["total_price"])
                                     else "partially_refunded")
        return refund

    def _refund_money(self, order: dict, refund: dict, money: Decimal,
                      forced: bool = False) -> None:
        for gateway in ("shopify_payments", "gift_card"):
            paid = [t for t in self.transactions[order["id"]]
                    if t["gateway"] == gateway and t["kind"] == "sale"]
            taken = sum((Decimal(t["amount"]) for t in self.transactions[order["id"]]
                         if t["gateway"] == gateway and t["kind"] == "refund"), Decimal(0))
            room = sum((Decimal(t["amount"]) for t in paid), Decimal(0)) - taken
            amount = money if forced else min(room, money)
            if amount <= 0:
                continue
            txn = self._transaction(order, "refund", gateway, amount, parent=paid[0]["id"])
            refund["transactions"].append(txn)
            if gateway == "shopify_payments":
                self._balance("refund", order, txn, -amount)
            money -= amount

    # -- payouts ----------------------------------------------------------------------------

    def payout(self) -> dict:
        """Pay out every balance transaction not yet in a payout."""
        stamp = self.now()
        pending = [t for t in self.balance if t["payout_id"] is None]
        payout_id = self._id()
        summary = {}
        for kind, name in (("charge", "charges"), ("refund", "refunds"),
                           ("adjustment", "adjustments"), ("reserve", "reserved_funds"),
                           ("retried", "retried_payouts")):
            moves = [t for t in pending if t["type"] == kind]
            summary[f"{name}_gross_amount"] = str(sum((Decimal(t["amount"]) for t in moves),
                                                      Decimal("0.00")))
            summary[f"{name}_fee_amount"] = str(sum((Decimal(t["fee"]) for t in moves),
                                                    Decimal("0.00")))
        net = sum((Decimal(t["net"]) for t in pending), Decimal("0.00"))
        payout = {"id": payout_id, "status": "paid", "date": stamp[:10],
                  "currency": self.currency, "amount": str(net), "summary": summary}
        for txn in pending:
            txn["payout_id"], txn["payout_status"] = payout_id, "paid"
        self.balance.append({
            "id": self._id(), "type": "payout", "test": True, "payout_id": payout_id,
            "payout_status": "paid", "currency": self.currency, "amount": str(-net),
            "fee": "0.00", "net": str(-net), "source_id": payout_id, "source_type": "payout",
            "source_order_id": None, "source_order_transaction_id": None,
            "processed_at": stamp})
        self.payouts.append(payout)
        return payout


def _tax_of(line: dict) -> Decimal:
    """The sum of a line's tax lines."""
    return sum((Decimal(t["price"]) for t in line["tax_lines"]), Decimal(0))


def _merged_taxes(lines: Iterable[dict]) -> list[dict]:
    """Order-level tax lines: the line and shipping taxes summed per title."""
    merged: dict[str, dict] = {}
    for line in lines:
        seen = merged.setdefault(line["title"], {"title": line["title"], "rate": line["rate"],
                                                 "price": "0"})
        seen["price"] = str(Decimal(seen["price"]) + Decimal(line["price"]))
    return list(merged.values())
