"""Xero records to canonical documents.

Invoices (ACCREC) become Invoices and bills (ACCPAY) Bills; payments, customer credit
notes, contacts and spend/receive money transactions map one to one. Xero's
``LineAmount`` is after the line's discount: the canonical line keeps quantity x
unit price as its amount and the difference as its discount. Tax is taken as Xero
computed it, never recomputed. A record's ``UpdatedDateUTC`` is its version.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.connectors.xero.wire import parse_date, parse_stamp
from ledgerbridge.documents import (
    Address,
    BankTransaction,
    Bill,
    Contact,
    Counterparty,
    CreditNote,
    Document,
    Invoice,
    Payment,
    Ref,
    Source,
)
from ledgerbridge.money import currency_exponent

__all__ = ["Normalizer"]

Obj = dict[str, Any]
_STATUS = {"DRAFT": "draft", "SUBMITTED": "draft", "AUTHORISED": "open", "PAID": "paid",
           "VOIDED": "void", "DELETED": "void"}
_NOTE_STATUS = {"DRAFT": "draft", "SUBMITTED": "draft", "AUTHORISED": "open",
                "PAID": "applied", "VOIDED": "void", "DELETED": "void"}
_ADDRESS_KINDS = {"POBOX": "billing", "STREET": "registered", "DELIVERY": "shipping"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _functional_rate(record: Obj) -> Decimal | None:
    """Base-currency units per document unit; None in the base currency itself.

    Xero's ``CurrencyRate`` is document units per unit of the organisation's base
    currency, which is taken to be the ledger's functional currency.
    """
    rate = record.get("CurrencyRate")
    if rate is None or Decimal(rate) in (0, 1):
        return None
    return Decimal(1) / Decimal(rate)


class Normalizer:
    """Builds documents for one connection; ``jurisdiction`` labels Xero's tax lines."""

    def __init__(self, connection: str, jurisdiction: str) -> None:
        self.connection = connection
        self.jurisdiction = jurisdiction

    def _source(self, object_type: str, record: Obj, key: str) -> Source:
        stamp = record.get("UpdatedDateUTC")
        return Source(connection=self.connection, object_type=object_type,
                      external_id=str(record[key]),
                      version=None if stamp is None else str(stamp),
                      updated_at=None if stamp is None else parse_stamp(str(stamp)))

    def _contact_ref(self, record: Obj) -> Ref:
        contact = record.get("Contact") or {}
        return Ref(external_id=contact.get("ContactID"), name=contact.get("Name"))

    def _line(self, line: Obj, currency: str, mode: str) -> dict[str, Any]:
        exponent = Decimal(1).scaleb(-currency_exponent(currency))
        net = Decimal(line["LineAmount"])
        quantity = Decimal(line.get("Quantity") or 1)
        price = line.get("UnitAmount")
        gross = net if price is None else (quantity * Decimal(price)).quantize(
            exponent, ROUND_HALF_UP)
        tax = Decimal(line.get("TaxAmount") or 0)
        tax_lines = [] if mode == "NoTax" or not tax else [{
            "jurisdiction": self.jurisdiction, "name": line.get("TaxType"),
            "tax_code": line.get("TaxType"), "amount": tax}]
        return {"description": line.get("Description"), "quantity": quantity,
                "unit_price": None if price is None else Decimal(price), "amount": gross,
                "discount": {"amount": gross - net} if gross != net else None,
                "tax_lines": tax_lines, "account": line.get("AccountCode"),
                "item": {"external_id": line["ItemCode"]} if line.get("ItemCode") else None}

    def _itemized(self, record: Obj) -> dict[str, Any]:
        currency = record.get("CurrencyCode") or "USD"
        mode = record.get("LineAmountTypes") or "Exclusive"
        return {"currency": currency, "amounts_include_tax": mode == "Inclusive",
                "exchange_rate": _functional_rate(record),
                "lines": tuple(self._line(line, currency, mode)
                               for line in record.get("LineItems") or ()),
                "total": Decimal(record["Total"]),
                "issue_date": parse_date(record["Date"]),
                "due_date": parse_date(record["DueDate"]) if record.get("DueDate") else None}

    def invoice(self, record: Obj) -> Invoice | Bill | None:
        """An ACCREC invoice or an ACCPAY bill (other types carry no document)."""
        kind = record.get("Type")
        common = {**self._itemized(record), "source": self._source("Invoice", record,
                                                                    "InvoiceID"),
                  "number": record.get("InvoiceNumber") or None,
                  "status": _STATUS.get(record.get("Status", ""), "open")}
        if kind == "ACCREC":
            return Invoice(**common, customer=self._contact_ref(record),
                           reference=record.get("Reference") or None)
        if kind == "ACCPAY":
            return Bill(**common, vendor=self._contact_ref(record),
                        memo=record.get("Reference") or None)
        return None

    def credit_note(self, record: Obj) -> CreditNote | None:
        """A customer credit note (ACCRECCREDIT); one allocation names its invoice."""
        if record.get("Type") != "ACCRECCREDIT":
            return None
        allocations = record.get("Allocations") or ()
        invoice = ((allocations[0].get("Invoice") or {}).get("InvoiceID")
                   if len(allocations) == 1 else None)
        return CreditNote(**self._itemized(record),
                          source=self._source("CreditNote", record, "CreditNoteID"),
                          number=record.get("CreditNoteNumber") or None,
                          customer=self._contact_ref(record),
                          invoice=Ref(external_id=invoice) if invoice else None,
                          status=_NOTE_STATUS.get(record.get("Status", ""), "open"),
                          reason=record.get("Reference") or None)

    def payment(self, record: Obj) -> Payment | None:
        """A payment applied to the invoice or bill it pays (deleted ones: none)."""
        if record.get("Status") == "DELETED":
            return None
        invoice = record.get("Invoice") or {}
        kind = "bill" if invoice.get("Type") == "ACCPAY" else "invoice"
        amount = Decimal(record["Amount"])
        return Payment(
            source=self._source("Payment", record, "PaymentID"),
            direction="sent" if kind == "bill" else "received",
            date=parse_date(record["Date"]), amount=amount,
            currency=invoice.get("CurrencyCode") or "USD",
            exchange_rate=_functional_rate(record),
            contact=self._contact_ref(invoice) if invoice.get("Contact") else None,
            applications=[{"document": {"external_id": invoice["InvoiceID"]},
                           "document_type": kind, "amount": amount}]
            if invoice.get("InvoiceID") else [],
            deposit_account=(record.get("Account") or {}).get("Code"),
            reference=record.get("Reference") or None, method="bank_transfer")

    def contact(self, record: Obj) -> Contact:
        """A contact: customer, supplier or both."""
        customer, supplier = bool(record.get("IsCustomer")), bool(record.get("IsSupplier"))
        kind = "vendor" if supplier and not customer else "customer" if customer and \
            not supplier else "both"
        email = record.get("EmailAddress")
        phones = tuple(" ".join(str(p.get(k) or "") for k in ("PhoneCountryCode",
                                                               "PhoneAreaCode",
                                                               "PhoneNumber")).strip()
                       for p in record.get("Phones") or () if p.get("PhoneNumber"))
        return Contact(source=self._source("Contact", record, "ContactID"),
                       name=record["Name"], kind=kind,
                       emails=(email,) if email and _EMAIL.match(email) else (),
                       phones=phones, tax_id=record.get("TaxNumber") or None,
                       addresses=tuple(self._address(a) for a in record.get("Addresses") or ()
                                       if a.get("AddressLine1") or a.get("City")),
                       currency=record.get("DefaultCurrency") or None,
                       active=record.get("ContactStatus", "ACTIVE") == "ACTIVE")

    def _address(self, address: Obj) -> Address:
        country = str(address.get("Country") or "")
        return Address(kind=_ADDRESS_KINDS.get(address.get("AddressType", ""), "other"),
                       line1=address.get("AddressLine1") or None,
                       line2=address.get("AddressLine2") or None,
                       city=address.get("City") or None, region=address.get("Region") or None,
                       postal_code=address.get("PostalCode") or None,
                       country=country if re.fullmatch("[A-Z]{2}", country) else None)

    def bank_transaction(self, record: Obj) -> BankTransaction | None:
        """Spend or receive money on a bank account, signed (deleted or voided: none)."""
        if record.get("Status") in ("DELETED", "VOIDED"):
            return None
        total = Decimal(record["Total"])
        account = record.get("BankAccount") or {}
        contact = record.get("Contact") or {}
        lines = record.get("LineItems") or ()
        return BankTransaction(
            source=self._source("BankTransaction", record, "BankTransactionID"),
            account=account.get("Code") or account.get("Name") or account["AccountID"],
            booking_date=parse_date(record["Date"]),
            amount=-total if str(record["Type"]).startswith("SPEND") else total,
            currency=record.get("CurrencyCode") or "USD",
            description=record.get("Reference") or "; ".join(
                str(line.get("Description")) for line in lines if line.get("Description")),
            counterparty=Counterparty(name=contact["Name"]) if contact.get("Name") else None,
            bank_reference=record["BankTransactionID"],
            kind="credit" if total and not str(record["Type"]).startswith("SPEND") else "debit")

    BUILDERS = {"Invoices": "invoice", "CreditNotes": "credit_note", "Payments": "payment",
                "Contacts": "contact", "BankTransactions": "bank_transaction"}
    """The method that normalizes a record of each collection."""

    def documents(self, collection: str, record: Obj) -> list[Document]:
        """The documents of one record of ``collection``."""
        built = getattr(self, self.BUILDERS[collection])(record)
        return [] if built is None else [built]
