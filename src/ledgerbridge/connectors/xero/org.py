"""One emulated Xero organisation (tenant): its records and the rules Xero applies.

Records are kept as Xero's own JSON objects (amounts as ``Decimal``). Creating or
changing one stamps ``UpdatedDateUTC`` (strictly increasing, so reads ordered by it
are stable) and tells ``on_change`` about it, which is how the emulator sends
webhooks. Refused input raises :class:`XeroError` with Xero's validation body.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ledgerbridge.connectors.xero.wire import ms_date, parse_date

__all__ = ["COLLECTIONS", "Obj", "Organisation", "XeroError", "validation_error"]

Obj = dict[str, Any]
COLLECTIONS = {"Invoices": "InvoiceID", "Contacts": "ContactID", "Payments": "PaymentID",
               "CreditNotes": "CreditNoteID", "ManualJournals": "ManualJournalID",
               "BankTransactions": "BankTransactionID", "Accounts": "AccountID",
               "TaxRates": "TaxType"}
"""Each collection the emulator serves, by the field that identifies its records."""
_CENT = Decimal("0.01")
_ACCOUNTS = (("090", "Business Bank Account", "BANK"), ("200", "Sales", "REVENUE"),
             ("260", "Other Revenue", "REVENUE"), ("310", "Cost of Goods Sold", "DIRECTCOSTS"),
             ("400", "Advertising", "OVERHEADS"), ("429", "General Expenses", "OVERHEADS"),
             ("610", "Accounts Receivable", "CURRENT"), ("800", "Accounts Payable", "CURRLIAB"),
             ("820", "GST", "CURRLIAB"))
_CLASSES = {"BANK": "ASSET", "CURRENT": "ASSET", "REVENUE": "REVENUE",
            "DIRECTCOSTS": "EXPENSE", "OVERHEADS": "EXPENSE", "CURRLIAB": "LIABILITY"}
_TAX_RATES = (("OUTPUT2", "GST on Income", "OUTPUT", Decimal(15)),
              ("INPUT2", "GST on Expenses", "INPUT", Decimal(15)),
              ("NONE", "No GST", "NONE", Decimal(0)))
_WEBHOOK_CATEGORIES = {"Invoices": "INVOICE", "Contacts": "CONTACT"}


class XeroError(Exception):
    """An answer other than 200, with Xero's body for it."""

    def __init__(self, status: int, body: Obj, headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("Message") or body.get("Detail") or str(status))
        self.status, self.body, self.headers = status, body, headers or {}


def validation_error(element: Obj, *messages: str) -> XeroError:
    """Xero's 400 for a refused element: ``Elements[].ValidationErrors[].Message``."""
    return XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                           "Message": "A validation exception occurred",
                           "Elements": [{**element, "ValidationErrors":
                                         [{"Message": m} for m in messages]}]})


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, ROUND_HALF_UP)


def _number(element: Obj, value: Any, what: str, default: Decimal | None = None) -> Decimal:
    if value is None and default is not None:
        return default
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise validation_error(element, f"{what} must be a number") from None
    if not number.is_finite():
        raise validation_error(element, f"{what} must be a number")
    return number


class Organisation:
    """The records of one tenant and the bookkeeping Xero does on them."""

    def __init__(self, name: str, seed: int = 0, currency: str = "USD") -> None:
        self._random = random.Random(f"{name}:{seed}")
        self.tenant_id = self.new_id()
        self.name, self.currency = name, currency
        self.records: dict[str, dict[str, Obj]] = {c: {} for c in COLLECTIONS}
        self.on_change: Callable[[str, str, str], None] = lambda *_: None
        self._last = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        self._numbers = {"ACCREC": 0, "ACCRECCREDIT": 0}
        for code, name_, kind in _ACCOUNTS:
            self._store("Accounts", {
                "AccountID": self.new_id(), "Code": code, "Name": name_, "Type": kind,
                "Status": "ACTIVE", "Class": _CLASSES[kind], "TaxType": "NONE",
                "BankAccountType": "BANK" if kind == "BANK" else "",
                "EnablePaymentsToAccount": kind == "BANK"}, notify=False)
        for tax_type, name_, report, rate in _TAX_RATES:
            self.records["TaxRates"][tax_type] = {
                "Name": name_, "TaxType": tax_type, "ReportTaxType": report,
                "Status": "ACTIVE", "EffectiveRate": rate, "DisplayTaxRate": rate,
                "TaxComponents": [{"Name": name_, "Rate": rate, "IsCompound": False,
                                   "IsNonRecoverable": False}],
                "CanApplyToRevenue": True, "CanApplyToExpenses": True}

    def new_id(self) -> str:
        """A fresh Xero-style GUID (repeatable for one seed)."""
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def now(self) -> dt.datetime:
        """A UTC time after every earlier one (millisecond steps)."""
        now = dt.datetime.now(dt.UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self._last = max(now, self._last + dt.timedelta(milliseconds=1))
        return self._last

    def _store(self, collection: str, record: Obj, *, created: bool = True,
               notify: bool = True) -> Obj:
        if collection != "TaxRates":
            record["UpdatedDateUTC"] = ms_date(self.now())
        self.records[collection][record[COLLECTIONS[collection]]] = record
        category = _WEBHOOK_CATEGORIES.get(collection)
        if notify and category:
            self.on_change(category, "CREATE" if created else "UPDATE",
                           record[COLLECTIONS[collection]])
        return record

    def get(self, collection: str, record_id: str) -> Obj:
        """One record by id; a 404 when there is none."""
        found = self.records[collection].get(record_id)
        if found is None:
            raise XeroError(404, {"Title": "Not Found", "Status": 404,
                                  "Detail": f"Resource {record_id} was not found"})
        return found

    # -- contacts --------------------------------------------------------------

    def save_contact(self, data: Obj) -> Obj:
        """Create a contact, or change the one named by ``ContactID``."""
        if data.get("ContactID"):
            contact = {**self.get("Contacts", data["ContactID"]), **data}
            return self._store("Contacts", contact, created=False)
        if not str(data.get("Name") or "").strip():
            raise validation_error(data, "The contact name must be specified.")
        if any(c["Name"] == data["Name"] for c in self.records["Contacts"].values()):
            raise validation_error(data, "The contact name "
                                   f"{data['Name']} is already assigned to another contact. "
                                   "The contact name must be unique across all active contacts.")
        contact = {"ContactStatus": "ACTIVE", "IsCustomer": False, "IsSupplier": False,
                   "Addresses": [], "Phones": [], "ContactPersons": [], **data,
                   "ContactID": self.new_id()}
        return self._store("Contacts", contact)

    def _contact(self, element: Obj, given: Any) -> Obj:
        """The contact an invoice names by id, else by name (created when new)."""
        if not isinstance(given, dict) or not (given.get("ContactID") or given.get("Name")):
            raise validation_error(element, "A Contact must be specified for this type of "
                                   "transaction")
        if given.get("ContactID"):
            found = self.records["Contacts"].get(given["ContactID"])
            if found is None:
                raise validation_error(element, "The contact could not be found.")
            return found
        for contact in self.records["Contacts"].values():
            if contact["Name"] == given["Name"]:
                return contact
        return self.save_contact({"Name": given["Name"]})

    # -- documents with lines ------------------------------------------------------

    def _lines(self, element: Obj, default_tax: str) -> tuple[list[Obj], Decimal, Decimal]:
        """Lines with Xero's computed amounts and tax, and the subtotal and tax."""
        lines = element.get("LineItems") or []
        if not lines:
            raise validation_error(element, "You must specify at least one line item")
        mode = element.get("LineAmountTypes", "Exclusive")
        if mode not in ("Exclusive", "Inclusive", "NoTax"):
            raise validation_error(element, f"LineAmountTypes {mode!r} is not valid")
        result, subtotal, total_tax = [], Decimal(0), Decimal(0)
        for line in lines:
            if not line.get("Description") and not line.get("ItemCode"):
                raise validation_error(element, "Description needs to be specified for each "
                                       "line item")
            quantity = _number(element, line.get("Quantity"), "Quantity", Decimal(1))
            unit = _number(element, line.get("UnitAmount"), "UnitAmount", Decimal(0))
            discount = _number(element, line.get("DiscountRate"), "DiscountRate", Decimal(0))
            off = _number(element, line.get("DiscountAmount"), "DiscountAmount", Decimal(0))
            amount = _cents(_number(element, line.get("LineAmount"), "LineAmount",
                                    quantity * unit * (1 - discount / 100) - off))
            tax_type = "NONE" if mode == "NoTax" else line.get("TaxType") or default_tax
            rate = self.records["TaxRates"].get(tax_type)
            if rate is None:
                raise validation_error(element, f"The TaxType code '{tax_type}' does not exist "
                                       "or cannot be used for this type of transaction.")
            percent = rate["EffectiveRate"]
            tax = _cents(_number(element, line.get("TaxAmount"), "TaxAmount",
                                 amount * percent / 100 if mode == "Exclusive"
                                 else amount - amount / (1 + percent / 100)))
            code = line.get("AccountCode")
            if code and not any(a["Code"] == code for a in self.records["Accounts"].values()):
                raise validation_error(element, f"Account code '{code}' is not a valid code for "
                                       "this document.")
            result.append({**line, "LineItemID": line.get("LineItemID") or self.new_id(),
                           "Quantity": quantity, "UnitAmount": unit, "LineAmount": amount,
                           "TaxType": tax_type, "TaxAmount": tax,
                           **({"DiscountRate": discount} if discount else {})})
            subtotal += amount if mode != "Inclusive" else amount - tax
            total_tax += tax
        return result, subtotal, total_tax

    def _document(self, data: Obj, kinds: tuple[str, ...], number_field: str) -> Obj:
        """The fields shared by invoices and credit notes, computed from ``data``."""
        kind = data.get("Type")
        if kind not in kinds:
            raise validation_error(data, f"Type must be one of {', '.join(kinds)}")
        contact = self._contact(data, data.get("Contact"))
        lines, subtotal, tax = self._lines(data, "OUTPUT2" if "REC" in kind else "INPUT2")
        status = data.get("Status", "DRAFT")
        if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
            raise validation_error(data, f"Status {status!r} cannot be set on creation")
        number = data.get(number_field)
        if not number and kind in self._numbers:
            self._numbers[kind] += 1
            number = f"{'INV' if kind == 'ACCREC' else 'CN'}-{self._numbers[kind]:04d}"
        issued = parse_date(data["Date"]) if data.get("Date") else self.now().date()
        return {**{k: v for k, v in data.items() if k not in ("Contact", "LineItems")},
                "Type": kind, "Status": status, number_field: number or "",
                "Contact": {"ContactID": contact["ContactID"], "Name": contact["Name"]},
                "Date": ms_date(issued),
                "LineAmountTypes": data.get("LineAmountTypes", "Exclusive"),
                "LineItems": lines, "SubTotal": subtotal, "TotalTax": tax,
                "Total": subtotal + tax, "CurrencyCode": data.get("CurrencyCode",
                                                                  self.currency),
                "CurrencyRate": Decimal(1), "Reference": data.get("Reference", "")}

    def save_invoice(self, data: Obj) -> Obj:
        """Create an invoice or bill, or change (or void) the one named by ``InvoiceID``."""
        if data.get("InvoiceID"):
            return self._change_invoice(data)
        invoice = self._document(data, ("ACCREC", "ACCPAY"), "InvoiceNumber")
        if data.get("DueDate"):
            invoice["DueDate"] = ms_date(parse_date(data["DueDate"]))
        invoice.update(InvoiceID=self.new_id(), AmountPaid=Decimal(0),
                       AmountCredited=Decimal(0), AmountDue=invoice["Total"], Payments=[],
                       CreditNotes=[], HasAttachments=False, IsDiscounted=False)
        return self._store("Invoices", invoice)

    def _change_invoice(self, data: Obj) -> Obj:
        current = self.get("Invoices", data["InvoiceID"])
        if current["Status"] in ("PAID", "VOIDED", "DELETED") or current["Payments"]:
            raise validation_error(data, "This document cannot be edited as it has a payment "
                                   "or credit note allocated to it.")
        status = data.get("Status", current["Status"])
        if status in ("VOIDED", "DELETED"):
            allowed = "VOIDED" if current["Status"] == "AUTHORISED" else "DELETED"
            if status != allowed:
                raise validation_error(data, f"A {current['Status']} invoice can only be "
                                       f"{allowed}")
            return self._store("Invoices", {**current, "Status": status,
                                            "AmountDue": Decimal(0)}, created=False)
        merged = {**current, **data, "Status": status}
        changed = self._document(merged, ("ACCREC", "ACCPAY"), "InvoiceNumber")
        changed.update(AmountDue=changed["Total"])
        return self._store("Invoices", changed, created=False)

    def save_credit_note(self, data: Obj) -> Obj:
        """Create a credit note."""
        note = self._document(data, ("ACCRECCREDIT", "ACCPAYCREDIT"), "CreditNoteNumber")
        note.update(CreditNoteID=self.new_id(), RemainingCredit=note["Total"], Allocations=[],
                    Payments=[], HasAttachments=False)
        return self._store("CreditNotes", note)

    def save_bank_transaction(self, data: Obj) -> Obj:
        """Create a spend or receive money transaction on a bank account."""
        if data.get("Type") not in ("RECEIVE", "SPEND"):
            raise validation_error(data, "Type must be RECEIVE or SPEND")
        account = self._account(data, data.get("BankAccount") or {})
        if account["Type"] != "BANK":
            raise validation_error(data, "The BankAccount must be a bank account")
        contact = self._contact(data, data.get("Contact"))
        lines, subtotal, tax = self._lines(data, "OUTPUT2" if data["Type"] == "RECEIVE"
                                           else "INPUT2")
        issued = parse_date(data["Date"]) if data.get("Date") else self.now().date()
        return self._store("BankTransactions", {
            **data, "BankTransactionID": self.new_id(), "Status": "AUTHORISED",
            "Contact": {"ContactID": contact["ContactID"], "Name": contact["Name"]},
            "BankAccount": {"AccountID": account["AccountID"], "Code": account["Code"],
                            "Name": account["Name"]},
            "LineItems": lines, "SubTotal": subtotal, "TotalTax": tax, "Total": subtotal + tax,
            "Date": ms_date(issued), "IsReconciled": False,
            "LineAmountTypes": data.get("LineAmountTypes", "Exclusive"),
            "CurrencyCode": data.get("CurrencyCode", self.currency),
            "Reference": data.get("Reference", "")})

    def _account(self, element: Obj, given: Obj) -> Obj:
        for account in self.records["Accounts"].values():
            if given.get("AccountID") == account["AccountID"] or \
                    (given.get("Code") and given.get("Code") == account["Code"]):
                return account
        raise validation_error(element, "Account could not be found")

    # -- payments and journals ---------------------------------------------------------

    def save_payment(self, data: Obj) -> Obj:
        """Record a payment against an authorised invoice or bill (or delete one)."""
        if data.get("PaymentID"):
            return self._delete_payment(data)
        given = data.get("Invoice") or {}
        invoice = next((i for i in self.records["Invoices"].values()
                        if given.get("InvoiceID") == i["InvoiceID"]
                        or (given.get("InvoiceNumber")
                            and given.get("InvoiceNumber") == i["InvoiceNumber"])), None)
        if invoice is None:
            raise validation_error(data, "Invoice could not be found")
        account = self._account(data, data.get("Account") or {})
        amount = _number(data, data.get("Amount"), "Amount")
        if invoice["Status"] != "AUTHORISED":
            raise validation_error(data, "Payments can only be made against Authorised "
                                   "documents")
        if amount <= 0 or amount > invoice["AmountDue"]:
            raise validation_error(data, "Payment amount exceeds the amount outstanding on "
                                   "this document")
        paid_on = parse_date(data["Date"]) if data.get("Date") else self.now().date()
        payment = self._store("Payments", {
            "PaymentID": self.new_id(), "Date": ms_date(paid_on), "Amount": amount,
            "BankAmount": amount, "CurrencyRate": Decimal(1),
            "Reference": data.get("Reference", ""), "Status": "AUTHORISED",
            "IsReconciled": False, "HasAccount": True,
            "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
            "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
            "Invoice": {k: invoice[k] for k in ("InvoiceID", "InvoiceNumber", "Type",
                                                "Contact", "CurrencyCode")}})
        due = invoice["AmountDue"] - amount
        self._store("Invoices", {
            **invoice, "AmountDue": due, "AmountPaid": invoice["AmountPaid"] + amount,
            "Status": "PAID" if due == 0 else "AUTHORISED",
            **({"FullyPaidOnDate": ms_date(paid_on)} if due == 0 else {}),
            "Payments": [*invoice["Payments"], {k: payment[k] for k in
                                                ("PaymentID", "Date", "Amount", "Reference")}],
        }, created=False)
        return payment

    def _delete_payment(self, data: Obj) -> Obj:
        """``POST Payments/{id}`` with Status DELETED: the only change Xero takes."""
        payment = self.get("Payments", data["PaymentID"])
        if data.get("Status") != "DELETED":
            raise validation_error(data, "Payments can only be deleted: send Status DELETED")
        if payment["Status"] == "DELETED":
            return payment
        invoice = self.get("Invoices", payment["Invoice"]["InvoiceID"])
        due = invoice["AmountDue"] + payment["Amount"]
        self._store("Invoices", {
            **{k: v for k, v in invoice.items() if k != "FullyPaidOnDate"},
            "AmountDue": due, "AmountPaid": invoice["AmountPaid"] - payment["Amount"],
            "Status": "AUTHORISED",
            "Payments": [p for p in invoice["Payments"]
                         if p["PaymentID"] != payment["PaymentID"]]}, created=False)
        return self._store("Payments", {**payment, "Status": "DELETED"}, created=False)

    def save_manual_journal(self, data: Obj) -> Obj:
        """Create a manual journal whose lines balance."""
        if not str(data.get("Narration") or "").strip():
            raise validation_error(data, "Narration cannot be empty")
        lines = data.get("JournalLines") or []
        if len(lines) < 2:
            raise validation_error(data, "Journals must have at least two journal lines")
        amounts = [_number(data, line.get("LineAmount"), "LineAmount") for line in lines]
        debits = sum((a for a in amounts if a > 0), Decimal(0))
        credits = -sum((a for a in amounts if a < 0), Decimal(0))
        if debits != credits:
            raise validation_error(data, f"The total debits ({debits}) must equal total "
                                   f"credits ({credits})")
        for line in lines:
            self._account(data, {"Code": line.get("AccountCode")})
        issued = parse_date(data["Date"]) if data.get("Date") else self.now().date()
        return self._store("ManualJournals", {
            **data, "ManualJournalID": self.new_id(), "Date": ms_date(issued),
            "Status": data.get("Status", "DRAFT"),
            "LineAmountTypes": data.get("LineAmountTypes", "NoTax"),
            "ShowOnCashBasisReports": True, "HasAttachments": False,
            "JournalLines": [{**line, "LineAmount": amount, "TaxType": "NONE",
                              "TaxAmount": Decimal(0), "IsBlank": False}
                             for line, amount in zip(lines, amounts, strict=True)]})

    SAVERS: dict[str, str] = {"Invoices": "save_invoice", "Contacts": "save_contact",
                              "Payments": "save_payment", "CreditNotes": "save_credit_note",
                              "ManualJournals": "save_manual_journal",
                              "BankTransactions": "save_bank_transaction"}
    """The method that creates or changes a record of each writable collection."""

    def save(self, collection: str, data: Obj) -> Obj:
        """Create or change one record of ``collection``."""
        return getattr(self, self.SAVERS[collection])(data)
