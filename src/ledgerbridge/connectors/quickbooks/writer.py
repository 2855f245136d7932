"""Write-backs: create invoices, payments and journal entries in QuickBooks exactly once.

Each object carries our external id where it can be found again (``DocNumber`` of
invoices and journal entries, ``PaymentRefNum`` of payments, and ``PrivateNote``), and
each save a ``requestid`` derived from the command's idempotency key. Before creating,
the external id is looked up; after an uncertain outcome (a timeout or 5xx once the
request was sent) it is looked up again instead of creating a second object. An
existing object whose content differs is updated with its current SyncToken; if
someone changed it meanwhile (Stale Object Error) it is read again and the change
re-applied, never written over blindly.

Payloads:

- ``push_invoice``: ``external_id``, ``customer_id``, ``issue_date``, optional
  ``due_date``, ``currency``, ``memo`` and ``lines`` (``description``, ``amount``,
  optional ``quantity``, ``unit_price``, ``item_id``);
- ``push_payment``: ``external_id``, ``customer_id``, ``date``, ``amount`` and
  optional ``invoice_id`` (QuickBooks Id) or ``invoice_number`` (its DocNumber);
- ``push_journal_entry``: ``external_id``, ``date``, optional ``memo`` and ``lines``
  (``account_id``, ``posting`` "Debit" or "Credit", ``amount``, ``description``);
- ``push_contact``: ``external_id``, ``name``, ``kind`` ("customer" or "vendor"),
  optional ``email`` and ``tax_id``. Our id goes in ``AcctNum``; before creating,
  the company's customers (vendors) are searched for the same party
  (:mod:`ledgerbridge.connectors.contact_match`) and one found is linked instead:
  our id is written into its ``AcctNum``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.base import WriteResult
from ledgerbridge.connectors.contact_match import ContactFacts, match_contact
from ledgerbridge.connectors.quickbooks.client import QuickBooksClient, StaleObject
from ledgerbridge.sync.errors import FatalError, RetriableError

__all__ = ["COMMANDS", "Writer"]

_STALE_RETRIES = 3
_NOTE = "ledgerbridge:"
_PAGE = 1000  # QuickBooks' largest page
_CONTACTS = {"customer": ("Customer", "PrimaryTaxIdentifier"),
             "vendor": ("Vendor", "TaxIdentifier")}


def _amount(value: Any) -> Decimal:
    if isinstance(value, float):
        raise FatalError(f"amount {value!r} is a float; send a decimal string")
    return Decimal(str(value))


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


class Writer:
    """Carries out write-back commands against one company."""

    def __init__(self, client: QuickBooksClient) -> None:
        self.client = client

    def write(self, command: str, payload: Mapping[str, Any]) -> WriteResult:
        """Run ``command``; the answer names the QuickBooks object."""
        if command == "push_contact":
            return self.contact(payload)
        build = COMMANDS.get(command)
        if build is None:
            raise FatalError(f"quickbooks supports no write-back {command!r}",
                             connection=self.client.connection)
        if command == "push_payment" and payload.get("invoice_number") \
                and not payload.get("invoice_id"):
            payload = {**payload, "invoice_id": self._invoice_id(str(payload["invoice_number"]))}
        entity, key_field, body = build(payload)
        external_id = str(payload["external_id"])
        key = str(payload.get("idempotency_key") or f"{command}:{external_id}")
        record = self.ensure(entity, key_field, external_id, body, key)
        return WriteResult(external_id=record["Id"],
                           details={"entity": entity, "sync_token": record["SyncToken"]})

    def contact(self, payload: Mapping[str, Any]) -> WriteResult:
        """Link the customer or vendor to the company's own record of it, else create it."""
        external_id = str(payload.get("external_id") or "")
        kind = payload.get("kind")
        if not external_id or not payload.get("name") or kind not in _CONTACTS:
            raise FatalError("push_contact needs external_id, name and kind customer or vendor",
                             connection=self.client.connection, record=external_id or None)
        entity, tax_field = _CONTACTS[str(kind)]
        ours = ContactFacts("", str(payload["name"]), external_id, payload.get("tax_id"),
                            payload.get("email"))
        theirs = [ContactFacts(str(r["Id"]), str(r.get("DisplayName") or ""),
                               r.get("AcctNum"), r.get(tax_field),
                               (r.get("PrimaryEmailAddr") or {}).get("Address"))
                  for r in self.records(entity)]
        key = str(payload.get("idempotency_key") or f"push_contact:{external_id}")
        found = match_contact(ours, theirs, system="QuickBooks",
                              connection=self.client.connection)
        if found is not None:
            current = self.client.get(entity, found.id)
            record = self.update(entity, current, {"AcctNum": external_id}, key)
            return WriteResult(external_id=record["Id"], details={
                "entity": entity, "sync_token": record["SyncToken"], "linked": found.reason})
        body: dict[str, Any] = {"DisplayName": ours.name, "AcctNum": external_id}
        if ours.email:
            body["PrimaryEmailAddr"] = {"Address": ours.email}
        if ours.tax_id:
            body[tax_field] = ours.tax_id
        record = self.ensure(entity, "AcctNum", external_id, body, key)
        return WriteResult(external_id=record["Id"],
                           details={"entity": entity, "sync_token": record["SyncToken"]})

    def records(self, entity: str) -> list[dict[str, Any]]:
        """Every active record of ``entity``, page by page."""
        found: list[dict[str, Any]] = []
        start = 1
        while True:
            page = self.client.query(f"SELECT * FROM {entity} STARTPOSITION {start} "
                                     f"MAXRESULTS {_PAGE}")
            found += [r for r in page if r.get("Active", True)]
            start += len(page)
            if len(page) < _PAGE:
                return found

    def _invoice_id(self, number: str) -> str:
        invoice = self.find("Invoice", "DocNumber", number)
        if invoice is None:
            raise RetriableError(f"invoice {number} is not in QuickBooks yet",
                                 connection=self.client.connection, record=number)
        return str(invoice["Id"])

    def ensure(self, entity: str, key_field: str, external_id: str, body: dict[str, Any],
               key: str) -> dict[str, Any]:
        """The object under ``external_id``: created once, or updated to ``body``."""
        existing = self.find(entity, key_field, external_id)
        if existing is not None:
            return self.update(entity, existing, body, key)
        try:
            return self.client.save(entity, body, request_id=_request_id(key, "create"))
        except RetriableError:
            found = self.find(entity, key_field, external_id)  # it may have been created
            if found is None:
                raise
            return found

    def find(self, entity: str, key_field: str, external_id: str) -> dict[str, Any] | None:
        """The object carrying ``external_id`` in ``key_field``, if there is one."""
        found = self.client.query(
            f"SELECT * FROM {entity} WHERE {key_field} = '{_quoted(external_id)}'")
        return found[0] if found else None

    def update(self, entity: str, current: dict[str, Any], body: dict[str, Any],
               key: str) -> dict[str, Any]:
        """Apply ``body`` to ``current`` (nothing if equal); re-read when it went stale."""
        for _ in range(_STALE_RETRIES):
            if _covers(current, body):
                return current
            change = {**body, "Id": current["Id"], "SyncToken": current["SyncToken"],
                      "sparse": True}
            try:
                return self.client.save(entity, change,
                                        request_id=_request_id(key, current["SyncToken"]))
            except StaleObject:
                current = self.client.get(entity, current["Id"])
        raise RetriableError(f"{entity} {current['Id']} keeps changing; will try again",
                             connection=self.client.connection, record=current["Id"])


def _covers(have: Any, want: Any) -> bool:
    """Whether ``have`` already says what ``want`` says (fields QuickBooks adds ignored)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_covers(have.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        have = [x for x in have or () if not (isinstance(x, dict) and x.get(
            "DetailType") == "SubTotalLineDetail")]
        return len(have) == len(want) and all(map(_covers, have, want))
    return have == want


def _request_id(key: str, step: str) -> str:
    return hashlib.sha256(f"{key}|{step}".encode()).hexdigest()[:36]


def _invoice(p: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    lines = []
    for line in p["lines"]:
        detail: dict[str, Any] = {"Qty": _amount(line.get("quantity", 1))}
        if line.get("unit_price") is not None:
            detail["UnitPrice"] = _amount(line["unit_price"])
        if line.get("item_id"):
            detail["ItemRef"] = {"value": str(line["item_id"])}
        lines.append({"DetailType": "SalesItemLineDetail", "Amount": _amount(line["amount"]),
                      "Description": line.get("description"), "SalesItemLineDetail": detail})
    body = {"DocNumber": str(p["external_id"]), "TxnDate": str(p["issue_date"]),
            "CustomerRef": {"value": str(p["customer_id"])}, "Line": lines,
            "PrivateNote": p.get("memo") or _NOTE + str(p["external_id"])}
    if p.get("due_date"):
        body["DueDate"] = str(p["due_date"])
    if p.get("currency"):
        body["CurrencyRef"] = {"value": p["currency"]}
    return "Invoice", "DocNumber", body


def _payment(p: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    amount = _amount(p["amount"])
    body: dict[str, Any] = {"PaymentRefNum": str(p["external_id"]), "TxnDate": str(p["date"]),
                            "CustomerRef": {"value": str(p["customer_id"])},
                            "TotalAmt": amount, "PrivateNote": _NOTE + str(p["external_id"])}
    if p.get("invoice_id"):
        body["Line"] = [{"Amount": amount, "LinkedTxn": [{"TxnId": str(p["invoice_id"]),
                                                          "TxnType": "Invoice"}]}]
    return "Payment", "PaymentRefNum", body


def _journal_entry(p: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    lines = [{"DetailType": "JournalEntryLineDetail", "Amount": _amount(line["amount"]),
              "Description": line.get("description"),
              "JournalEntryLineDetail": {"PostingType": line["posting"],
                                         "AccountRef": {"value": str(line["account_id"])}}}
             for line in p["lines"]]
    debits = sum((ln["Amount"] for ln in lines
                  if ln["JournalEntryLineDetail"]["PostingType"] == "Debit"), Decimal(0))
    if debits * 2 != sum((ln["Amount"] for ln in lines), Decimal(0)):
        raise FatalError(f"journal entry {p['external_id']} does not balance")
    return "JournalEntry", "DocNumber", {
        "DocNumber": str(p["external_id"]), "TxnDate": str(p["date"]), "Line": lines,
        "PrivateNote": p.get("memo") or _NOTE + str(p["external_id"])}


COMMANDS: dict[str, Callable[[Mapping[str, Any]], tuple[str, str, dict[str, Any]]]] = {
    "push_invoice": _invoice,
    "push_payment": _payment,
    "push_journal_entry": _journal_entry,
}
"""Each command's builder: payload -> (entity, field holding our id, body)."""
