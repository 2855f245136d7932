"""An opportunity event as canonical documents: the account's Contact, then the Deal.

The deal's status comes from ``IsWon``/``IsClosed`` (won, lost, else open); its
currency is the record's ``CurrencyIsoCode`` in a multi-currency org, else the
org's. Line items keep Salesforce's numbers: ``Subtotal`` (quantity x unit price)
is the line amount and ``Discount`` (a percent) the discount, whose amount is
``Subtotal - TotalPrice``. Amounts arrive as exact decimals and stay exact.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ledgerbridge.connectors.salesforce.incremental import parse_stamp
from ledgerbridge.connectors.salesforce.settings import SalesforceSettings
from ledgerbridge.documents import Contact, Deal, Document, Ref
from ledgerbridge.sync.errors import FatalError

__all__ = ["documents"]

_NET_DAYS = re.compile(r"(\d+)")


def _value(record: dict[str, Any] | None, path: str | None) -> Any:
    """A field of ``record``, following one relationship (``Product2.Name``)."""
    if record is None or path is None:
        return None
    relation, _, leaf = path.rpartition(".")
    if relation:
        record = record.get(relation)
    return None if record is None else record.get(leaf)


def _source(connection: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"connection": connection, "object_type": record["attributes"]["type"],
            "external_id": record["Id"], "version": record["SystemModstamp"],
            "updated_at": parse_stamp(record["SystemModstamp"])}


def _status(opportunity: dict[str, Any]) -> str:
    if opportunity.get("IsWon"):
        return "won"
    return "lost" if opportunity.get("IsClosed") else "open"


def _payment_terms(value: Any) -> dict[str, Any] | None:
    """Terms from a number of days (30) or text ("Net 30", "Due on receipt")."""
    if value is None or value == "":
        return None
    if isinstance(value, int | Decimal):
        return {"net_days": int(value)}
    text = str(value).strip()
    days = _NET_DAYS.search(text)
    if days is None and "receipt" in text.lower():
        return {"name": text, "net_days": 0}
    return {"name": text, "net_days": int(days.group(1)) if days else None}


def _line(item: dict[str, Any], settings: SalesforceSettings) -> dict[str, Any]:
    line: dict[str, Any] = {
        "description": item.get("Description") or item.get("Name")
        or _value(item, "Product2.Name"),
        "quantity": item.get("Quantity") if item.get("Quantity") is not None else 1,
        "unit_price": item.get("UnitPrice"),
        "amount": item.get("Subtotal"),
    }
    account = _value(item, settings.line_account_field)
    if account is not None:
        line["account"] = str(account)
    if item.get("Product2Id"):
        line["item"] = {"external_id": item["Product2Id"], "name": _value(item, "Product2.Name")}
    percent = item.get("Discount")
    if percent:
        discount: dict[str, Any] = {"percent": percent}
        if item.get("Subtotal") is not None and item.get("TotalPrice") is not None:
            discount["amount"] = item["Subtotal"] - item["TotalPrice"]
        line["discount"] = discount
    return line


def _deal(bundle: dict[str, Any], settings: SalesforceSettings, connection: str) -> Deal:
    opportunity = bundle["opportunity"]
    account = bundle.get("account")
    currency = (opportunity.get("CurrencyIsoCode") if settings.multi_currency else None) \
        or settings.org_currency
    company = None
    if opportunity.get("AccountId"):
        name = _value(account, "Name") or _value(opportunity, "Account.Name")
        company = {"external_id": opportunity["AccountId"], "name": name}
    return Deal.model_validate({
        "source": _source(connection, opportunity),
        "name": opportunity["Name"],
        "pipeline": _value(opportunity, settings.pipeline_field),
        "stage": opportunity["StageName"],
        "status": _status(opportunity),
        "amount": opportunity.get("Amount"),
        "currency": currency,
        "close_date": opportunity.get("CloseDate"),
        "company": company,
        "contacts": [Ref(external_id=r["ContactId"], name=_value(r, "Contact.Name"))
                     for r in bundle.get("contact_roles", ()) if r.get("ContactId")],
        "owner": _value(opportunity, "Owner.Name") or opportunity.get("OwnerId"),
        "lines": [_line(item, settings) for item in bundle.get("line_items", ())],
        "payment_terms": _payment_terms(_value(opportunity, settings.payment_terms_field)),
    })


def _customer(account: dict[str, Any], settings: SalesforceSettings,
              connection: str) -> Contact:
    street = account.get("BillingStreet")
    country = account.get("BillingCountry")
    address = {
        "kind": "billing",
        "line1": street.splitlines()[0] if street else None,
        "line2": "\n".join(street.splitlines()[1:]) or None if street else None,
        "city": account.get("BillingCity"),
        "region": account.get("BillingState"),
        "postal_code": account.get("BillingPostalCode"),
        "country": country if country and re.fullmatch(r"[A-Z]{2}", country) else None,
    }
    return Contact.model_validate({
        "source": _source(connection, account),
        "name": account["Name"],
        "kind": "customer",
        "phones": [account["Phone"]] if account.get("Phone") else [],
        "addresses": [address] if any(v for k, v in address.items() if k != "kind") else [],
        "currency": account.get("CurrencyIsoCode") if settings.multi_currency else None,
    })


def documents(bundle: dict[str, Any], settings: SalesforceSettings,
              connection: str) -> list[Document]:
    """The account's Contact (when there is one) and the opportunity's Deal (if any)."""
    record = bundle.get("opportunity") or bundle.get("account") or {}
    try:
        found: list[Document] = []
        if bundle.get("account"):
            found.append(_customer(bundle["account"], settings, connection))
        if bundle.get("opportunity"):
            found.append(_deal(bundle, settings, connection))
    except (ValidationError, KeyError, TypeError) as exc:
        kind = record.get("attributes", {}).get("type", "record")
        raise FatalError(f"{kind} cannot be read: {exc}", connection=connection,
                         record=record.get("Id")) from None
    return found
