"""Any order posts a balanced entry with its tax in each jurisdiction's account."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.shopify.emulated_shop import TAX_RATES, EmulatedShop
from ledgerbridge.connectors.shopify.orders import Hints, order_documents
from ledgerbridge.connectors.shopify.taxes import Place, jurisdiction
from ledgerbridge.mapping import load_rules

RULES = load_rules("""
tax:
  jurisdictions: {US-CA: "2210", US-NY: "2220", CA: "2230", CA-QC: "2240", DE: "2250"}
account_aliases: {SH-1: "4011", web: "4012"}
""")
ACCOUNTS = {"US-CA": "2210", "US-NY": "2220", "CA": "2230", "CA-QC": "2240", "DE": "2250"}
PLACES = [Place(country, province) for country, province in TAX_RATES]


def no_lookup(kind: str, external_id: str):
    raise AssertionError(f"unexpected lookup of {kind} {external_id}")


def per_account(document) -> dict[str, int]:
    entry = RULES.entry_for(document, no_lookup)
    if entry is None:  # a refund of nothing (free shipping "refunded") posts nothing
        return {}
    assert sum(line.amount.minor for line in entry.lines) == 0
    totals: dict[str, int] = {}
    for line in entry.lines:
        totals[line.account] = totals.get(line.account, 0) + line.amount.minor
    return totals


def tax_owed(lines: list[dict], where: tuple) -> dict[str, int]:
    """Tax credited per account: each line's jurisdiction under its longest mapped prefix."""
    owed: dict[str, int] = {}
    for line in lines:
        for tax in line["tax_lines"]:
            parts = jurisdiction(tax["title"], Place(*where)).split("-")
            code = next(ACCOUNTS["-".join(parts[:n])] for n in range(len(parts), 0, -1)
                        if "-".join(parts[:n]) in ACCOUNTS)
            owed[code] = owed.get(code, 0) - int(Decimal(tax["price"]) * 100)
    return {code: amount for code, amount in owed.items() if amount}


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
items = st.fixed_dictionaries({
    "title": st.sampled_from(["Shirt", "Mug", "Hat"]), "sku": st.sampled_from(["SH-1", "X"]),
    "price": prices.map(str), "quantity": st.integers(1, 5),
    "gift_card": st.booleans()})
specs = st.fixed_dictionaries({
    "line_items": st.lists(items, min_size=1, max_size=4),
    "address": st.sampled_from(list(TAX_RATES)).map(
        lambda p: {"country_code": p[0], "province_code": p[1]}),
    "shipping": st.one_of(st.none(), st.fixed_dictionaries(
        {"price": prices.map(str), "free": st.booleans()})),
    "discount_percent": st.sampled_from(["0", "10", "15", "33"]),
    "financial_status": st.sampled_from(["paid", "pending"]),
})


@settings(max_examples=80, deadline=None)
@given(spec=specs, refund_share=st.integers(0, 5), revenue_by=st.sampled_from(["none", "sku"]))
def test_any_order_and_refund_balance_with_tax_per_jurisdiction(spec, refund_share, revenue_by):
    shop = EmulatedShop()
    order = shop.create_order(spec)
    lines = order["line_items"]
    if spec["financial_status"] == "paid":
        shop.refund(order["id"], {"shipping": refund_share % 2 == 0, "line_items": [
            {"line_item_id": line["id"], "quantity": min(refund_share, line["quantity"])}
            for line in lines if refund_share]})
    where = (spec["address"]["country_code"], spec["address"]["province_code"])
    documents = order_documents("shop", order, shop.transactions[order["id"]],
                                Hints(revenue_by=revenue_by))
    sale = per_account(documents[0])
    assert documents[0].total.text() == order["total_price"]
    assert not any(line.description == "Difference to the Shopify order total"
                   for line in documents[0].lines)
    owed = tax_owed([*lines, *order["shipping_lines"]], where)
    assert {code: sale.get(code, 0) for code in ACCOUNTS.values() if code in sale} == owed
    if revenue_by == "sku" and any(i["sku"] == "SH-1" and not i["gift_card"] for i in lines):
        assert sale["4011"] < 0
    for document in documents[1:]:
        per_account(document)


@pytest.mark.parametrize(("title", "where", "code"), [
    ("CA State Tax", ("US", "CA"), "US-CA"),
    ("Los Angeles County Tax", ("US", "CA"), "US-CA-LOS_ANGELES_COUNTY_TAX"),
    ("GST", ("CA", "QC"), "CA"),
    ("QST", ("CA", "QC"), "CA-QC"),
    ("HST", ("CA", "ON"), "CA-ON"),
    ("VAT", ("DE", None), "DE"),
    ("State Tax", (None, None), "STATE_TAX"),
])
def test_jurisdictions_from_title_and_address(title, where, code):
    assert jurisdiction(title, Place(*where)) == code


def test_restocking_changes_no_money_and_presentment_money_is_kept_aside():
    shop = EmulatedShop()
    order = shop.create_order({"line_items": [{"title": "Hat", "price": "30.00", "quantity": 2}],
                               "presentment_currency": "CAD", "rate": "1.37"})
    line = order["line_items"][0]["id"]
    kept = shop.refund(order["id"], {"line_items": [{"line_item_id": line, "quantity": 1}]})
    back = shop.refund(order["id"], {"line_items": [
        {"line_item_id": line, "quantity": 1, "restock_type": "return"}]})
    sale, *refunds = order_documents("shop", order, shop.transactions[order["id"]])
    assert sale.currency == "USD" and sale.presentment.currency == "CAD"
    assert (sale.total.text(), sale.presentment.total.text()) == ("64.50", "88.37")  # at 1.37
    assert [r.restock for r in sale.refunds] == [False, True]
    first_note, first_money, second_note, second_money = refunds
    assert per_account(first_note) == per_account(second_note)
    assert per_account(first_money) == per_account(second_money)
    assert "restocked (return)" in second_note.reason
    assert (kept["id"], back["id"]) == tuple(int(r.refund.external_id) for r in sale.refunds)


def test_the_package_exports_the_connector_and_its_settings():
    import ledgerbridge.connectors.shopify as package

    assert package.__all__ == ["ShopifyConnector", "ShopifySettings"]
    assert package.ShopifyConnector.system == "shopify"
