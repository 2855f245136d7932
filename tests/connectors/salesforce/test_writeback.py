"""Invoice status written back to the opportunity: PATCH, repeats, refusals, the outbox."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from ledgerbridge.connectors.registry import build
from ledgerbridge.store.tables import outbox
from ledgerbridge.sync.apply import Command
from ledgerbridge.sync.errors import FatalError
from ledgerbridge.sync.outbox import deliver_due, enqueue
from tests.connectors.salesforce.conftest import settings

FIELDS = "Invoice_Status__c, Invoice_Number__c, Amount_Due__c, Paid_Date__c"


def payload(opportunity, status="paid", amount_due="0.00", paid_date="2026-11-20"):
    return {"type": "invoice", "connection": "crm", "external_id": opportunity,
            "status": status, "number": "INV-0065", "currency": "USD", "total": "1250.00",
            "amount_due": amount_due, "paid_date": paid_date, "idempotency_key": "k-1"}


def invoice_fields(connector, opportunity):
    (record,) = connector.client.query_all(
        f"SELECT {FIELDS} FROM Opportunity WHERE Id IN ('{opportunity}')")
    return {k: v for k, v in record.items() if k != "attributes"}


def test_status_lands_on_the_opportunity_and_repeats_are_harmless(org, connector):
    opportunity = org.opportunity("Deal", lines=(("1", "1250.00"),))
    opened = payload(opportunity, "open", "1250.00", None)
    result = connector.write("set_invoice_status", opened)
    assert result.external_id == opportunity
    assert invoice_fields(connector, opportunity) == {
        "Invoice_Status__c": "Invoiced", "Invoice_Number__c": "INV-0065",
        "Amount_Due__c": Decimal("1250.00"), "Paid_Date__c": None}
    connector.write("set_invoice_status", payload(opportunity, "partially_paid", "250.10", None))
    assert invoice_fields(connector, opportunity)["Amount_Due__c"] == Decimal("250.10")
    for _ in range(2):
        connector.write("set_invoice_status", payload(opportunity))
    assert invoice_fields(connector, opportunity) == {
        "Invoice_Status__c": "Paid", "Invoice_Number__c": "INV-0065",
        "Amount_Due__c": Decimal("0.00"), "Paid_Date__c": "2026-11-20"}


def test_field_names_and_values_come_from_the_settings(org, org_url, connector):
    custom = build("salesforce", "custom", settings(
        org_url, number_field=None, paid_date_field="Bogus__c",
        status_values={"open": "Open", "partially_paid": "Part", "paid": "Settled"}))
    opportunity = org.opportunity("Deal")
    with pytest.raises(FatalError) as refused:
        custom.write("set_invoice_status", payload(opportunity))
    message = str(refused.value)
    assert "INVALID_FIELD" in message and "No such column 'Bogus__c'" in message
    assert refused.value.record == opportunity
    settled = build("salesforce", "settled", settings(
        org_url, number_field=None, status_values={"paid": "Settled"}))
    settled.write("set_invoice_status", payload(opportunity))
    fields = invoice_fields(connector, opportunity)
    assert (fields["Invoice_Status__c"], fields["Invoice_Number__c"]) == ("Settled", None)


def test_refusals_are_fatal_with_the_reason(org, connector):
    with pytest.raises(FatalError, match="NOT_FOUND"):
        connector.write("set_invoice_status", payload("0065g000000NOPEAAA"))
    opportunity = org.opportunity("Deal")
    with pytest.raises(FatalError, match="unknown invoice status 'void'"):
        connector.write("set_invoice_status", payload(opportunity, "void"))
    with pytest.raises(FatalError, match="no write-back 'push_invoice'"):
        connector.write("push_invoice", payload(opportunity))
    for wrong in (None, "../Account/0015g000000ABCDAAA"):
        with pytest.raises(FatalError, match="external_id"):
            connector.write("set_invoice_status", {**payload(opportunity), "external_id": wrong})


def test_write_back_after_the_session_expired(org, connector):
    opportunity = org.opportunity("Deal")
    connector.write("set_invoice_status", payload(opportunity, "open", "1250.00", None))
    org.expire_sessions()
    connector.write("set_invoice_status", payload(opportunity))
    assert invoice_fields(connector, opportunity)["Invoice_Status__c"] == "Paid"


def test_outbox_retries_a_request_limit_then_delivers(ledger, org, connection):
    opportunity = org.opportunity("Deal")
    command = Command("crm", "set_invoice_status", payload(opportunity), key="invoice:paid:1")
    with ledger.engine.begin() as conn:
        enqueue(conn, command)
    org.limit(0)
    assert deliver_due(ledger.engine) == 1
    with ledger.engine.connect() as conn:
        (row,) = conn.execute(select(outbox))
    assert row.status == "failed" and "REQUEST_LIMIT_EXCEEDED" in row.last_error
    org.limit(None)
    with ledger.engine.begin() as conn:
        conn.execute(outbox.update().values(next_attempt_at=None))
    assert deliver_due(ledger.engine) == 1
    with ledger.engine.connect() as conn:
        assert conn.execute(select(outbox.c.status)).scalar() == "sent"
    fields = invoice_fields(connection.connector(), opportunity)
    assert fields["Invoice_Status__c"] == "Paid"
