"""Xero through the real gateway, worker and outbox: signatures, intent to receive, documents."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ledgerbridge.connectors.xero import sign
from ledgerbridge.connectors.xero.signature import valid
from ledgerbridge.store.tables import documents, inbox
from ledgerbridge.sync.apply import Command
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.outbox import deliver_due, enqueue
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.sync.settlement import invoice_state
from tests.connectors.hubspot.helpers import current, inbox_rows, work
from tests.connectors.xero.conftest import NAME, WEBHOOK_KEY, connect

INTENT = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}'


def test_signature_vectors():
    # computed independently: printf '%s' BODY | openssl dgst -sha256 -hmac KEY -binary | base64
    assert sign(INTENT, "xero-webhook-key") == "Jk5oeRqkvxspr6ZqkjgzOcJkUe7yZPsZrwBHTeueGFc="
    assert sign(b"hello", "key") == "kwezuRXvtRcf8U2MtV+8x5jGwO8UVtZt7RpqpyOli3s="


@given(st.binary(max_size=200), st.text(min_size=1, max_size=30))
def test_only_the_exact_body_and_key_verify(body, key):
    signature = sign(body, key)
    assert valid(body, key, signature)
    assert not valid(body + b" ", key, signature)
    assert not valid(body, key + "x", signature)


def test_the_intent_to_receive_check_and_other_tenants_store_nothing(
        ledger, pushing_xero, gateway):
    xero = pushing_xero
    connect(ledger, xero, tenant_id=xero.org.tenant_id)
    assert xero.control("/webhooks/intent") == {"valid": 200, "invalid": 401, "ok": True}
    event = {"resourceUrl": "x", "resourceId": "r1", "tenantId": "another-tenant",
             "tenantType": "ORGANISATION", "eventCategory": "INVOICE", "eventType": "CREATE",
             "eventDateUtc": "2026-11-25T10:00:00.000"}
    assert xero.state.post_webhook([event]) == 200
    assert inbox_rows(ledger) == []
    body = b'{"events": "nope"}'
    answer = httpx.post(f"{gateway}/webhooks/{NAME}", content=body,
                        headers={"x-xero-signature": sign(body, WEBHOOK_KEY)})
    assert answer.status_code == 400
    with ledger.engine.connect() as conn:
        assert [r.status for r in conn.execute(select(inbox.c.status))] == ["dead"]


def test_a_connection_with_another_key_refuses_everything(ledger, pushing_xero):
    connect(ledger, pushing_xero, webhook_key="someone-elses-key")
    assert pushing_xero.control("/webhooks/intent")["valid"] == 401
    pushing_xero.invoice()
    assert set(pushing_xero.state.deliveries) == {401}
    assert inbox_rows(ledger) == []


def test_invoice_webhooks_become_invoice_bill_and_contact_documents(ledger, pushing_xero):
    xero = pushing_xero
    connect(ledger, xero)
    invoice = xero.invoice(LineItems=[{"Description": "Consulting", "Quantity": 2,
                                       "UnitAmount": "150.00", "DiscountRate": 10,
                                       "AccountCode": "200"}])
    bill = xero.invoice(Type="ACCPAY", Contact={"Name": "Paper Supplies"}, InvoiceNumber="P-7")
    assert set(xero.state.deliveries) == {202}
    work(ledger)
    stored = current(ledger, "invoice")[invoice["InvoiceID"]]
    assert (stored["number"], stored["status"], stored["total"], stored["tax_total"]) == (
        "INV-0001", "open", "310.50", "40.50")
    assert stored["lines"][0]["discount"]["amount"] == "30.00"
    assert (stored["customer"]["external_id"], stored["customer"]["name"]) == (
        invoice["Contact"]["ContactID"], "Acme Ltd")
    assert current(ledger, "bill")[bill["InvoiceID"]]["number"] == "P-7"
    contacts = current(ledger, "contact")
    assert {c["name"] for c in contacts.values()} == {"Acme Ltd", "Paper Supplies"}
    assert {row.status for row in inbox_rows(ledger)} <= {"posted", "ignored"}
    poll_connection(ledger.engine, _record(ledger))  # the same versions, read again
    work(ledger)
    assert set(current(ledger, "invoice")) == {invoice["InvoiceID"]}
    with ledger.engine.connect() as conn:
        entries = conn.exec_driver_sql("SELECT count(*) FROM journal_entries").scalar()
    assert entries == 2  # the invoice and the bill, each posted once
    xero.user("Invoices", InvoiceID=bill["InvoiceID"], Status="VOIDED")
    work(ledger)
    with ledger.engine.connect() as conn:
        state = conn.execute(select(documents.c.status).where(
            documents.c.external_id == bill["InvoiceID"]).order_by(documents.c.id.desc())
        ).scalar()
    assert state == "voided"


def test_a_xero_payment_marks_our_invoice_paid(ledger, pushing_xero):
    xero = pushing_xero
    connector = connect(ledger, xero)
    invoice = xero.invoice()
    work(ledger)
    xero.user("Payments", Invoice={"InvoiceID": invoice["InvoiceID"]},
              Account={"Code": "090"}, Date="2026-11-20", Amount="300.00")
    record = _record(ledger)
    poll_connection(ledger.engine, record, streams=["payments"])
    work(ledger)
    with ledger.engine.connect() as conn:
        state = invoice_state(conn, (record.id, invoice["InvoiceID"]))
    assert state is not None and state.status == "partially_paid"
    assert state.amount_due.text() == "45.00"
    xero.user("Payments", Invoice={"InvoiceID": invoice["InvoiceID"]},
              Account={"Code": "090"}, Date="2026-11-25", Amount="45.00")
    poll_connection(ledger.engine, record, streams=["payments"])
    work(ledger)
    with ledger.engine.connect() as conn:
        state = invoice_state(conn, (record.id, invoice["InvoiceID"]))
    assert (state.status, str(state.paid_date)) == ("paid", "2026-11-25")
    assert current(ledger, "invoice")[invoice["InvoiceID"]]["status"] == "paid"
    assert connector.system == "xero"


def _record(ledger):
    with ledger.engine.connect() as conn:
        return get_connection(conn, NAME)


def test_an_outbox_command_pushes_an_invoice_once(ledger, xero):
    connect(ledger, xero)
    invoice = {"type": "invoice", "source": {"connection": "crm", "object_type": "deal",
                                             "external_id": "INV-77"},
               "customer": {"external_id": "c1", "name": "Globex"}, "currency": "USD",
               "issue_date": "2026-11-05", "lines": [{"description": "Plan",
                                                      "amount": "99.00"}]}
    command = Command(NAME, "push_invoice", invoice, "crm:INV-77:push")
    with ledger.engine.begin() as conn:
        enqueue(conn, command)
        enqueue(conn, command)  # the same key is queued once
    assert deliver_due(ledger.engine) == 1
    (pushed,) = xero.org.records["Invoices"].values()
    assert (pushed["Reference"], str(pushed["Total"])) == ("INV-77", "99.00")
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT status FROM outbox").scalar() == "sent"
