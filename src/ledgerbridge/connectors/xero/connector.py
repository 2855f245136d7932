"""The Xero connector: documents read by polling and on webhooks; invoices, payments out.

Invoices, bills, payments, credit notes, contacts and bank transactions are read
incrementally (``If-Modified-Since``, paged) or fetched when a webhook names them;
invoices, payments and manual journals are pushed.

Webhooks name a resource but carry no record: the gateway stores the event, and the
record is fetched when the worker normalizes it, so the gateway answers Xero at
once (Xero wants an answer within five seconds) and a failed fetch is an ordinary
retriable worker error. Xero's intent-to-receive check (a signed payload with no
events) is answered 200 and stores nothing; a bad signature is answered 401.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx
from pydantic import AnyHttpUrl, SecretStr

from ledgerbridge.connectors.account_map import PackageAccount, PackageTaxRate
from ledgerbridge.connectors.base import (
    Page,
    RawEvent,
    Settings,
    Stream,
    WebhookRequest,
    WriteResult,
)
from ledgerbridge.connectors.oauth import (
    OAuthConnector,
    OAuthEndpoint,
    OAuthSession,
    OAuthSettings,
)
from ledgerbridge.connectors.xero.client import XeroClient
from ledgerbridge.connectors.xero.normalize import Normalizer
from ledgerbridge.connectors.xero.signature import SIGNATURE_HEADER, valid
from ledgerbridge.connectors.xero.wire import dumps, loads, parse_stamp
from ledgerbridge.connectors.xero.writer import Writer
from ledgerbridge.documents import Document
from ledgerbridge.money import Money
from ledgerbridge.sync.errors import FatalError, MalformedPayload, SignatureError

__all__ = ["STREAMS", "XeroConnector", "XeroSettings"]

_LOOKBACK = dt.timedelta(minutes=5)
STREAMS = (
    Stream("invoices", "invoice", "InvoiceID", "UpdatedDateUTC", _LOOKBACK),
    Stream("payments", "payment", "PaymentID", "UpdatedDateUTC", _LOOKBACK),
    Stream("credit_notes", "credit_note", "CreditNoteID", "UpdatedDateUTC", _LOOKBACK),
    Stream("contacts", "contact", "ContactID", "UpdatedDateUTC", _LOOKBACK),
    Stream("bank_transactions", "bank_transaction", "BankTransactionID", "UpdatedDateUTC",
           _LOOKBACK),
)
_COLLECTIONS = {"invoices": "Invoices", "payments": "Payments", "credit_notes": "CreditNotes",
                "contacts": "Contacts", "bank_transactions": "BankTransactions"}
_BY_TYPE = {s.object_type: (_COLLECTIONS[s.name], s.primary_key) for s in STREAMS}
_CATEGORIES = {"INVOICE": "invoice", "CONTACT": "contact", "CREDITNOTE": "credit_note"}


class XeroSettings(OAuthSettings):
    """One Xero organisation reached through an OAuth2 app.

    ``tenant_id`` picks the organisation; without it the connection's only tenant in
    ``/connections`` is used (more than one: the call fails and lists them).
    ``webhook_key`` verifies webhooks. ``tax_jurisdiction`` labels Xero's tax on
    documents; the ``*_account``/``*_tax_type`` settings fill pushed lines that name
    none.
    """

    tenant_id: str | None = None
    webhook_key: SecretStr | None = None
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.xero.com")
    identity_url: AnyHttpUrl = AnyHttpUrl("https://identity.xero.com")
    tax_jurisdiction: str = "XERO"
    sales_account: str = "200"
    purchases_account: str = "429"
    payment_account: str = "090"
    sales_tax_type: str = "OUTPUT2"
    purchases_tax_type: str = "INPUT2"
    timeout_seconds: float = 30.0


class XeroConnector(OAuthConnector):
    """Xero accounting: documents in by polling and webhooks; invoices, payments, journals out."""

    system = "xero"
    title = "Xero (invoices, bills, payments, credit notes, contacts, bank transactions)"
    settings_model = XeroSettings
    secret_fields = (*OAuthConnector.secret_fields, "webhook_key")
    streams = STREAMS
    settings: XeroSettings
    journal_account = "code"
    """Which of a package account's fields a journal line names (Xero: its code)."""

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        self._client: XeroClient | None = None
        self._normalizer = Normalizer(connection, self.settings.tax_jurisdiction)

    # -- the API ------------------------------------------------------------------------

    @property
    def client(self) -> XeroClient:
        """The API client (built on first use: it needs the token store's database)."""
        if self._client is None:
            s = self.settings
            http = httpx.Client(timeout=s.timeout_seconds)
            endpoint = OAuthEndpoint(f"{str(s.identity_url).rstrip('/')}/connect/token",
                                     s.client_id, s.client_secret.get_secret_value(),
                                     s.redirect_uri)
            session = OAuthSession(self.token_store(), endpoint, http)
            self._client = XeroClient(str(s.base_url), session=session, http=http,
                                      tenant=self._choose_tenant, connection=self.connection)
        return self._client

    def _choose_tenant(self, client: XeroClient) -> str:
        if self.settings.tenant_id:
            return self.settings.tenant_id
        tenants = [t for t in client.connections() if t.get("tenantType") == "ORGANISATION"]
        if len(tenants) != 1:
            names = ", ".join(f"{t['tenantName']} ({t['tenantId']})" for t in tenants)
            raise FatalError(f"set tenant_id: this connection reaches {len(tenants)} "
                             f"organisations ({names or 'none'})", connection=self.connection)
        return str(tenants[0]["tenantId"])

    # -- webhooks -----------------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        """Accept only a body signed with the webhook key (``x-xero-signature``)."""
        key = self.settings.webhook_key
        if key is None:
            raise SignatureError("this connection accepts no webhooks (no webhook_key set)",
                                 connection=self.connection)
        if not valid(request.body, key.get_secret_value(),
                     request.headers.get(SIGNATURE_HEADER, "")):
            raise SignatureError("x-xero-signature does not match the body",
                                 connection=self.connection)

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per resource named; none for the intent-to-receive check.

        Events for other tenants than this connection's are dropped.
        """
        try:
            events = loads(request.body)["events"]
            if not isinstance(events, list):
                raise TypeError
            raws = [self._event(e) for e in events if self._ours(e)]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise MalformedPayload("body is not a Xero webhook payload",
                                   connection=self.connection) from None
        return [r for r in raws if r is not None]

    def _ours(self, event: dict[str, Any]) -> bool:
        tenant = self.settings.tenant_id
        return tenant is None or str(event["tenantId"]).lower() == tenant.lower()

    def _event(self, event: dict[str, Any]) -> RawEvent | None:
        kind = _CATEGORIES.get(str(event["eventCategory"]))
        if kind is None:
            return None
        body = json.dumps({"webhook": kind, **event}, sort_keys=True).encode()
        identity = "|".join(str(event[k]) for k in ("tenantId", "eventCategory", "eventType",
                                                    "resourceId", "eventDateUtc"))
        return RawEvent(body, event_id=hashlib.sha256(identity.encode()).hexdigest()[:40],
                        object_type=f"{kind}_event", object_id=str(event["resourceId"]))

    # -- polling ------------------------------------------------------------------------

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Records changed after the cursor less the lookback, oldest change first, by page.

        The cursor is the newest ``UpdatedDateUTC`` read (ISO text); it moves with the
        last page only, so an interrupted read starts again and loses nothing.
        """
        self.stream(stream.name)
        collection = _COLLECTIONS[stream.name]
        last = None if cursor is None else parse_stamp(str(cursor))
        since = None if last is None else last - stream.lookback
        newest = last
        for rows, more in self.client.pages(collection, since=since, stream=stream.name):
            events = []
            for row in rows:
                stamp = parse_stamp(row["UpdatedDateUTC"])
                newest = stamp if newest is None else max(newest, stamp)
                events.append(RawEvent(dumps({"collection": collection, "record": row}),
                                       object_type=stream.object_type,
                                       object_id=str(row[stream.primary_key]),
                                       object_version=str(row["UpdatedDateUTC"])))
            done = None if newest is None else newest.isoformat()
            yield Page(events, cursor if more else done, more=more)

    # -- normalizing and writing back ---------------------------------------------------

    def normalize(self, event: RawEvent) -> list[Document]:
        """A polled record, or a webhook event (the record is fetched now), to documents."""
        try:
            data = loads(event.body)
            if "webhook" in data:
                collection, _ = _BY_TYPE[data["webhook"]]
                record = self.client.get(collection, str(data["resourceId"]))
                if record is None:
                    return []  # gone since: what was posted from it stays
            else:
                collection, record = data["collection"], data["record"]
            return self._normalizer.documents(collection, record)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise FatalError(f"unexpected Xero record: {type(exc).__name__} {exc}",
                             connection=self.connection, record=event.object_id) from None

    def write(self, command: str, payload: Mapping[str, Any]) -> WriteResult:
        """``push_invoice``, ``push_payment``, ``push_manual_journal`` or ``push_contact``."""
        s = self.settings
        return Writer(self.client, sales_account=s.sales_account,
                      purchases_account=s.purchases_account, payment_account=s.payment_account,
                      sales_tax_type=s.sales_tax_type,
                      purchases_tax_type=s.purchases_tax_type).write(command, payload)

    def package_accounts(self) -> list[PackageAccount]:
        """The organisation's active accounts, for mapping suggestions."""
        return [PackageAccount(str(r["AccountID"]), r.get("Code") or None,
                               str(r.get("Name") or ""),
                               _CLASSES.get(str(r.get("Class")), "expense"), _role(r),
                               str(r.get("Type")))
                for r in self.client.list("Accounts") if r.get("Status", "ACTIVE") == "ACTIVE"]

    def package_tax_rates(self) -> list[PackageTaxRate]:
        """The organisation's active tax rates (TaxType), with their effective rate."""
        return [PackageTaxRate(str(r["TaxType"]), str(r.get("Name") or ""),
                               Decimal(str(r.get("EffectiveRate") or 0)))
                for r in self.client.list("TaxRates") if r.get("Status", "ACTIVE") == "ACTIVE"]

    def push_journal(self, reference: str, date: dt.date, memo: str,
                     lines: Sequence[tuple[str, Money]]) -> WriteResult:
        """One posted ManualJournal tagged ``[ref reference]``, once; debits are positive."""
        return self.write("push_manual_journal", {
            "external_id": reference, "date": date.isoformat(), "narration": memo,
            "idempotency_key": f"push_journal:{reference}",
            "lines": [{"account": account, "amount": str(amount.decimal)}
                      for account, amount in lines]})


_CLASSES = {"ASSET": "asset", "LIABILITY": "liability", "EQUITY": "equity",
            "REVENUE": "income", "EXPENSE": "expense"}


def _role(account: dict[str, Any]) -> str | None:
    """What a Xero account's type or system role says it is, in our subtypes."""
    if account.get("BankAccountType") == "CREDITCARD":
        return "card"
    if account.get("Type") == "BANK":
        return "bank"
    return {"DEBTORS": "receivable", "CREDITORS": "payable"}.get(
        str(account.get("SystemAccount")))
