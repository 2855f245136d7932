"""Shopify webhooks at the gateway: signatures, duplicate deliveries, webhook meets poll."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import func, select

from ledgerbridge.connectors.shopify.webhooks import signature
from ledgerbridge.store.tables import documents, inbox
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.sync.worker import Worker
from tests.connectors.shopify.conftest import SECRET

ORDER = {"line_items": [{"title": "Mug", "sku": "MUG", "price": "12.00", "quantity": 1}],
         "shipping": {"price": "4.00"}}


def inbox_rows(ledger) -> list:
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(inbox.c.object_type, inbox.c.channel, inbox.c.status)
                                 .order_by(inbox.c.id)))


def test_signed_webhooks_are_stored_and_posted(ledger, shop_connection):
    _, emulator = shop_connection
    emulator.control("orders", ORDER)
    (sent,) = httpx.get(f"{emulator.url}/_control/webhooks").json()
    assert sent["status"] == 202
    assert sent["headers"]["X-Shopify-Shop-Domain"].endswith(".myshopify.com")
    assert sent["headers"]["X-Shopify-API-Version"] == "2024-10"
    Worker(ledger.engine).run_until_idle()
    assert [r.status for r in inbox_rows(ledger)] == ["posted"]


def test_a_bad_signature_is_401_and_nothing_is_stored(ledger, shop_connection, gateway):
    body = json.dumps({"id": 1, "updated_at": "2026-03-02T10:00:00-05:00"}).encode()
    for hmac_value in ("", signature(body, "another-secret"), signature(body + b" ", SECRET)):
        answer = httpx.post(f"{gateway}/webhooks/shop", content=body, headers={
            "X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": hmac_value,
            "X-Shopify-Webhook-Id": "w-1"})
        assert answer.status_code == 401
    assert inbox_rows(ledger) == []


def test_a_redelivered_webhook_is_stored_once(ledger, shop_connection):
    _, emulator = shop_connection
    emulator.control("orders", ORDER)
    assert emulator.control("webhooks/0/redeliver") == {"status": 200}
    assert len(inbox_rows(ledger)) == 1


def test_the_same_order_version_by_webhook_and_by_poll_is_one_event(ledger, shop_connection):
    record, emulator = shop_connection
    order = emulator.control("orders", ORDER)["order"]
    emulator.control(f"orders/{order['id']}/refunds", {"shipping": True})
    (orders, payouts) = poll_connection(ledger.engine, record)
    assert (orders.read, orders.stored) == (1, 0)  # orders/updated already brought it
    Worker(ledger.engine).run_until_idle()
    assert [(r.object_type, r.status) for r in inbox_rows(ledger)] == [
        ("order", "posted"), ("refund", "posted"), ("order", "posted")]
    with ledger.engine.connect() as conn:
        kinds = {kind: n for kind, n in conn.execute(
            select(documents.c.type, func.count()).where(documents.c.status == "current")
            .group_by(documents.c.type))}
    assert kinds == {"order": 1, "credit_note": 1, "refund": 1}
