"""Daily-summary mode: one Order per day posts the day's settled sales.

Every order is still stored as its own document, with ``summarized_in`` naming the
day's summary, so it posts nothing itself; the summary (external id
``daily:<day>``) adds the day's paid orders up: one line per revenue account hint,
tax per jurisdiction, one shipping line, the gift cards redeemed. Open orders
(pending, authorized) keep posting one by one, because a receivable needs its
customer; refunds always post one by one. Because the per-order documents are
kept, switching modes is a replay of stored events, never a new import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ledgerbridge.documents import Order, TaxLine, parse_document
from ledgerbridge.money import Money
from ledgerbridge.sync.errors import FatalError

__all__ = ["SETTLED", "daily_summary", "summary_id"]

SETTLED = frozenset({"paid", "partially_refunded", "refunded"})
"""Financial states whose orders a daily summary posts."""


def summary_id(day: dt.date) -> str:
    """The external id of a day's summary."""
    return f"daily:{day.isoformat()}"


def _taxes(lines: Iterable[TaxLine], currency: str) -> list[dict]:
    by_place: dict[str, int] = {}
    for tax in lines:
        by_place[tax.jurisdiction] = by_place.get(tax.jurisdiction, 0) + tax.amount.minor
    return [{"jurisdiction": place, "amount": Money(minor, currency).text()}
            for place, minor in sorted(by_place.items())]


def daily_summary(connection: str, day: dt.date, orders: list[Order]) -> Order:
    """The summary of ``orders`` (the day's settled orders, in one currency)."""
    currency = orders[0].currency
    if {(o.currency, o.amounts_include_tax) for o in orders} != {(currency,
                                                                  orders[0].amounts_include_tax)}:
        raise FatalError(f"orders of {day} differ in currency or tax-inclusive pricing; "
                         "they cannot share one daily summary", connection=connection)
    groups: dict[str | None, list] = {}
    for order in orders:
        for line in order.lines:
            groups.setdefault(line.account, []).append(line)
    lines = []
    for account, members in groups.items():
        line = {"description": f"Sales {day.isoformat()}" + (f" ({account})" if account else ""),
                "amount": sum((m.line_amount for m in members), Money.zero(currency)).text(),
                "tax_lines": _taxes((t for m in members for t in m.tax_lines), currency)}
        discount = sum(m.discount_amount.minor for m in members)
        if discount:
            line["discount"] = {"amount": Money(discount, currency).text()}
        if account:
            line["account"] = account
        lines.append(line)
    ships = [s for o in orders for s in o.shipping_lines]
    shipping = [{
        "title": f"Shipping {day.isoformat()}",
        "amount": sum((s.amount for s in ships), Money.zero(currency)).text(),
        "discount": Money(sum(s.discount.minor for s in ships if s.discount), currency).text(),
        "tax_lines": _taxes((t for s in ships for t in s.tax_lines), currency),
    }] if ships else []
    gift = sum(g.amount.minor for o in orders for g in o.gift_cards)
    stamps = [o.source.updated_at for o in orders if o.source.updated_at]
    return parse_document({
        "type": "order", "number": f"Daily sales {day.isoformat()}",
        "source": {"connection": connection, "object_type": "daily_summary",
                   "external_id": summary_id(day),
                   "updated_at": max(stamps).isoformat() if stamps else None},
        "order_date": day.isoformat(), "financial_status": "paid", "currency": currency,
        "amounts_include_tax": orders[0].amounts_include_tax, "lines": lines,
        "shipping_lines": shipping,
        "tax_lines": _taxes((t for o in orders for t in o.tax_lines), currency),
        "gift_cards": [{"amount": Money(gift, currency).text()}] if gift else [],
        "note": f"{len(orders)} orders",
    })
