"""The emulated Salesforce org: sObjects, their typed fields, records and the clock.

Only what the connector and its tests touch is modelled: opportunities with line
items and contact roles, accounts, contacts, products and users. Stages named
"Closed Won" and "Closed Lost" set ``IsWon``/``IsClosed``; line items carry
``Subtotal`` and ``TotalPrice`` and roll up into the opportunity's ``Amount``;
every change advances the record's ``SystemModstamp``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["CUSTOM_FIELDS", "Org", "OrgError", "RELATIONSHIPS", "render_value"]

_AUDIT = {"Id": "id", "IsDeleted": "boolean", "CreatedDate": "datetime",
          "LastModifiedDate": "datetime", "SystemModstamp": "datetime"}

_SCHEMA: dict[str, tuple[str, dict[str, str]]] = {
    "Opportunity": ("006", {
        "Name": "string", "AccountId": "id", "OwnerId": "id", "StageName": "string",
        "Amount": "number", "CloseDate": "date", "IsClosed": "boolean", "IsWon": "boolean",
        "Probability": "number", "Type": "string", "Description": "string"}),
    "Account": ("001", {
        "Name": "string", "Phone": "string", "Website": "string", "BillingStreet": "string",
        "BillingCity": "string", "BillingState": "string", "BillingPostalCode": "string",
        "BillingCountry": "string"}),
    "OpportunityLineItem": ("00k", {
        "OpportunityId": "id", "Product2Id": "id", "Name": "string", "Description": "string",
        "Quantity": "number", "UnitPrice": "number", "ListPrice": "number",
        "Subtotal": "number", "TotalPrice": "number", "Discount": "number",
        "SortOrder": "number", "ServiceDate": "date"}),
    "OpportunityContactRole": ("00K", {
        "OpportunityId": "id", "ContactId": "id", "Role": "string", "IsPrimary": "boolean"}),
    "Contact": ("003", {
        "Name": "string", "FirstName": "string", "LastName": "string", "Email": "string",
        "Phone": "string", "AccountId": "id"}),
    "Product2": ("01t", {"Name": "string", "ProductCode": "string", "Family": "string"}),
    "User": ("005", {"Name": "string", "Email": "string"}),
}

CUSTOM_FIELDS: Mapping[str, Mapping[str, str]] = {
    "Opportunity": {"Invoice_Status__c": "string", "Invoice_Number__c": "string",
                    "Amount_Due__c": "number", "Paid_Date__c": "date",
                    "Payment_Terms__c": "string"},
}
"""Custom fields a default emulated org has (those the write-back uses by default)."""

RELATIONSHIPS = {"Owner": "User"}
"""Relationship names whose object differs from the name (``Account`` -> ``Account``)."""

_READ_ONLY = {"IsClosed", "IsWon", "Subtotal", "TotalPrice", *_AUDIT}
_CENT = Decimal("0.01")
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


class OrgError(Exception):
    """A request the org refuses, answered like Salesforce: status, errorCode, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _with_checksum(id15: str) -> str:
    """The 18-character form of a record id (the case-safe suffix Salesforce appends)."""
    suffix = ""
    for start in range(0, 15, 5):
        bits = sum(1 << i for i, ch in enumerate(id15[start:start + 5]) if ch.isupper())
        suffix += _ID_CHARS[bits]
    return id15 + suffix


def render_value(value: Any) -> Any:
    """A field value as Salesforce writes it in JSON (Decimal stays an exact number)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _coerce(kind: str, name: str, value: Any) -> Any:
    if value is None:
        return None
    try:
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
                raise TypeError
            return Decimal(value)
        if kind == "date":
            return dt.date.fromisoformat(str(value))
        if kind == "datetime":
            stamp = dt.datetime.fromisoformat(str(value))
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
        if kind == "boolean":
            if not isinstance(value, bool):
                raise TypeError
            return value
        if not isinstance(value, str):
            raise TypeError
        return value
    except (TypeError, ValueError, ArithmeticError):
        raise OrgError(400, "JSON_PARSER_ERROR",
                       f"Cannot deserialize value {value!r} for field {name} ({kind})") from None


@dataclass
class Org:
    """An in-memory org; ``frozen_at`` pins the clock (SystemModstamp ties)."""

    multi_currency: bool = False
    currency: str = "USD"
    custom_fields: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: CUSTOM_FIELDS)
    frozen_at: dt.datetime | None = None
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in _SCHEMA})
    _last: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fields(self, sobject: str) -> dict[str, str]:
        """The fields of ``sobject`` and their types; INVALID_TYPE if there is none."""
        if sobject not in _SCHEMA:
            raise OrgError(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
        found = {**_AUDIT, **_SCHEMA[sobject][1], **self.custom_fields.get(sobject, {})}
        if self.multi_currency:
            found["CurrencyIsoCode"] = "string"
        return found

    def now(self) -> dt.datetime:
        """The next modification time: later than the last one unless the clock is pinned."""
        if self.frozen_at is not None:
            now = self.frozen_at
        else:
            now = max(dt.datetime.now(dt.UTC), self._last + dt.timedelta(milliseconds=1))
        self._last = now.replace(microsecond=now.microsecond // 1000 * 1000)
        return self._last

    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        """The record ``record_id``; NOT_FOUND if it does not exist."""
        record = self.records.get(sobject, {}).get(record_id)
        if record is None:
            raise OrgError(404, "NOT_FOUND", "The requested resource does not exist")
        return record

    def create(self, sobject: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a record and return it."""
        known = self.fields(sobject)
        record_id = _with_checksum(f"{_SCHEMA[sobject][0]}5g0{next(self._ids):09d}")
        now = self.now()
        record: dict[str, Any] = {name: None for name in known}
        record.update(Id=record_id, IsDeleted=False, CreatedDate=now)
        if "CurrencyIsoCode" in record:
            record["CurrencyIsoCode"] = self.currency
        self.records[sobject][record_id] = record
        return self.update(sobject, record_id, values, created=True)

    def update(self, sobject: str, record_id: str, values: Mapping[str, Any], *,
               created: bool = False) -> dict[str, Any]:
        """Change fields of a record (INVALID_FIELD for an unknown one) and return it."""
        record = self.get(sobject, record_id)
        known = self.fields(sobject)
        for name in values:
            if name not in known:
                raise OrgError(400, "INVALID_FIELD",
                               f"No such column '{name}' on sobject of type {sobject}")
            if name in _READ_ONLY and not created:
                raise OrgError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                               f"Unable to create/update fields: {name}. Please check the "
                               "security settings of this field and verify that it is "
                               "read/write for your profile or permission set.")
        for name, value in values.items():
            record[name] = _coerce(known[name], name, value)
        self._touch(sobject, record)
        return record

    def close(self, record_id: str, *, won: bool) -> dict[str, Any]:
        """Close an opportunity as won or lost."""
        return self.update("Opportunity", record_id,
                           {"StageName": "Closed Won" if won else "Closed Lost"})

    def _touch(self, sobject: str, record: dict[str, Any]) -> None:
        now = self.now()
        record["LastModifiedDate"] = record["SystemModstamp"] = now
        if sobject == "Opportunity":
            stage = record.get("StageName") or ""
            record["IsWon"] = stage == "Closed Won"
            record["IsClosed"] = stage in ("Closed Won", "Closed Lost")
            lines = [r for r in self.records["OpportunityLineItem"].values()
                     if r["OpportunityId"] == record["Id"]]
            if lines:
                record["Amount"] = sum((r["TotalPrice"] for r in lines), Decimal(0))
        elif sobject == "OpportunityLineItem":
            quantity = record["Quantity"] or Decimal(1)
            price = record["UnitPrice"] or Decimal(0)
            subtotal = (quantity * price).quantize(_CENT, ROUND_HALF_UP)
            off = (subtotal * (record["Discount"] or 0) / 100).quantize(_CENT, ROUND_HALF_UP)
            record.update(Quantity=quantity, Subtotal=subtotal, TotalPrice=subtotal - off)
            parent = self.records["Opportunity"].get(record["OpportunityId"] or "")
            if parent is not None:
                self._touch("Opportunity", parent)
        elif sobject == "Contact":
            names = (record.get("FirstName"), record.get("LastName"))
            record["Name"] = " ".join(n for n in names if n) or record.get("Name")
