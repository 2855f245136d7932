"""The QuickBooks Online connector: documents in; invoices, payments, journal entries out.

Streams query each entity by ``MetaData.LastUpdatedTime`` (the cursor, re-read from a
lookback behind it); ``changes`` reads every entity at once through change data
capture, the catch-up after downtime (QuickBooks keeps 30 days). Webhooks name
changed entities without their content: they are verified and split at the
gateway, and the entity is fetched when the worker normalizes the event, so it is
always its latest state. OAuth tokens live encrypted in the connection's secrets
(:mod:`ledgerbridge.connectors.oauth`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr

from ledgerbridge.connectors.account_map import PackageAccount, PackageTaxRate
from ledgerbridge.connectors.base import Page, RawEvent, Stream, WebhookRequest, WriteResult
from ledgerbridge.connectors.oauth import (
    TOKENS_SECRET,
    OAuthConnector,
    OAuthEndpoint,
    OAuthSession,
    OAuthSettings,
)
from ledgerbridge.connectors.quickbooks.client import QuickBooksClient
from ledgerbridge.connectors.quickbooks.normalize import NORMALIZED, documents_for
from ledgerbridge.connectors.quickbooks.wire import dumps, loads, signature_matches
from ledgerbridge.connectors.quickbooks.writer import Writer
from ledgerbridge.documents import Document
from ledgerbridge.money import Money
from ledgerbridge.sync.errors import MalformedPayload, SignatureError

__all__ = ["PRODUCTION", "SANDBOX", "QuickBooksConnector", "QuickBooksSettings"]

PRODUCTION = "https://quickbooks.api.intuit.com"
SANDBOX = "https://sandbox-quickbooks.api.intuit.com"
_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
_AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
_CURSOR_KEY = "MetaData.LastUpdatedTime"
_GONE = ("Delete", "Merge")


class QuickBooksSettings(OAuthSettings):
    """One QuickBooks company (``realm_id``) and the app that reaches it.

    ``verifier_token`` checks webhook signatures; ``base_url`` is production unless
    set (``SANDBOX`` for Intuit's sandbox companies); ``currency`` is the company's
    home currency, used where an object names none.
    """

    realm_id: str = Field(min_length=1)
    verifier_token: SecretStr | None = None
    base_url: str = PRODUCTION
    token_url: str = _TOKEN_URL
    minor_version: int = Field(default=75, ge=1)
    currency: str = Field(default="USD", pattern="^[A-Z]{3}$")
    page_size: int = Field(default=100, ge=1, le=1000)
    lookback_seconds: int = Field(default=300, ge=0)
    timeout_seconds: float = Field(default=30, gt=0)


def _stream(name: str, entity: str) -> Stream:
    return Stream(name, entity, "Id", _CURSOR_KEY, dt.timedelta(minutes=5))


class QuickBooksConnector(OAuthConnector):
    """QuickBooks Online (v3 API) for one company."""

    system: ClassVar[str] = "quickbooks"
    title: ClassVar[str] = "QuickBooks Online"
    settings_model: ClassVar[type[QuickBooksSettings]] = QuickBooksSettings
    secret_fields: ClassVar[tuple[str, ...]] = (
        "client_secret", "refresh_token", TOKENS_SECRET, "verifier_token")
    streams: ClassVar[tuple[Stream, ...]] = (
        _stream("invoices", "Invoice"), _stream("payments", "Payment"),
        _stream("credit_memos", "CreditMemo"), _stream("bills", "Bill"),
        _stream("bill_payments", "BillPayment"), _stream("customers", "Customer"),
        _stream("vendors", "Vendor"),
        Stream("changes", "cdc", "Id", _CURSOR_KEY, dt.timedelta(minutes=5)),
    )
    settings: QuickBooksSettings
    journal_account: ClassVar[str] = "id"
    """Which of a package account's fields a journal line names (QuickBooks: its Id)."""

    def endpoint(self) -> OAuthEndpoint:
        """The app's OAuth endpoint (for :func:`~ledgerbridge.connectors.oauth.exchange_code`)."""
        s = self.settings
        return OAuthEndpoint(s.token_url, s.client_id, s.client_secret.get_secret_value(),
                             s.redirect_uri, _AUTHORIZE_URL)

    @cached_property
    def client(self) -> QuickBooksClient:
        """The company's API client (tokens from the connection's token store)."""
        s = self.settings
        session = OAuthSession(self.token_store(), self.endpoint(),
                               httpx.Client(timeout=s.timeout_seconds))
        return QuickBooksClient(base_url=s.base_url, realm_id=s.realm_id,
                                minor_version=s.minor_version, session=session,
                                http=httpx.Client(timeout=s.timeout_seconds),
                                connection=self.connection)

    # -- webhooks ------------------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        """Check ``intuit-signature`` against the verifier token."""
        token = self.settings.verifier_token
        if token is None:
            raise SignatureError("no verifier_token set: this connection accepts no webhooks",
                                 connection=self.connection)
        if not signature_matches(request.body, request.headers.get("intuit-signature"),
                                 token.get_secret_value()):
            raise SignatureError("intuit-signature does not match", connection=self.connection)

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per changed entity of this company; the entity is fetched later."""
        try:
            data = loads(request.body)
            notifications = data["eventNotifications"]
            changes = [(str(n["realmId"]), e) for n in notifications
                       for e in n["dataChangeEvent"]["entities"]]
        except (ValueError, KeyError, TypeError):
            raise MalformedPayload("expected eventNotifications with dataChangeEvent entities",
                                   connection=self.connection) from None
        events = []
        for realm, change in changes:
            if realm != self.settings.realm_id or not isinstance(change, dict):
                continue
            name, entity_id = str(change.get("name")), str(change.get("id"))
            body = {"entity": name, "id": entity_id, "operation": change.get("operation"),
                    "lastUpdated": change.get("lastUpdated"), "realmId": realm}
            events.append(RawEvent(dumps(body).encode(),
                                   event_id=f"{realm}:{name}:{entity_id}:{change.get('lastUpdated')}",
                                   object_type=name, object_id=entity_id))
        return events

    # -- polling -------------------------------------------------------------------------

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Records changed after ``cursor`` less the lookback, oldest first, page by page."""
        since = None if cursor is None else (
            dt.datetime.fromisoformat(str(cursor)) - stream.lookback)
        if stream.name == "changes":
            yield self._changes(since or dt.datetime.now(dt.UTC) - dt.timedelta(days=30),
                                cursor)
            return
        where = "" if since is None else f" WHERE {_CURSOR_KEY} > '{since.isoformat()}'"
        size, start = self.settings.page_size, 1
        while True:
            records = self.client.query(
                f"SELECT * FROM {stream.object_type}{where} ORDERBY {_CURSOR_KEY} "
                f"STARTPOSITION {start} MAXRESULTS {size}", stream=stream.name)
            cursor = max([cursor, *(_updated(r) for r in records)], key=_moment_or_min)
            yield Page([self._event(stream.object_type, r) for r in records], cursor,
                       more=len(records) == size)
            if len(records) < size:
                return
            start += size

    def _changes(self, since: dt.datetime, cursor: Any) -> Page:
        changed = self.client.changed(list(NORMALIZED), since)
        events = [self._event(entity, r) for entity, records in changed.items()
                  for r in records]
        latest = max([cursor, *(_updated(r) for rs in changed.values() for r in rs)],
                     key=_moment_or_min)
        return Page(events, latest)

    def _event(self, entity: str, record: dict[str, Any]) -> RawEvent:
        body = {"entity": entity, "id": str(record["Id"]), "realmId": self.settings.realm_id,
                "object": record}
        return RawEvent(dumps(body).encode(), object_type=entity, object_id=str(record["Id"]),
                        object_version=str(record.get("SyncToken", "0")))

    # -- normalizing and writing back ------------------------------------------------------

    def normalize(self, event: RawEvent) -> list[Document]:
        """The event's documents; a notification's entity is fetched first."""
        try:
            data = loads(event.body)
            entity, record = str(data["entity"]), data.get("object")
        except (ValueError, KeyError, TypeError):
            raise MalformedPayload("not a QuickBooks event", connection=self.connection) from None
        if entity not in NORMALIZED or data.get("operation") in _GONE:
            return []
        if record is None:
            record = self.client.get(entity, str(data["id"]))
        if record.get("status") == "Deleted":  # CDC's mark of a deleted object
            return []
        return documents_for(entity, record, self.connection, self.settings.currency)

    def write(self, command: str, payload: Mapping[str, Any]) -> WriteResult:
        """``push_invoice``, ``push_payment``, ``push_journal_entry`` or ``push_contact``."""
        return Writer(self.client).write(command, payload)

    def package_accounts(self) -> list[PackageAccount]:
        """The company's active accounts, for mapping suggestions."""
        return [PackageAccount(str(r["Id"]), r.get("AcctNum") or None, str(r.get("Name") or ""),
                               _CLASSES.get(str(r.get("Classification")), "expense"),
                               _ROLES.get(str(r.get("AccountType"))), str(r.get("AccountType")))
                for r in Writer(self.client).records("Account")]

    def package_tax_rates(self) -> list[PackageTaxRate]:
        """The company's active sales tax codes, each with the sum of its rates' percentages."""
        writer = Writer(self.client)
        rates = {str(r["Id"]): Decimal(str(r.get("RateValue") or 0))
                 for r in writer.records("TaxRate")}
        return [PackageTaxRate(str(c["Id"]), str(c.get("Name") or ""),
                               sum((rates.get(str(d["TaxRateRef"]["value"]), Decimal(0))
                                    for d in (c.get("SalesTaxRateList") or {})
                                    .get("TaxRateDetail", ())), Decimal(0)))
                for c in writer.records("TaxCode")]

    def push_journal(self, reference: str, date: dt.date, memo: str,
                     lines: Sequence[tuple[str, Money]]) -> WriteResult:
        """One JournalEntry under ``reference`` (its DocNumber), once; debits are positive."""
        return self.write("push_journal_entry", {
            "external_id": reference, "date": date.isoformat(), "memo": memo,
            "idempotency_key": f"push_journal:{reference}",
            "lines": [{"account_id": account, "amount": str(abs(amount.decimal)),
                       "posting": "Debit" if amount.minor > 0 else "Credit"}
                      for account, amount in lines]})


_CLASSES = {"Asset": "asset", "Liability": "liability", "Equity": "equity",
            "Revenue": "income", "Expense": "expense"}
_ROLES = {"Bank": "bank", "Accounts Receivable": "receivable",
          "Accounts Payable": "payable", "Credit Card": "card"}


def _updated(record: dict[str, Any]) -> str | None:
    return (record.get("MetaData") or {}).get("LastUpdatedTime")


def _moment_or_min(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value)
