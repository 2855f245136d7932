"""Shopify orders and refunds as canonical documents, posted in the shop currency.

An order becomes an :class:`~ledgerbridge.documents.Order`: product lines (with their
discount allocations and tax lines), shipping lines, tips, duties and additional fees,
gift-card sales as lines on the gift-card liability, gift-card redemptions as
``gift_cards``. Amounts are read from ``shop_money``; the buyer's currency goes into
``presentment``. Whatever Shopify's ``total_price`` holds that its lines do not
explain is kept as a visible "difference" line, so the entry always matches what
Shopify says the customer owes.

Each refund becomes a credit note (returned goods to the returns account, shipping
refunds to shipping, tax back per jurisdiction, any refund discrepancy) and one
Refund per successful refund transaction (money back through clearing, or onto a
gift card). The credit note and its refunds meet on receivable under the same
party, so it nets to zero. Restocking moves goods, not money: it is only noted. A
refund returning more than the order's total less the refunds before it is refused
(a FatalError naming the order and the figures), wherever it arrives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ledgerbridge.connectors.shopify.amounts import Json, presentment_minor, shop_minor, text
from ledgerbridge.connectors.shopify.taxes import Place, place_of, tax_lines
from ledgerbridge.documents import Document, parse_document
from ledgerbridge.sync.errors import FatalError

__all__ = ["Hints", "order_documents", "refund_documents"]

_STATUSES = frozenset({"pending", "authorized", "partially_paid", "paid", "partially_refunded",
                       "refunded", "voided"})
_UNCAPTURED = frozenset({"pending", "authorized", "voided", "expired"})
_CHARGES = (("total_tip_received", "Tip"), ("original_total_duties", "Duties"),
            ("original_total_additional_fees", "Additional fees"))


@dataclass(frozen=True, slots=True)
class Hints:
    """How lines are pointed at accounts; hints are resolved by the connection's mapping.

    Attributes:
        revenue_by: which line field becomes the revenue account hint ("none", "sku",
            "product", "vendor" or "channel"), for revenue by product or channel
            through ``account_aliases``.
        gift_cards: hint for gift cards sold (a liability, not revenue).
        returns: hint for returned goods and refund discrepancies.
        shipping: hint for refunded shipping.
        home: jurisdiction of orders without an address ("US-NY"), e.g. POS sales.

    """

    revenue_by: str = "none"
    gift_cards: str = "2400"
    returns: str = "4060"
    shipping: str = "Shipping"
    home: str | None = None


@dataclass(frozen=True, slots=True)
class _Context:
    connection: str
    order: Json
    currency: str
    place: Place
    hints: Hints

    def source(self, object_type: str, obj: Json, stamp: str | None) -> dict:
        return {"connection": self.connection, "object_type": object_type,
                "external_id": str(obj["id"]), "updated_at": stamp}

    def money(self, minor: int) -> str:
        return text(minor, self.currency)

    def customer(self) -> dict:
        customer = self.order.get("customer") or {}
        if customer.get("id"):
            name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name"))
                            if p) or customer.get("email")
            return {"external_id": str(customer["id"]), "name": name or None}
        return {"external_id": f"order:{self.order['id']}", "name": self.order.get("name")}


def _day(stamp: str) -> dt.date:
    """The calendar day of a Shopify timestamp, in the shop's own offset."""
    return dt.datetime.fromisoformat(stamp).date()


def _context(connection: str, order: Json, hints: Hints) -> _Context:
    return _Context(connection, order, order["currency"], place_of(order, hints.home), hints)


def _allocated(obj: Json, currency: str) -> int:
    """The discount on a line or shipping line: its allocations, else its older fields."""
    allocations = obj.get("discount_allocations")
    if allocations:
        return sum(shop_minor(a, "amount", currency) for a in allocations)
    if "total_discount" in obj or "total_discount_set" in obj:
        return shop_minor(obj, "total_discount", currency)
    if obj.get("discounted_price") is not None:
        return shop_minor(obj, "price", currency) - shop_minor(obj, "discounted_price", currency)
    return 0


def _revenue_hint(item: Json, ctx: _Context) -> str | None:
    by = ctx.hints.revenue_by
    if item.get("gift_card"):
        return ctx.hints.gift_cards
    value = {"sku": item.get("sku"), "product": item.get("title"), "vendor": item.get("vendor"),
             "channel": ctx.order.get("source_name")}.get(by)
    return str(value) if value else None


def _line(item: Json, ctx: _Context, taxed: bool) -> dict:
    cur = ctx.currency
    line: dict = {
        "description": item.get("name") or item.get("title"),
        "quantity": str(item.get("quantity", 1)),
        "unit_price": ctx.money(shop_minor(item, "price", cur)),
        "tax_lines": tax_lines(item.get("tax_lines") or [], ctx.place, cur) if taxed else [],
    }
    discount = _allocated(item, cur)
    if discount:
        line["discount"] = {"amount": ctx.money(discount)}
    hint = _revenue_hint(item, ctx)
    if hint:
        line["account"] = hint
    ref = item.get("variant_id") or item.get("product_id")
    if ref:
        line["item"] = {"external_id": str(ref), "name": item.get("sku") or None}
    return line


def _shipping(ship: Json, ctx: _Context, taxed: bool) -> dict:
    cur = ctx.currency
    return {"title": ship.get("title"), "amount": ctx.money(shop_minor(ship, "price", cur)),
            "discount": ctx.money(_allocated(ship, cur)),
            "tax_lines": tax_lines(ship.get("tax_lines") or [], ctx.place, cur) if taxed else []}


def _gift_cards(transactions: Sequence[Json], ctx: _Context) -> list[dict]:
    cards = []
    for txn in transactions:
        if (txn.get("gateway") == "gift_card" and txn.get("kind") in ("sale", "capture")
                and txn.get("status") == "success"):
            receipt = txn.get("receipt") or {}
            card = receipt.get("gift_card_id")
            cards.append({"amount": ctx.money(shop_minor(txn, "amount", ctx.currency)),
                          "gift_card": {"external_id": str(card)} if card else None,
                          "last_characters": receipt.get("gift_card_last_characters")})
    return cards


def _refunded(refund: Json, currency: str) -> int:
    """Money a refund returned: its successful refund transactions."""
    return sum(shop_minor(t, "amount", currency) for t in refund.get("transactions") or []
               if t.get("kind") == "refund" and t.get("status") == "success")


def _presentment(order: Json) -> dict | None:
    currency = order.get("presentment_currency")
    if not currency or currency == order["currency"]:
        return None
    total = presentment_minor(order, "total_price", currency)
    if total is None:
        return None
    totals = {"currency": currency, "total": text(total, currency)}
    for key, name in (("subtotal_price", "subtotal"), ("total_discounts", "discount_total"),
                      ("total_shipping_price", "shipping_total"), ("total_tax", "tax_total")):
        value = presentment_minor(order, key, currency)
        if value is not None:
            totals[name] = text(value, currency)
    return totals


def _status(order: Json) -> tuple[str, bool]:
    status = order.get("financial_status") or "pending"
    # A cancelled order whose money was taken stays posted: its refunds undo it.
    cancelled = bool(order.get("cancelled_at")) and status in _UNCAPTURED
    return (status if status in _STATUSES else "pending"), cancelled


def order_documents(connection: str, order: Json, transactions: Sequence[Json] = (),
                    hints: Hints = Hints()) -> list[Document]:
    """The Order of a Shopify order, then the credit notes and refunds of its refunds.

    ``transactions`` are the order's transactions when it was paid with a gift card
    (Shopify lists those only there).
    """
    ctx = _context(connection, order, hints)
    cur = ctx.currency
    items = order.get("line_items") or []
    ships = order.get("shipping_lines") or []
    on_lines = any(i.get("tax_lines") for i in (*items, *ships))
    lines = [_line(i, ctx, on_lines) for i in items] or [{
        "description": "Order items",
        "amount": ctx.money(shop_minor(order, "total_line_items_price", cur)),
        "discount": {"amount": ctx.money(shop_minor(order, "total_discounts", cur))},
    }]
    for key, label in _CHARGES:
        amount = shop_minor(order, key, cur)
        if amount:
            lines.append({"description": label, "amount": ctx.money(amount)})
    status, cancelled = _status(order)
    data = {
        "type": "order", "source": ctx.source("order", order, order.get("updated_at")),
        "number": order.get("name"), "customer": ctx.customer(),
        "order_date": _day(order.get("processed_at") or order["created_at"]).isoformat(),
        "financial_status": status, "cancelled": cancelled, "currency": cur,
        "amounts_include_tax": bool(order.get("taxes_included")),
        "lines": lines, "shipping_lines": [_shipping(s, ctx, on_lines) for s in ships],
        "tax_lines": [] if on_lines else _order_taxes(order, ctx),
        "presentment": _presentment(order), "gift_cards": _gift_cards(transactions, ctx),
        "refunds": [{"refund": {"external_id": str(r["id"])},
                     "date": _day(r.get("processed_at") or r["created_at"]).isoformat(),
                     "amount": ctx.money(_refunded(r, cur)), "note": r.get("note"),
                     "restock": bool(r.get("restock") or any(
                         i.get("restock_type") not in (None, "no_restock")
                         for i in r.get("refund_line_items") or []))}
                    for r in order.get("refunds") or []],
        "note": order.get("note"),
    }
    document = _settled(data, shop_minor(order, "total_price", cur), ctx)
    refunds = [d for r in order.get("refunds") or [] for d in refund_documents(
        connection, r, order, hints)]
    return [document, *refunds]


def _order_taxes(order: Json, ctx: _Context) -> list[dict]:
    """Order-level tax lines; without any, ``total_tax`` owed where the order ships."""
    given = order.get("tax_lines") or []
    total = None if given else shop_minor(order, "total_tax", ctx.currency)
    return tax_lines(given, ctx.place, ctx.currency, total=total)


def _settled(data: dict, total: int, ctx: _Context) -> Document:
    """The order with a line for what Shopify's total holds beyond its lines, if anything."""
    draft = parse_document(data)
    difference = total - draft.total.minor
    if not difference:
        return draft
    data["lines"].append({"description": "Difference to the Shopify order total",
                          "amount": ctx.money(difference)})
    return parse_document({**data, "total": ctx.money(total)})


def _returned(item: Json, ctx: _Context) -> dict:
    """A credit-note line for one refund line item, with its share of the line's tax."""
    cur = ctx.currency
    line_item = item.get("line_item") or next(
        (i for i in ctx.order.get("line_items") or [] if i.get("id") == item.get("line_item_id")),
        {})
    quantity = int(item.get("quantity") or 0)
    whole = int(line_item.get("quantity") or quantity or 1)
    if "subtotal" in item or "subtotal_set" in item:
        amount = shop_minor(item, "subtotal", cur)
    else:
        gross = shop_minor(line_item, "price", cur) * quantity
        amount = gross - _allocated(line_item, cur) * quantity // whole
    line_taxes = line_item.get("tax_lines") or []
    if "total_tax" in item or "total_tax_set" in item:
        tax = shop_minor(item, "total_tax", cur)
    else:
        tax = sum(shop_minor(t, "price", cur) for t in line_taxes) * quantity // whole
    hint = ctx.hints.gift_cards if line_item.get("gift_card") else ctx.hints.returns
    return {"description": f"Returned: {line_item.get('name') or line_item.get('title')}",
            "quantity": str(quantity), "amount": ctx.money(amount), "account": hint,
            "tax_lines": tax_lines(line_taxes, ctx.place, cur, total=tax)}


def _shipping_refund(adjustment: Json, ctx: _Context) -> dict:
    cur = ctx.currency
    shipping_taxes = [t for s in ctx.order.get("shipping_lines") or []
                      for t in s.get("tax_lines") or []]
    return {"description": adjustment.get("reason") or "Shipping refund",
            "amount": ctx.money(-shop_minor(adjustment, "amount", cur)),
            "account": ctx.hints.shipping,
            "tax_lines": tax_lines(shipping_taxes, ctx.place, cur,
                                   total=-shop_minor(adjustment, "tax_amount", cur))}


def _check_refundable(refund: Json, refunded: int, ctx: _Context) -> None:
    """Refuse a refund returning more than the order's total less the refunds before it."""
    order = ctx.order
    earlier = order.get("refunds") or []
    ids = [r.get("id") for r in earlier]
    if refund["id"] in ids:
        earlier = earlier[:ids.index(refund["id"])]
    total = shop_minor(order, "total_price", ctx.currency)
    before = sum(_refunded(r, ctx.currency) for r in earlier)
    if refunded > total - before:
        name = order.get("name") or order["id"]
        raise FatalError(
            f"refund {refund['id']} of order {name} returns {ctx.money(refunded)} "
            f"{ctx.currency}, but only {ctx.money(total - before)} of the order's "
            f"{ctx.money(total)} remains refundable ({ctx.money(before)} refunded before)",
            connection=ctx.connection, stream="refund", record=str(refund["id"]))


def refund_documents(connection: str, refund: Json, order: Json,
                     hints: Hints = Hints()) -> list[Document]:
    """The credit note and the Refund documents of one Shopify refund of ``order``."""
    ctx = _context(connection, order, hints)
    cur = ctx.currency
    stamp = refund.get("processed_at") or refund["created_at"]
    lines = [_returned(i, ctx) for i in refund.get("refund_line_items") or []]
    lines += [_shipping_refund(a, ctx) for a in refund.get("order_adjustments") or []
              if a.get("kind") == "shipping_refund"]
    refunded = _refunded(refund, cur)
    if not lines and not refunded:
        return []
    _check_refundable(refund, refunded, ctx)
    restocked = sorted({i.get("restock_type") for i in refund.get("refund_line_items") or []
                        if i.get("restock_type") not in (None, "no_restock")})
    reason = "; ".join(p for p in (refund.get("note"),
                                   f"restocked ({', '.join(restocked)})" if restocked else None)
                       if p) or None
    note = {"type": "credit_note", "source": ctx.source("refund", refund, stamp),
            "number": f"{order.get('name') or order['id']} refund {refund['id']}",
            "customer": ctx.customer(), "issue_date": _day(stamp).isoformat(),
            "currency": cur, "amounts_include_tax": bool(order.get("taxes_included")),
            "reason": reason, "lines": lines or [{"description": "Refund", "amount": "0"}]}
    credit = parse_document(note)
    difference = refunded - credit.total.minor
    if difference:
        note["lines"].append({"description": "Refund discrepancy", "account": ctx.hints.returns,
                              "amount": ctx.money(difference)})
        credit = parse_document(note)
    documents: list[Document] = [credit]
    for txn in refund.get("transactions") or []:
        if txn.get("kind") != "refund" or txn.get("status") != "success":
            continue
        gift_card = txn.get("gateway") == "gift_card"
        documents.append(parse_document({
            "type": "refund",
            "source": ctx.source("transaction", txn, txn.get("processed_at") or txn.get(
                "created_at")),
            "date": _day(txn.get("processed_at") or txn.get("created_at") or stamp).isoformat(),
            "amount": ctx.money(shop_minor(txn, "amount", cur)), "currency": cur,
            "method": "gift_card" if gift_card else "card",
            "processor": None if gift_card else txn.get("gateway") or "shopify",
            "contact": ctx.customer(), "credit_note": {"external_id": str(refund["id"])},
            "order": {"external_id": str(order["id"]), "name": order.get("name")},
            "reason": refund.get("note"),
        }))
    return documents
