"""The emulator speaks Shopify's Admin REST API: the official library and our client agree."""

from __future__ import annotations

import httpx
import pytest
import shopify

from ledgerbridge.connectors.registry import build
from ledgerbridge.connectors.shopify.client import ShopifyClient
from ledgerbridge.connectors.shopify.emulator import API_VERSION
from ledgerbridge.sync.errors import FatalError, RetriableError
from tests.connectors.shopify.conftest import TOKEN, serve_emulator, shop_settings

SHIRT = {"title": "Shirt", "sku": "SH-1", "price": "20.00", "quantity": 2}


def make_orders(emulator, count: int) -> list[dict]:
    return [emulator.control("orders", {"line_items": [SHIRT], "shipping": {"price": "5.00"}})
            ["order"] for _ in range(count)]


@pytest.fixture
def official(emulator):
    """The official library pointed at the emulator (plain http, any host)."""
    session = shopify.Session("ledgerbridge-sandbox.myshopify.com", API_VERSION, TOKEN)
    shopify.ShopifyResource.activate_session(session)
    # Session always builds https://<shop>.myshopify.com; the site can be set directly.
    shopify.ShopifyResource.set_site(f"{emulator.url}/admin/api/{API_VERSION}")
    yield shopify
    shopify.ShopifyResource.clear_session()


def test_official_library_lists_orders_across_link_pages_and_fetches_one(emulator, official):
    made = make_orders(emulator, 5)
    page = official.Order.find(limit=2, status="any")
    seen = [o.id for o in page]
    assert page.has_next_page() and not page.has_previous_page()
    while page.has_next_page():
        page = page.next_page()
        seen += [o.id for o in page]
    assert seen == [o["id"] for o in made]
    back = page.previous_page()
    assert [o.id for o in back] == seen[2:4]
    order = official.Order.find(made[0]["id"])
    assert order.total_price == made[0]["total_price"]
    assert order.line_items[0].tax_lines[0].title == "CA State Tax"
    assert official.Order.find(made[0]["id"]).total_price_set.shop_money.currency_code == "USD"


def test_official_library_reads_refunds_transactions_and_payouts(emulator, official):
    (order,) = make_orders(emulator, 1)
    emulator.control(f"orders/{order['id']}/refunds",
                     {"line_items": [{"line_item_id": order["line_items"][0]["id"],
                                      "quantity": 1, "restock_type": "return"}]})
    payout = emulator.control("payouts")["payout"]
    (refund,) = official.Refund.find(order_id=order["id"])
    assert refund.refund_line_items[0].restock_type == "return"
    kinds = [t.kind for t in official.Transaction.find(order_id=order["id"])]
    assert kinds == ["sale", "refund"]
    assert [p.id for p in official.Payouts.find()] == [payout["id"]]
    moves = official.Balance.find(from_=f"{emulator.url}/admin/api/{API_VERSION}/"
                                  f"shopify_payments/balance/transactions.json",
                                  payout_id=payout["id"])
    assert {m.type for m in moves} == {"charge", "refund", "payout"}


def test_page_info_refuses_other_filters_and_a_bad_token_is_401(emulator):
    make_orders(emulator, 3)
    base = f"{emulator.url}/admin/api/{API_VERSION}/orders.json"
    headers = {"X-Shopify-Access-Token": TOKEN}
    first = httpx.get(base, params={"limit": 1, "status": "any"}, headers=headers)
    assert first.headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"
    link = first.headers["link"].split(">")[0][1:]
    assert httpx.get(link, headers=headers).status_code == 200
    refused = httpx.get(f"{link}&status=any", headers=headers)
    assert refused.status_code == 400 and "page_info" in refused.json()["errors"]
    denied = httpx.get(base, headers={"X-Shopify-Access-Token": "wrong"})
    assert denied.status_code == 401
    assert denied.json() == {"errors": "[API] Invalid API key or access token (unrecognized "
                                       "login or wrong password)"}


def test_connector_reads_every_order_page_by_page_with_the_cursor(emulator):
    made = make_orders(emulator, 5)
    connector = build("shopify", "shop", shop_settings(emulator.url, lookback_seconds=60))
    pages = list(connector.read(connector.stream("orders"), None))
    assert [len(p.events) for p in pages] == [2, 2, 1]
    assert [p.more for p in pages] == [True, True, False]
    assert [e.object_id for p in pages for e in p.events] == [str(o["id"]) for o in made]
    assert pages[-1].cursor == made[-1]["updated_at"]
    # the next read starts a lookback window (a minute: one order) behind the cursor
    again = list(connector.read(connector.stream("orders"), pages[-1].cursor))
    assert [e.object_id for p in again for e in p.events] == [str(o["id"]) for o in made[-2:]]


def test_wrong_token_is_fatal_for_the_connector(emulator):
    connector = build("shopify", "shop", {**shop_settings(emulator.url), "access_token": "no"})
    with pytest.raises(FatalError, match="401"):
        list(connector.read(connector.stream("orders"), None))


class Clock:
    """A clock the client's sleep moves forward: no real waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_full_bucket_answers_429_and_the_client_waits_retry_after():
    clock = Clock()
    app, served = serve_emulator(bucket_size=2, leak_rate=2.0, clock=clock)
    with served as url:
        base = f"{url}/admin/api/{API_VERSION}"
        client = ShopifyClient(base, TOKEN, connection="shop", sleep=clock.sleep)
        for _ in range(2):
            client.get("orders.json")
        raw = httpx.get(f"{base}/orders.json", headers={"X-Shopify-Access-Token": TOKEN})
        assert raw.status_code == 429 and raw.headers["Retry-After"] == "0.5"
        assert client.get("orders.json").headers["X-Shopify-Shop-Api-Call-Limit"] == "2/2"
        assert clock.slept == [0.5]
        stuck = ShopifyClient(base, TOKEN, connection="shop", sleep=lambda s: None)
        with pytest.raises(RetriableError, match="429"):
            stuck.get("orders.json")
