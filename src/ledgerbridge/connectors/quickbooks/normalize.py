"""QuickBooks objects -> canonical documents.

- Invoice -> Invoice; CreditMemo -> CreditNote; Bill -> Bill (sales and expense lines,
  QuickBooks' computed tax as a document tax line, totals checked against TotalAmt);
- Payment -> received Payment applied to the invoices its lines link (so an invoice
  paid in QuickBooks is settled here); BillPayment -> sent Payment applied to bills;
- Customer / Vendor -> Contact.

A payment of nothing (a credit memo applied to an invoice) moves no money: none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledgerbridge.documents import (
    Bill,
    Contact,
    CreditNote,
    Document,
    Invoice,
    Line,
    Payment,
    PaymentApplication,
    Ref,
    Source,
    TaxLine,
)
from ledgerbridge.money import Money

__all__ = ["NORMALIZED", "documents_for"]

Obj = dict[str, Any]
_LINE_DETAILS = ("SalesItemLineDetail", "ItemBasedExpenseLineDetail",
                 "AccountBasedExpenseLineDetail")


def _ref(value: Any) -> Ref | None:
    if not isinstance(value, dict) or not value.get("value"):
        return None
    return Ref(external_id=str(value["value"]), name=value.get("name"))


def _currency(obj: Obj, home: str) -> str:
    return str((obj.get("CurrencyRef") or {}).get("value") or home)


def _source(connection: str, entity: str, obj: Obj) -> Source:
    updated = (obj.get("MetaData") or {}).get("LastUpdatedTime")
    return Source(connection=connection, object_type=entity, external_id=str(obj["Id"]),
                  version=str(obj.get("SyncToken", "0")),
                  updated_at=dt.datetime.fromisoformat(updated) if updated else None)


def _lines(obj: Obj, currency: str) -> tuple[Line, ...]:
    lines = []
    for line in obj.get("Line") or ():
        detail_type = line.get("DetailType")
        if detail_type not in _LINE_DETAILS:
            continue
        detail = line.get(detail_type) or {}
        item = _ref(detail.get("ItemRef"))
        account = _ref(detail.get("AccountRef"))
        lines.append(Line(description=line.get("Description"),
                          quantity=Decimal(str(detail.get("Qty", 1))),
                          amount=Money.parse(line.get("Amount", 0), currency),
                          item=item, account=account.name if account else None))
    return tuple(lines)


def _tax(obj: Obj, currency: str) -> tuple[TaxLine, ...]:
    detail = obj.get("TxnTaxDetail") or {}
    total = detail.get("TotalTax")
    if not total:
        return ()
    code = (detail.get("TxnTaxCodeRef") or {}).get("value")
    return (TaxLine(jurisdiction=str(code or "quickbooks"), tax_code=code,
                    amount=Money.parse(total, currency)),)


def _itemized(entity: str, obj: Obj, connection: str, home: str) -> dict[str, Any]:
    currency = _currency(obj, home)
    rate = obj.get("ExchangeRate")
    return {"source": _source(connection, entity, obj), "currency": currency,
            "exchange_rate": rate if rate not in (None, 1) else None,
            "lines": _lines(obj, currency), "tax_lines": _tax(obj, currency),
            "total": Money.parse(obj.get("TotalAmt", 0), currency),
            "number": obj.get("DocNumber"), "issue_date": obj["TxnDate"],
            "due_date": obj.get("DueDate"), "memo": obj.get("PrivateNote")}


def _invoice(obj: Obj, connection: str, home: str) -> list[Document]:
    return [Invoice(customer=_ref(obj.get("CustomerRef")),
                    **_itemized("Invoice", obj, connection, home))]


def _credit_memo(obj: Obj, connection: str, home: str) -> list[Document]:
    return [CreditNote(customer=_ref(obj.get("CustomerRef")),
                       **_itemized("CreditMemo", obj, connection, home))]


def _bill(obj: Obj, connection: str, home: str) -> list[Document]:
    return [Bill(vendor=_ref(obj.get("VendorRef")), **_itemized("Bill", obj, connection, home))]


def _payment(entity: str, obj: Obj, connection: str, home: str) -> list[Document]:
    currency = _currency(obj, home)
    amount = Money.parse(obj.get("TotalAmt", 0), currency)
    if amount.minor <= 0:
        return []
    received = entity == "Payment"
    linked_type, document_type = ("Invoice", "invoice") if received else ("Bill", "bill")
    applications = tuple(
        PaymentApplication(document=Ref(external_id=str(txn["TxnId"])),
                           document_type=document_type,
                           amount=Money.parse(line.get("Amount", 0), currency))
        for line in obj.get("Line") or () for txn in line.get("LinkedTxn") or ()
        if txn.get("TxnType") == linked_type)
    party = _ref(obj.get("CustomerRef" if received else "VendorRef"))
    return [Payment(source=_source(connection, entity, obj),
                    direction="received" if received else "sent", date=obj["TxnDate"],
                    amount=amount, currency=currency, contact=party,
                    applications=applications, reference=obj.get("PaymentRefNum")
                    or obj.get("DocNumber"), memo=obj.get("PrivateNote"),
                    method="check" if obj.get("PayType") == "Check" else "other")]


def _contact(entity: str, obj: Obj, connection: str, _home: str) -> list[Document]:
    email = (obj.get("PrimaryEmailAddr") or {}).get("Address")
    phone = (obj.get("PrimaryPhone") or {}).get("FreeFormNumber")
    currency = (obj.get("CurrencyRef") or {}).get("value")
    return [Contact(source=_source(connection, entity, obj),
                    name=obj.get("DisplayName") or obj.get("CompanyName") or obj["Id"],
                    kind="customer" if entity == "Customer" else "vendor",
                    emails=(email,) if email else (), phones=(phone,) if phone else (),
                    currency=currency, active=bool(obj.get("Active", True)))]


NORMALIZED: dict[str, Callable[[Obj, str, str], list[Document]]] = {
    "Invoice": _invoice,
    "CreditMemo": _credit_memo,
    "Bill": _bill,
    "Payment": lambda o, c, h: _payment("Payment", o, c, h),
    "BillPayment": lambda o, c, h: _payment("BillPayment", o, c, h),
    "Customer": lambda o, c, h: _contact("Customer", o, c, h),
    "Vendor": lambda o, c, h: _contact("Vendor", o, c, h),
}
"""How each entity that carries documents becomes them (object, connection, home currency)."""


def documents_for(entity: str, obj: Obj, connection: str, home_currency: str) -> list[Document]:
    """The documents one QuickBooks object makes (none for other entities)."""
    build = NORMALIZED.get(entity)
    return [] if build is None else build(obj, connection, home_currency)
