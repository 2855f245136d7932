"""Xero records to canonical documents, built by the emulated organisation itself."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.xero.normalize import Normalizer
from ledgerbridge.connectors.xero.org import Organisation
from ledgerbridge.connectors.xero.wire import dumps, loads, ms_date, parse_date
from ledgerbridge.documents import BankTransaction, Bill, Contact, CreditNote, Invoice, Payment

NORMALIZER = Normalizer("xero", "NZ")

_lines = st.lists(st.fixed_dictionaries({
    "Description": st.just("Item"),
    "Quantity": st.decimals(min_value=1, max_value=50, places=2),
    "UnitAmount": st.decimals(min_value=0, max_value=5000, places=2),
    "DiscountRate": st.sampled_from([Decimal(0), Decimal(5), Decimal("12.5")]),
    "TaxType": st.sampled_from(["OUTPUT2", "NONE"]),
}), min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(_lines, st.sampled_from(["Exclusive", "Inclusive", "NoTax"]),
       st.sampled_from(["ACCREC", "ACCPAY"]))
def test_documents_add_up_to_xeros_totals(lines, mode, kind):
    org = Organisation("Property Ltd")
    record = loads(dumps(org.save_invoice({"Type": kind, "Contact": {"Name": "Someone"},
                                           "LineAmountTypes": mode, "Status": "AUTHORISED",
                                           "LineItems": lines})))
    (document,) = NORMALIZER.documents("Invoices", record)
    assert isinstance(document, Invoice if kind == "ACCREC" else Bill)
    assert document.total.decimal == record["Total"]
    assert document.tax_total.decimal == record["TotalTax"]
    assert document.amounts_include_tax is (mode == "Inclusive")


def test_wire_numbers_stay_exact_and_dates_read_both_forms():
    text = dumps({"Amount": Decimal("0.10"), "Rate": Decimal("1.23456789012345678901")})
    assert text == b'{"Amount": 0.10, "Rate": 1.23456789012345678901}'
    assert loads(text)["Rate"] == Decimal("1.23456789012345678901")
    assert str(parse_date("/Date(1764028800000+0000)/")) == "2025-11-25"
    assert str(parse_date("2025-11-25T00:00:00")) == "2025-11-25"
    assert parse_date(ms_date(parse_date("2026-02-28"))).isoformat() == "2026-02-28"


def _org_with_invoice() -> tuple[Organisation, dict]:
    org = Organisation("Demo")
    invoice = org.save_invoice({"Type": "ACCREC", "Contact": {"Name": "Acme"},
                                "Status": "AUTHORISED", "Date": "2026-11-01",
                                "LineItems": [{"Description": "A", "UnitAmount": "100"}]})
    return org, invoice


def test_a_payment_applies_to_its_invoice_and_a_deleted_one_is_nothing():
    org, invoice = _org_with_invoice()
    record = loads(dumps(org.save_payment({"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                                           "Account": {"Code": "090"}, "Amount": "40.00",
                                           "Date": "2026-11-05", "Reference": "dep"})))
    (payment,) = NORMALIZER.documents("Payments", record)
    assert isinstance(payment, Payment)
    assert (payment.direction, payment.amount.text(), payment.deposit_account) == (
        "received", "40.00", "090")
    (application,) = payment.applications
    assert application.document.external_id == invoice["InvoiceID"]
    assert NORMALIZER.documents("Payments", {**record, "Status": "DELETED"}) == []


def test_credit_notes_contacts_and_bank_transactions():
    org, invoice = _org_with_invoice()
    note = loads(dumps(org.save_credit_note({
        "Type": "ACCRECCREDIT", "Contact": {"Name": "Acme"}, "Status": "AUTHORISED",
        "LineItems": [{"Description": "Back", "UnitAmount": "10"}]})))
    note["Allocations"] = [{"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 11.5}]
    (credit,) = NORMALIZER.documents("CreditNotes", note)
    assert isinstance(credit, CreditNote) and credit.invoice.external_id == invoice["InvoiceID"]
    assert credit.total.text() == "11.50"
    assert NORMALIZER.documents("CreditNotes", {**note, "Type": "ACCPAYCREDIT"}) == []

    contact = loads(dumps(org.save_contact({
        "Name": "Vendor Co", "IsSupplier": True, "EmailAddress": "ap@vendor.example",
        "TaxNumber": "12-345-678", "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "555"}],
        "Addresses": [{"AddressType": "STREET", "AddressLine1": "1 Main St",
                       "City": "Wellington", "Country": "NZ"}]})))
    (vendor,) = NORMALIZER.documents("Contacts", contact)
    assert isinstance(vendor, Contact)
    assert (vendor.kind, vendor.emails, vendor.tax_id, vendor.addresses[0].kind) == (
        "vendor", ("ap@vendor.example",), "12-345-678", "registered")

    spend = loads(dumps(org.save_bank_transaction({
        "Type": "SPEND", "Contact": {"Name": "Cafe"}, "BankAccount": {"Code": "090"},
        "Date": "2026-11-03", "LineItems": [{"Description": "Coffee", "UnitAmount": "4.00"}]})))
    (line,) = NORMALIZER.documents("BankTransactions", spend)
    assert isinstance(line, BankTransaction)
    assert (line.amount.text(), line.account, line.counterparty.name, line.description) == (
        "-4.60", "090", "Cafe", "Coffee")
    assert NORMALIZER.documents("BankTransactions", {**spend, "Status": "DELETED"}) == []
