"""Edge cases of the sales side, end to end through the emulators and the real gateway.

A deal lost (or re-opened) after invoicing is credited in full; that case is tested
once, in tests/mapping/test_deals.py::test_reopened_deal_is_credited_and_rewon_deal_stands_again.
"""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import func, select

from ledgerbridge.store.tables import documents, inbox, journal_entries, outbox
from ledgerbridge.sync.outbox import deliver_due
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.hubspot.conftest import _emulated, connect
from tests.connectors.hubspot.helpers import current, work
from tests.connectors.shopify.conftest import (  # noqa: F401  (fixtures)
    by_code,
    gateway,
    shop_connection,
    shop_options,
)
from tests.connectors.shopify.test_end_to_end import expected_from
from tests.test_sales_loop import STATUS, deal_status

SHIRT = {"title": "Shirt", "sku": "SH-1", "price": "24.99", "quantity": 1}
MUG = {"title": "Mug", "sku": "MUG", "price": "12.50", "quantity": 2}


def count(ledger, query) -> int:
    with ledger.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def dead_letters(ledger) -> list[tuple[str, str]]:
    """(object type, error) of the dead-lettered events, oldest first."""
    query = (select(inbox.c.object_type, inbox.c.last_error)
             .where(inbox.c.status == "dead").order_by(inbox.c.id))
    with ledger.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_a_deal_won_twice_is_invoiced_once(ledger, gateway):  # noqa: F811
    with _emulated(webhook_url=f"{gateway}/webhooks/hs") as hub:
        record = connect(ledger, hub, mapping=STATUS)
        deal_id = hub.deal()
        hub.move(deal_id, "closedwon")
        work(ledger)
        assert deliver_due(ledger.engine) == 1
        # HubSpot delivers the "won" webhook again (same event id) ...
        with ledger.engine.connect() as conn:
            won = conn.execute(select(inbox.c.body).where(inbox.c.object_id == deal_id)
                               .order_by(inbox.c.id.desc()).limit(1)).scalar_one()
        assert json.loads(won)["propertyName"] == "dealstage"
        hub.portal.send([json.loads(won)])
        assert hub.portal.deliveries[-1] == 200  # a duplicate: stored once already
        # ... the deal changes again while staying won, and a poll reads it once more.
        hub.change("deals", deal_id, hs_next_step="Kick-off call")
        poll_connection(ledger.engine, record)
        work(ledger)
        assert deliver_due(ledger.engine) == 0
        assert deal_status(hub, deal_id) == ("Invoiced", "1250.00", "")

    assert list(current(ledger, "invoice")) == [deal_id]
    assert count(ledger, select(func.count()).select_from(documents)
                 .where(documents.c.type == "invoice")) == 1
    assert count(ledger, select(func.count()).select_from(journal_entries)) == 1
    assert count(ledger, select(func.count()).select_from(outbox)) == 1
    assert by_code(ledger) == {"1100": 125000, "4020": -135000, "4050": 10000}
    assert dead_letters(ledger) == []


def test_an_order_edited_after_payment_replaces_its_entry(ledger, shop_connection):  # noqa: F811
    _, emulator = shop_connection
    order = emulator.control("orders", {"line_items": [SHIRT]})["order"]
    work(ledger)
    emulator.control(f"orders/{order['id']}/edit", {"line_items": [{**SHIRT, "quantity": 3},
                                                                   MUG]})
    work(ledger)
    assert by_code(ledger) == expected_from(emulator.shop)  # the new order, once
    assert by_code(ledger)["4010"] == -(3 * 2499 + 2 * 1250)
    with ledger.engine.connect() as conn:
        versions = conn.execute(select(documents.c.status).where(
            documents.c.type == "order").order_by(documents.c.id)).scalars().all()
    assert versions == ["superseded", "current"]
    # the first entry, its reversal, the new one
    assert count(ledger, select(func.count()).select_from(journal_entries)) == 3


def test_a_refund_beyond_what_remains_refundable_is_dead_lettered(ledger, shop_connection):  # noqa: F811
    _, emulator = shop_connection
    order = emulator.control("orders", {"line_items": [{**SHIRT, "quantity": 2}]})["order"]
    line = order["line_items"][0]["id"]
    first = emulator.control(f"orders/{order['id']}/refunds",
                             {"line_items": [{"line_item_id": line, "quantity": 1}]})["refund"]
    work(ledger)
    before = by_code(ledger)
    refund = emulator.control(f"orders/{order['id']}/refunds", {"amount": "50.00"})["refund"]
    work(ledger)

    assert by_code(ledger) == before  # nothing posted
    total, back = Decimal(order["total_price"]), Decimal(first["transactions"][0]["amount"])
    message = (f"shop/refund/{refund['id']}: refund {refund['id']} of order {order['name']} "
               f"returns 50.00 USD, but only {total - back} of the order's {total} remains "
               f"refundable ({back} refunded before)")
    (refund_event, refund_error), (order_event, order_error) = dead_letters(ledger)
    assert (refund_event, refund_error.partition(": ")[2]) == ("refund", message)
    # the order's update carries the refund too, and its own check stops it
    assert order_event == "order"
    assert order_error.endswith(f"refunds add up to {back + 50}, more than the order total "
                                f"{total}")


def test_tax_in_an_unlisted_jurisdiction_is_dead_lettered(ledger, shop_connection):  # noqa: F811
    _, emulator = shop_connection
    emulator.control("orders", {"line_items": [SHIRT],
                                "address": {"country_code": "CA", "province_code": "QC"}})
    work(ledger)
    assert by_code(ledger) == {}
    [(kind, error)] = dead_letters(ledger)
    assert kind == "order"
    assert ("tax jurisdiction 'CA' is not in the mapping's tax.jurisdictions "
            "(DE, US-CA, US-NY)") in error
