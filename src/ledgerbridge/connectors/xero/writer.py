"""Write-backs to Xero: invoices, payments, manual journals and contacts, each once.

Each object carries our external id where Xero lets it be searched: an invoice's
and a payment's ``Reference``, a journal's narration (journals have no reference)
after ``[ref ...]``. Writing first looks that id up, so a command already carried
out is not carried out again; the create is sent with the command's
``Idempotency-Key``. When its outcome is unknown (a timeout, a 5xx), the id is
looked up again: found, the write is done; not found, the error is raised and the
outbox retries later with the same key. Nothing is created twice by retrying.

``push_contact`` takes a canonical contact: our external id goes in the contact's
``ContactNumber``; before creating, the organisation's contacts are searched for
the same party (:mod:`ledgerbridge.connectors.contact_match`) and one found is
linked instead, its ``ContactNumber`` set to our id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.base import WriteResult
from ledgerbridge.connectors.contact_match import ContactFacts, match_contact
from ledgerbridge.connectors.xero.client import RateLimited, XeroClient
from ledgerbridge.documents import (
    Bill,
    Contact,
    DocumentError,
    Invoice,
    Payment,
    parse_document,
)
from ledgerbridge.sync.errors import FatalError, RetriableError

__all__ = ["COMMANDS", "Writer"]

Obj = dict[str, Any]
COMMANDS = ("push_invoice", "push_payment", "push_manual_journal", "push_contact")


def _quoted(text: str) -> str:
    """Text safe inside a ``where`` string literal."""
    return re.sub(r'["\\]', "", text)


class Writer:
    """Carries out write-back commands for one connection."""

    def __init__(self, client: XeroClient, *, sales_account: str, purchases_account: str,
                 payment_account: str, sales_tax_type: str, purchases_tax_type: str) -> None:
        self.client = client
        self.sales_account, self.purchases_account = sales_account, purchases_account
        self.payment_account = payment_account
        self.tax_types = {"ACCREC": sales_tax_type, "ACCPAY": purchases_tax_type}

    @property
    def connection(self) -> str:
        """The connection written to."""
        return self.client.connection

    def write(self, command: str, payload: Mapping[str, Any]) -> WriteResult:
        """Carry out one command; the payload holds its ``idempotency_key``."""
        key = str(payload.get("idempotency_key") or "")
        if not key:
            raise FatalError(f"{command}: the payload has no idempotency_key",
                             connection=self.connection)
        if command == "push_invoice":
            return self._invoice(payload, key)
        if command == "push_payment":
            return self._payment(payload, key)
        if command == "push_manual_journal":
            return self._journal(payload, key)
        if command == "push_contact":
            return self._contact(payload, key)
        raise FatalError(f"xero supports no write-back {command!r} (only "
                         f"{', '.join(COMMANDS)})", connection=self.connection)

    def _once(self, collection: str, find: Callable[[], Obj | None], element: Obj,
              key: str, record: str) -> Obj:
        """Create ``element`` unless ``find`` already sees it; an unknown outcome is looked up."""
        found = find()
        if found is not None:
            return found
        try:
            return self.client.create(collection, element, idempotency_key=key, record=record)
        except RateLimited:
            raise  # refused before anything was done
        except RetriableError:
            found = find()
            if found is None:
                raise
            return found

    def _document(self, payload: Mapping[str, Any]) -> Any:
        data = {k: v for k, v in payload.items() if k != "idempotency_key"}
        try:
            return parse_document(data)
        except DocumentError as exc:
            raise FatalError(f"not a canonical document: {exc}",
                             connection=self.connection) from None

    # -- invoices and bills ------------------------------------------------------------

    def _invoice(self, payload: Mapping[str, Any], key: str) -> WriteResult:
        document = self._document(payload)
        if not isinstance(document, Invoice | Bill):
            raise FatalError("push_invoice takes an invoice or a bill",
                             connection=self.connection)
        kind = "ACCREC" if isinstance(document, Invoice) else "ACCPAY"
        reference = document.source.external_id
        party = document.customer if isinstance(document, Invoice) else document.vendor
        element: Obj = {
            "Type": kind, "Contact": {"Name": party.name or party.external_id or party.id},
            "Date": document.issue_date.isoformat(), "Reference": reference,
            "CurrencyCode": document.currency,
            "Status": "DRAFT" if document.status == "draft" else "AUTHORISED",
            "LineAmountTypes": "Inclusive" if document.amounts_include_tax else "Exclusive",
            "LineItems": [self._line(line, kind) for line in document.lines],
        }
        if document.number and kind == "ACCREC":
            element["InvoiceNumber"] = document.number
        if document.due_date:
            element["DueDate"] = document.due_date.isoformat()

        def find() -> Obj | None:
            rows = self.client.list("Invoices", where=f'Type=="{kind}" AND '
                                    f'Reference=="{_quoted(reference)}"', record=reference)
            return rows[0] if rows else None
        saved = self._once("Invoices", find, element, key, reference)
        return WriteResult(external_id=saved["InvoiceID"],
                           details={"number": saved.get("InvoiceNumber"),
                                    "reference": reference})

    def _line(self, line: Any, kind: str) -> Obj:
        quantity = line.quantity if line.unit_price is not None else Decimal(1)
        unit = line.unit_price.decimal if line.unit_price is not None else \
            line.line_amount.decimal
        result: Obj = {"Description": line.description or "-", "Quantity": quantity,
                       "UnitAmount": unit,
                       "AccountCode": line.account or (self.sales_account if kind == "ACCREC"
                                                       else self.purchases_account),
                       "TaxType": self.tax_types[kind] if line.tax_lines else "NONE",
                       "LineAmount": line.net_amount.decimal}
        if line.tax_lines:
            result["TaxAmount"] = line.tax_amount.decimal
        if line.discount_amount.minor:
            result["DiscountAmount"] = line.discount_amount.decimal
        return result

    # -- payments ------------------------------------------------------------------------

    def _payment(self, payload: Mapping[str, Any], key: str) -> WriteResult:
        payment = self._document(payload)
        if not isinstance(payment, Payment) or len(payment.applications) != 1:
            raise FatalError("push_payment takes a payment applied to exactly one invoice "
                             "or bill", connection=self.connection)
        (application,) = payment.applications
        target = application.document.external_id or application.document.id or ""
        invoice = self._invoice_of(target)
        reference = payment.source.external_id
        element = {"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                   "Account": {"Code": payment.deposit_account or self.payment_account},
                   "Date": payment.date.isoformat(), "Amount": application.amount.decimal,
                   "Reference": reference}

        def find() -> Obj | None:
            rows = self.client.list("Payments", where=f'Reference=="{_quoted(reference)}"',
                                    record=reference)
            return next((r for r in rows if (r.get("Invoice") or {}).get("InvoiceID")
                         == invoice["InvoiceID"] and r.get("Status") != "DELETED"), None)
        saved = self._once("Payments", find, element, key, reference)
        return WriteResult(external_id=saved["PaymentID"],
                           details={"invoice": invoice["InvoiceID"], "reference": reference})

    def _invoice_of(self, target: str) -> Obj:
        """The Xero invoice we pushed under ``target`` (its Reference), else by its id."""
        rows = self.client.list("Invoices", where=f'Reference=="{_quoted(target)}"',
                                record=target)
        if not rows and re.fullmatch(r"[0-9a-fA-F-]{36}", target):
            found = self.client.get("Invoices", target)
            rows = [found] if found else []
        if not rows:
            raise RetriableError(f"invoice {target} is not in Xero (yet)",
                                 connection=self.connection, record=target)
        return rows[0]

    # -- contacts ------------------------------------------------------------------------

    def _contact(self, payload: Mapping[str, Any], key: str) -> WriteResult:
        contact = self._document(payload)
        if not isinstance(contact, Contact):
            raise FatalError("push_contact takes a contact", connection=self.connection)
        reference = contact.source.external_id
        ours = ContactFacts("", contact.name, reference, contact.tax_id,
                            contact.emails[0] if contact.emails else None)
        theirs = [ContactFacts(str(r["ContactID"]), str(r.get("Name") or ""),
                               r.get("ContactNumber"), r.get("TaxNumber"), r.get("EmailAddress"))
                  for page, _ in self.client.pages("Contacts", since=None) for r in page
                  if r.get("ContactStatus", "ACTIVE") == "ACTIVE"]
        found = match_contact(ours, theirs, system="Xero", connection=self.connection)
        if found is not None:
            saved = self.client.update("Contacts", found.id, {
                "ContactID": found.id, "ContactNumber": reference}, record=reference)
            return WriteResult(external_id=saved["ContactID"],
                               details={"reference": reference, "linked": found.reason})
        element: Obj = {"Name": contact.name, "ContactNumber": reference,
                        "IsCustomer": contact.kind != "vendor",
                        "IsSupplier": contact.kind != "customer"}
        if ours.email:
            element["EmailAddress"] = ours.email
        if contact.tax_id:
            element["TaxNumber"] = contact.tax_id

        def find() -> Obj | None:
            rows = self.client.list("Contacts", where=f'ContactNumber=="{_quoted(reference)}"',
                                    record=reference)
            return rows[0] if rows else None
        saved = self._once("Contacts", find, element, key, reference)
        return WriteResult(external_id=saved["ContactID"], details={"reference": reference})

    # -- manual journals -----------------------------------------------------------------

    def _journal(self, payload: Mapping[str, Any], key: str) -> WriteResult:
        reference = str(payload.get("external_id") or "")
        lines = payload.get("lines") or []
        if not reference or not payload.get("date") or len(lines) < 2:
            raise FatalError("push_manual_journal needs external_id, date and at least two "
                             "lines", connection=self.connection, record=reference or None)
        try:
            amounts = [Decimal(str(line["amount"])) for line in lines]
        except (KeyError, ArithmeticError):
            raise FatalError("every journal line needs a decimal amount",
                             connection=self.connection, record=reference) from None
        if sum(amounts) != 0:
            raise FatalError(f"journal lines add up to {sum(amounts)}, not zero",
                             connection=self.connection, record=reference)
        tag = f"[ref {_quoted(reference)}]"
        element = {"Narration": f"{payload.get('narration') or 'Journal'} {tag}",
                   "Date": str(payload["date"]), "Status": "POSTED",
                   "JournalLines": [{"AccountCode": str(line.get("account") or ""),
                                     "LineAmount": amount,
                                     "Description": line.get("description") or ""}
                                    for line, amount in zip(lines, amounts, strict=True)]}

        def find() -> Obj | None:
            rows = self.client.list("ManualJournals", where=f'Narration.EndsWith("{tag}")',
                                    record=reference)
            return rows[0] if rows else None
        saved = self._once("ManualJournals", find, element, key, reference)
        return WriteResult(external_id=saved["ManualJournalID"],
                           details={"reference": reference})
