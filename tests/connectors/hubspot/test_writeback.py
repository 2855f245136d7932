"""Invoice status written back onto the HubSpot deal: values, repeats, failures."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledgerbridge.store.tables import outbox
from ledgerbridge.sync.apply import Command
from ledgerbridge.sync.errors import FatalError, RetriableError
from ledgerbridge.sync.outbox import deliver_due, enqueue
from ledgerbridge.sync.settlement import state_writebacks
from ledgerbridge.sync.worker import connection_rules
from tests.connectors.hubspot.conftest import connect, hubspot_connector
from tests.connectors.hubspot.helpers import current, make_due, work

WRITEBACK = """
writeback:
  - on: invoice.open
    connection: source
    command: set_invoice_status
"""
INVOICE_PROPERTIES = ("invoice_status", "invoice_number", "invoice_amount_due",
                      "invoice_paid_date")


def payload(deal_id, status="paid", **values):
    return {"type": "invoice", "connection": "hs", "external_id": deal_id, "status": status,
            "number": f"INV-{deal_id}", "currency": "USD", "total": "1250.00",
            "amount_due": "0.00", "paid_date": "2026-11-20", **values}


def invoice_fields(hub, deal_id):
    properties = hub.portal.records["deals"][deal_id]["properties"]
    return tuple(properties.get(name) for name in INVOICE_PROPERTIES)


def outbox_rows(ledger):
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(outbox).order_by(outbox.c.id)))


def test_a_won_deal_is_invoiced_and_its_status_written_back(ledger, pushing_hubspot):
    hub = pushing_hubspot
    record = connect(ledger, hub, mapping=WRITEBACK)
    deal_id = hub.deal()
    hub.move(deal_id, "closedwon")
    work(ledger)
    invoice = current(ledger, "invoice")[deal_id]
    assert (invoice["number"], invoice["total"]) == (f"INV-{deal_id}", "1250.00")
    assert invoice["due_date"] == "2026-12-20"  # the deal's Net 30
    with ledger.engine.begin() as conn:  # as when the ledger learns of a payment
        rules = connection_rules(record, ledger)
        for command, _ in state_writebacks(conn, rules, [(record.id, deal_id)]):
            enqueue(conn, command)
    assert deliver_due(ledger.engine) == 1
    assert outbox_rows(ledger)[0].status == "sent"
    assert invoice_fields(hub, deal_id) == ("Invoiced", f"INV-{deal_id}", "1250.00", "")


@pytest.mark.parametrize(("status", "values", "expected"), [
    ("paid", {}, ("Paid", "INV-{id}", "0.00", "2026-11-20")),
    ("partially_paid", {"amount_due": "250.00", "paid_date": None},
     ("Partially paid", "INV-{id}", "250.00", "")),
    ("open", {"amount_due": "1250.00", "paid_date": None, "number": None},
     ("Invoiced", "", "1250.00", "")),
])
def test_each_status_sets_the_deal_properties_and_repeats_safely(hubspot, status, values,
                                                                 expected):
    deal_id = hubspot.deal()
    connector = hubspot_connector(hubspot)
    for _ in range(2):
        result = connector.write("set_invoice_status", payload(deal_id, status, **values))
        assert result.external_id == deal_id
        assert invoice_fields(hubspot, deal_id) == tuple(
            v.format(id=deal_id) for v in expected)
    writes = [(m, p) for m, p in hubspot.portal.requests if m != "GET"]
    assert writes == [("PATCH", f"/crm/v3/objects/deals/{deal_id}")] * 2  # never a contact


def test_property_names_and_labels_come_from_the_settings(hubspot):
    connector = hubspot_connector(hubspot, status_property="payment_terms",
                                  paid_label="Settled", number_property="",
                                  paid_date_property="")
    deal_id = hubspot.deal()
    connector.write("set_invoice_status", payload(deal_id))
    properties = hubspot.portal.records["deals"][deal_id]["properties"]
    assert properties["payment_terms"] == "Settled"
    assert invoice_fields(hubspot, deal_id) == (None, None, "0.00", None)


def test_failures_say_whether_a_retry_can_help(hubspot):
    deal_id = hubspot.deal()
    connector = hubspot_connector(hubspot, max_rate_limit_wait=0)
    with pytest.raises(FatalError, match="status 'refunded'"):
        connector.write("set_invoice_status", payload(deal_id, "refunded"))
    with pytest.raises(FatalError, match="no write-back 'mark_paid'"):
        connector.write("mark_paid", payload(deal_id))
    with pytest.raises(FatalError, match="HTTP 404: resource not found"):
        connector.write("set_invoice_status", payload("999999"))
    hubspot.control("POST", "/rate-limit", {"count": 1})
    with pytest.raises(RetriableError, match="HTTP 429: You have reached"):
        connector.write("set_invoice_status", payload(deal_id))
    unknown = hubspot_connector(hubspot, status_property="no_such_property")
    with pytest.raises(FatalError, match="PROPERTY_DOESNT_EXIST"):
        unknown.write("set_invoice_status", payload(deal_id))


def test_the_outbox_retries_a_rate_limit_and_buries_a_bad_property(ledger, hubspot):
    connect(ledger, hubspot, max_rate_limit_wait=0)
    connect(ledger, hubspot, "hs2", status_property="no_such_property")
    deal_id = hubspot.deal()
    with ledger.engine.begin() as conn:
        for name in ("hs", "hs2"):
            enqueue(conn, Command(name, "set_invoice_status",
                                  payload(deal_id, connection=name), key=f"{name}:1"))
    hubspot.control("POST", "/rate-limit", {"count": 1})
    deliver_due(ledger.engine)
    first, second = outbox_rows(ledger)
    assert first.status == "failed" and "HTTP 429" in first.last_error
    assert second.status == "dead" and "PROPERTY_DOESNT_EXIST" in second.last_error
    make_due(ledger, outbox)
    deliver_due(ledger.engine)
    assert outbox_rows(ledger)[0].status == "sent"
    assert invoice_fields(hubspot, deal_id)[0] == "Paid"
