"""The Gusto connector: payrolls and contractor payments in (polled and by webhook).

Webhook events name a payroll or a contractor payment but carry none of it. The
connector fetches it (with the employees' or contractor's department and name, and
the approved reversals) when the worker normalizes the event, not when the gateway
splits it: the gateway answers Gusto at once, and a failed fetch is an ordinary
retriable worker error.

Gusto deletes a contractor payment it cancels, so ``contractor_payment.cancelled``
voids the document stored for it (nothing, when none was stored).

The API is called with the connection's OAuth2 tokens (``client_id`` and
``client_secret``; refreshed and rotated by ``connectors.oauth``), or with a fixed
``access_token`` used as given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import AnyHttpUrl, Field, SecretStr, model_validator
from sqlalchemy import select

from ledgerbridge.connectors.base import Page, RawEvent, Settings, Stream, WebhookRequest
from ledgerbridge.connectors.gusto.client import GustoClient, OAuthBearer
from ledgerbridge.connectors.gusto.normalize import (
    bundle,
    contractor_bundle,
    contractor_payment_documents,
    payroll_documents,
)
from ledgerbridge.connectors.gusto.signature import HEADER, verifies
from ledgerbridge.connectors.oauth import (
    OAuthConnector,
    OAuthEndpoint,
    OAuthSession,
    OAuthSettings,
)
from ledgerbridge.documents import Document
from ledgerbridge.store.tables import connections
from ledgerbridge.sync.errors import FatalError, MalformedPayload, MissingDependency, SignatureError

__all__ = ["GustoConnector", "GustoSettings"]

_PAYROLL_EVENTS = frozenset({"payroll.processed", "payroll.reversed", "payroll.updated",
                             "payroll.paid"})
_PAYMENT_EVENTS = frozenset({"contractor_payment.created", "contractor_payment.cancelled"})
_FIRST_READ = dt.timedelta(days=366)
"""How far back the first read of contractor payments goes."""
_AHEAD = dt.timedelta(days=90)
"""How far ahead contractor payments are read (payments are made for a later date)."""


class GustoSettings(OAuthSettings):
    """A Gusto company: its uuid, how the API is reached, the webhook verification token.

    Either ``client_id`` and ``client_secret`` (an OAuth application: tokens come from
    ``ledgerbridge connections authorize`` or a seed ``refresh_token`` and are
    refreshed), or a fixed ``access_token``. ``lookback_days``: how far before the
    last date read each poll starts again (off-cycle payrolls may be checked on an
    earlier date than the last one read).
    """

    client_id: str | None = None  # both optional here: a fixed access_token may do instead
    client_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    company_uuid: str = Field(min_length=1)
    verification_token: SecretStr | None = None
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.gusto.com")
    page_size: int = Field(default=100, ge=1, le=100)
    lookback_days: int = Field(default=31, ge=0)
    timeout_seconds: float = 30.0

    @model_validator(mode="after")
    def _credentials(self) -> GustoSettings:
        if self.access_token is None and (self.client_id is None or self.client_secret is None):
            raise ValueError("set client_id and client_secret (OAuth, refreshed), or a fixed "
                             "access_token")
        return self


class GustoConnector(OAuthConnector):
    """Gusto payroll: runs by department, tax debits, accruals, contractor payments."""

    system = "gusto"
    title = "Gusto payroll (payroll runs, tax debits, reversals, contractor payments)"
    settings_model = GustoSettings
    secret_fields = (*OAuthConnector.secret_fields, "access_token", "verification_token")
    settings: GustoSettings
    streams = (
        Stream("payrolls", object_type="payroll", primary_key="payroll_uuid",
               replication_key="check_date"),
        Stream("payroll_reversals", object_type="payroll_reversal",
               primary_key="reversed_payroll_uuid"),
        Stream("contractor_payments", object_type="contractor_payment", primary_key="uuid",
               replication_key="date"),
    )

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        self._client: GustoClient | None = None

    # -- the API ------------------------------------------------------------------------

    def endpoint(self) -> OAuthEndpoint:
        """Gusto's token endpoint (client credentials in the form) and consent page."""
        s = self.settings
        if s.client_id is None or s.client_secret is None:
            raise FatalError("this connection uses a fixed access_token; set client_id and "
                             "client_secret to use OAuth", connection=self.connection)
        base = str(s.base_url).rstrip("/")
        return OAuthEndpoint(f"{base}/oauth/token", s.client_id,
                             s.client_secret.get_secret_value(), s.redirect_uri,
                             f"{base}/oauth/authorize", credentials_in_body=True)

    @property
    def client(self) -> GustoClient:
        """The API client (built on first use: OAuth tokens need the bound database)."""
        if self._client is None:
            s = self.settings
            auth: httpx.Auth | str
            if s.access_token is not None:
                auth = s.access_token.get_secret_value()
            else:
                session = OAuthSession(self.token_store(), self.endpoint(),
                                       httpx.Client(timeout=s.timeout_seconds))
                auth = OAuthBearer(session, self.connection)
            self._client = GustoClient(str(s.base_url), s.company_uuid,
                                       connection=self.connection, auth=auth,
                                       page_size=s.page_size, timeout=s.timeout_seconds)
        return self._client

    # -- webhooks -----------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        """Check ``X-Gusto-Signature`` against the subscription's verification token."""
        token = self.settings.verification_token
        if token is None:
            raise SignatureError("no verification_token set: this connection accepts no "
                                 "webhooks", connection=self.connection)
        if not verifies(request.body, token.get_secret_value(), request.headers.get(HEADER)):
            raise SignatureError("X-Gusto-Signature does not match the body",
                                 connection=self.connection)

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per delivery; the event's ``uuid`` drops redeliveries."""
        data = self._json(request.body)
        if not isinstance(data, dict) or "event_type" not in data:
            raise MalformedPayload("not a Gusto webhook event (no event_type)",
                                   connection=self.connection)
        return [RawEvent(request.body, event_id=str(data.get("uuid") or "") or None)]

    # -- polling ----------------------------------------------------------------------

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Processed payrolls checked since the cursor (less the lookback), or reversals.

        The payrolls cursor is the latest check date read; re-read payrolls are
        dropped by the inbox unless their version changed.
        """
        self.stream(stream.name)
        if stream.name == "contractor_payments":
            yield self._payments_page(cursor)
            return
        employees = self.client.employees()
        reversals = self.client.reversals()
        if stream.name == "payroll_reversals":
            events = [self._reversal_event(r) for r in reversals]
            yield Page(events, None)
            return
        start = None
        if cursor:
            start = (dt.date.fromisoformat(cursor)
                     - dt.timedelta(days=self.settings.lookback_days)).isoformat()
        last = cursor
        for page in self.client.payroll_pages(start):
            events = [self._payroll_event(bundle(p, employees, reversals)) for p in page]
            for payroll in page:
                last = max(last or payroll["check_date"], payroll["check_date"])
            yield Page(events, last, more=len(page) == self.settings.page_size)

    def _payments_page(self, cursor: str | None) -> Page:
        """Contractor payments dated from the cursor (less the lookback) to 90 days ahead.

        The cursor is the latest payment date read, never later than today, so a
        payment made later for an earlier day is still read.
        """
        today = dt.datetime.now(dt.UTC).date()
        start = (dt.date.fromisoformat(cursor) - dt.timedelta(days=self.settings.lookback_days)
                 if cursor else today - _FIRST_READ)
        payments = self.client.contractor_payments(start.isoformat(),
                                                   (today + _AHEAD).isoformat())
        contractors = self.client.contractors() if payments else []
        events = [self._payment_event(contractor_bundle(p, contractors)) for p in payments]
        last = max([cursor or "", *(min(p["date"], today.isoformat()) for p in payments)])
        return Page(events, last or None)

    def _payment_event(self, data: dict[str, Any]) -> RawEvent:
        body = json.dumps(data, sort_keys=True).encode()
        return RawEvent(body, object_type="contractor_payment",
                        object_id=data["contractor_payment"]["uuid"],
                        object_version=hashlib.sha256(body).hexdigest()[:16])

    def _payroll_event(self, data: dict[str, Any]) -> RawEvent:
        payroll = data["payroll"]
        uuid = payroll.get("payroll_uuid") or payroll.get("uuid")
        state = "reversed" if data["reversed"] else "processed"
        return RawEvent(json.dumps(data).encode(), object_type="payroll", object_id=uuid,
                        object_version=f"{payroll.get('version')}:{state}")

    def _reversal_event(self, reversal: dict[str, Any]) -> RawEvent:
        uuid = reversal["reversed_payroll_uuid"]
        return RawEvent(json.dumps(reversal).encode(), object_type="payroll_reversal",
                        object_id=uuid, object_version=str(reversal.get("approved_at")))

    # -- normalizing ------------------------------------------------------------------

    def normalize(self, event: RawEvent) -> list[Document]:
        """A bundled payroll or contractor payment, a reversal, or a webhook event.

        For an event the payroll or payment is fetched now.
        """
        data = self._json(event.body)
        if not isinstance(data, dict):
            raise MalformedPayload("not a JSON object", connection=self.connection)
        if "payroll" in data:
            return payroll_documents(data, self.connection)
        if "contractor_payment" in data:
            return contractor_payment_documents(data, self.connection)
        if "reversed_payroll_uuid" in data:
            return self._fetched(str(data["reversed_payroll_uuid"]))
        if "event_type" in data:
            kind, entity = data["event_type"], str(data.get("entity_uuid"))
            if data.get("entity_type") == "Payroll" and kind in _PAYROLL_EVENTS:
                return self._fetched(entity)
            if data.get("entity_type") == "ContractorPayment" and kind in _PAYMENT_EVENTS:
                return self._fetched_payment(entity, data.get("timestamp"))
            return []
        raise MalformedPayload("neither a payroll, a contractor payment, a payroll reversal "
                               "nor a Gusto event", connection=self.connection)

    def _fetched(self, payroll_uuid: str) -> list[Document]:
        data = bundle(self.client.payroll(payroll_uuid), self.client.employees(),
                      self.client.reversals())
        return payroll_documents(data, self.connection)

    def _fetched_payment(self, payment_uuid: str, timestamp: Any) -> list[Document]:
        """The payment's documents; once Gusto deleted it (cancelled), its stored one voided."""
        payment = self.client.contractor_payment(payment_uuid)
        if payment is not None:
            data = contractor_bundle(payment, self.client.contractors())
            return contractor_payment_documents(data, self.connection)
        stored = self._stored_run(payment_uuid)
        if stored is None:  # cancelled before it was ever stored: nothing to undo
            return []
        when = (dt.datetime.fromtimestamp(int(timestamp), dt.UTC) if timestamp is not None
                else dt.datetime.now(dt.UTC))
        source = stored.source.model_copy(update={"version": "cancelled", "updated_at": when})
        return [stored.model_copy(update={"status": "void", "source": source})]

    def _stored_run(self, payment_uuid: str) -> Document | None:
        """The current document of a contractor payment, as last stored."""
        from ledgerbridge.sync.apply import make_lookup  # the sync engine imports connectors

        if self.database is None:
            raise FatalError("connector is not bound to a database", connection=self.connection)
        with self.database.connect() as conn:
            connection_id = conn.execute(select(connections.c.id).where(
                connections.c.name == self.connection)).scalar_one()
            try:
                return make_lookup(conn, connection_id)("payroll_run", payment_uuid)
            except MissingDependency:
                return None

    def _json(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedPayload(f"the body is not JSON: {exc}",
                                   connection=self.connection) from None
