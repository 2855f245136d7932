"""The connector against the emulated company: streams, cursors, normalizing, writing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.connectors.quickbooks import QuickBooksConnector, QuickBooksSettings
from ledgerbridge.connectors.quickbooks.emulator import REALM_ID
from ledgerbridge.connectors.quickbooks.wire import dumps
from ledgerbridge.connectors.quickbooks.writer import Writer
from ledgerbridge.documents import Bill, Contact, Invoice, Payment
from ledgerbridge.money import Money
from ledgerbridge.sync.errors import FatalError, MalformedPayload, RetriableError
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.quickbooks.conftest import connect, connector_for

INVOICE = {"external_id": "INV-7", "customer_id": "58", "issue_date": "2026-11-03",
           "due_date": "2026-12-03",
           "lines": [{"description": "Consulting", "amount": "1200.00", "quantity": "8",
                      "unit_price": "150.00"}]}


def _documents(connector, stream_name: str) -> list:
    stream = connector.stream(stream_name)
    return [doc for page in connector.read(stream, None) for event in page.events
            for doc in connector.normalize(event)]


def test_streams_page_and_resume_from_their_cursor(books, qbo):
    record = connect(books, qbo, page_size=2)
    made = [qbo.customer(f"Customer {n}") for n in range(5)]
    connector = record.connector()
    pages = list(connector.read(connector.stream("customers"), None))
    assert [len(p.events) for p in pages] == [2, 2, 1] and [p.more for p in pages] == [
        True, True, False]
    newest = max(c["MetaData"]["LastUpdatedTime"]
                 for c in qbo.company.records["Customer"].values())
    assert pages[-1].cursor == newest
    (first,) = poll_connection(books, record, streams=["customers"])
    assert (first.read, first.stored, first.cursor) == (5, 5, newest)
    changed = qbo.save("Customer", Id=made[1]["Id"], SyncToken="0", sparse=True,
                       DisplayName="Renamed")
    (again,) = poll_connection(books, record, streams=["customers"])
    assert again.stored == 1 and again.cursor == changed["MetaData"]["LastUpdatedTime"]


def test_change_data_capture_catches_every_entity_up(books, qbo):
    record = connect(books, qbo)
    customer = qbo.customer()
    qbo.invoice(customer["Id"], "50.00")
    qbo.save("Vendor", DisplayName="Paper Co")
    (result,) = poll_connection(books, record, streams=["changes"])
    assert (result.read, result.stored) == (3, 3)
    (again,) = poll_connection(books, record, streams=["changes"])
    assert again.stored == 0


def test_invoices_payments_bills_and_contacts_normalize(local_books, qbo):
    connector = connector_for(local_books, qbo)
    customer = qbo.customer()
    invoice = qbo.invoice(customer["Id"], "100.00", "25.50", number="1042")
    qbo.save("Payment", TxnDate="2026-11-10", CustomerRef={"value": customer["Id"]},
             TotalAmt=Decimal("125.50"), PaymentRefNum="CHK-9",
             Line=[{"Amount": Decimal("125.50"),
                    "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}])
    vendor = qbo.save("Vendor", DisplayName="Paper Co")
    qbo.save("Bill", TxnDate="2026-11-04", VendorRef={"value": vendor["Id"]},
             Line=[{"DetailType": "AccountBasedExpenseLineDetail", "Amount": 80,
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7",
                                                                     "name": "Supplies"}}}])
    (inv,) = _documents(connector, "invoices")
    assert isinstance(inv, Invoice)
    assert (inv.number, inv.total, inv.customer.external_id, str(inv.due_date)) == (
        "1042", Money.parse("125.50", "USD"), customer["Id"], "2026-12-02")
    assert inv.source.version == "0" and inv.source.object_type == "Invoice"
    (pay,) = _documents(connector, "payments")
    assert isinstance(pay, Payment) and pay.reference == "CHK-9"
    assert [(a.document.external_id, a.amount.text()) for a in pay.applications] == [
        (invoice["Id"], "125.50")]
    (bill,) = _documents(connector, "bills")
    assert isinstance(bill, Bill) and bill.total.text() == "80.00"
    assert bill.lines[0].account == "Supplies"
    (contact,) = _documents(connector, "customers")
    assert isinstance(contact, Contact) and contact.emails == ("ap@acme.example",)


def test_push_invoice_creates_once_and_repeats_find_it(local_books, qbo):
    connector = connector_for(local_books, qbo)
    first = connector.write("push_invoice", {**INVOICE, "idempotency_key": "k1"})
    again = connector.write("push_invoice", {**INVOICE, "idempotency_key": "k1"})
    assert first.external_id == again.external_id
    (stored,) = qbo.company.records["Invoice"].values()
    assert stored["DocNumber"] == "INV-7" and stored["PrivateNote"] == "ledgerbridge:INV-7"
    assert str(stored["TotalAmt"]) == "1200.00" and stored["SyncToken"] == "0"


@pytest.mark.parametrize("failure", ["timeout", "error"])
def test_an_uncertain_create_is_resolved_by_lookup_not_a_second_create(local_books, qbo,
                                                                       failure):
    connector = connector_for(local_books, qbo, timeout_seconds=0.8)
    qbo.control("/faults", {"after_write": [failure]})
    result = connector.write("push_invoice", INVOICE)
    (stored,) = qbo.company.records["Invoice"].values()
    assert result.external_id == stored["Id"]


def test_a_throttled_write_creates_nothing_and_succeeds_when_retried(local_books, qbo):
    connector = connector_for(local_books, qbo)
    qbo.control("/faults", {"throttle": 1})
    with pytest.raises(RetriableError):
        connector.write("push_invoice", INVOICE)
    assert qbo.company.records["Invoice"] == {}
    connector.write("push_invoice", INVOICE)
    assert len(qbo.company.records["Invoice"]) == 1


def test_a_changed_invoice_is_updated_and_a_stale_read_retried(local_books, qbo):
    connector = connector_for(local_books, qbo)
    connector.write("push_invoice", INVOICE)
    (stale,) = [dict(r) for r in qbo.company.records["Invoice"].values()]
    qbo.save("Invoice", Id=stale["Id"], SyncToken="0", sparse=True, CustomerMemo={
        "value": "Thanks"})  # someone edits it in QuickBooks meanwhile
    updated = Writer(connector.client).update("Invoice", stale, {"DueDate": "2026-12-31"}, "k")
    assert (updated["SyncToken"], updated["DueDate"]) == ("2", "2026-12-31")
    assert updated["CustomerMemo"] == {"value": "Thanks"}  # their change is kept


def test_push_payment_links_the_invoice_by_number(local_books, qbo):
    connector = connector_for(local_books, qbo)
    invoice = connector.write("push_invoice", INVOICE)
    paid = connector.write("push_payment", {"external_id": "PAY-1", "customer_id": "58",
                                            "date": "2026-11-20", "amount": "1200.00",
                                            "invoice_number": "INV-7"})
    payment = qbo.company.records["Payment"][paid.external_id]
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": invoice.external_id,
                                                "TxnType": "Invoice"}]
    with pytest.raises(RetriableError, match="not in QuickBooks yet"):
        connector.write("push_payment", {"external_id": "PAY-2", "customer_id": "58",
                                         "date": "2026-11-20", "amount": "1",
                                         "invoice_number": "NOPE"})


def test_push_journal_entry_must_balance(local_books, qbo):
    connector = connector_for(local_books, qbo)
    lines = [{"account_id": "1", "posting": "Debit", "amount": "10.00"},
             {"account_id": "2", "posting": "Credit", "amount": "10.00"}]
    made = connector.write("push_journal_entry", {"external_id": "JE-1", "date": "2026-11-30",
                                                  "lines": lines})
    assert qbo.company.records["JournalEntry"][made.external_id]["DocNumber"] == "JE-1"
    with pytest.raises(FatalError, match="does not balance"):
        connector.write("push_journal_entry", {"external_id": "JE-2", "date": "2026-11-30",
                                               "lines": lines[:1]})
    with pytest.raises(FatalError, match="no write-back"):
        connector.write("mark_paid", {"external_id": "x"})


def test_expired_access_is_refreshed_and_throttling_is_retriable(local_books, qbo):
    connector = connector_for(local_books, qbo)
    qbo.customer()
    qbo.control("/expire")
    assert len(_documents(connector, "customers")) == 1
    assert qbo.company.refreshes == 1
    qbo.control("/faults", {"throttle": 1})
    with pytest.raises(RetriableError, match="429"):
        _documents(connector, "customers")


def test_deleted_objects_and_other_entities_make_no_documents():
    connector = QuickBooksConnector("qbo", QuickBooksSettings(
        realm_id=REALM_ID, client_id="id", client_secret="secret"))
    for body in ({"entity": "Invoice", "id": "9", "operation": "Delete"},
                 {"entity": "Invoice", "id": "9", "object": {"Id": "9", "status": "Deleted"}},
                 {"entity": "Account", "id": "3", "operation": "Create"}):
        assert connector.normalize(RawEvent(dumps(body).encode())) == []
    with pytest.raises(MalformedPayload):
        connector.normalize(RawEvent(b"[]"))


def test_an_unchanged_push_does_not_touch_what_quickbooks_filled_in(local_books, qbo):
    connector = connector_for(local_books, qbo)
    made = connector.write("push_invoice", INVOICE)
    stored = qbo.company.records["Invoice"][made.external_id]
    stored["Line"] = [{**stored["Line"][0], "Id": "1", "LineNum": 1},
                      {"DetailType": "SubTotalLineDetail", "Amount": Decimal("1200.00")}]
    assert connector.write("push_invoice", INVOICE).details["sync_token"] == "0"
    changed = connector.write("push_invoice", {**INVOICE, "due_date": "2026-12-24"})
    assert changed.details["sync_token"] == "1"


@pytest.fixture
def pusher(local_books, qbo) -> QuickBooksConnector:
    return connector_for(local_books, qbo)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(faults=st.lists(st.sampled_from(["saved then 503", "throttled"]), max_size=4))
def test_retrying_through_any_faults_creates_exactly_one_invoice(pusher, qbo, faults):
    company = qbo.company
    company.records["Invoice"].clear()
    company.answered.clear()
    company.after_write[:] = ["error" for f in faults if f == "saved then 503"]
    company.throttled = faults.count("throttled")
    results = []
    for _ in range(len(faults) + 2):  # the engine's retries
        try:
            results.append(pusher.write("push_invoice", INVOICE).external_id)
            break
        except RetriableError:
            continue
    assert results == list(company.records["Invoice"])
