"""The PayPal connector: webhooks verified by PayPal, Transaction Search polled."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr

from ledgerbridge.connectors.base import Connector, Page, RawEvent, Settings, Stream, WebhookRequest
from ledgerbridge.connectors.paypal.client import PayPalClient
from ledgerbridge.connectors.paypal.documents import documents_for
from ledgerbridge.connectors.paypal.movements import (
    Kind,
    from_resource,
    from_transaction,
    kind_of_code,
    stamp_of,
    version_of,
)
from ledgerbridge.connectors.paypal.search import search_pages
from ledgerbridge.documents import Document
from ledgerbridge.sync.errors import FatalError, MalformedPayload, SignatureError, SyncError

__all__ = ["PayPalConnector", "PayPalSettings"]

EVENT_KINDS: dict[str, Kind] = {
    "PAYMENT.CAPTURE.COMPLETED": "capture",
    "PAYMENT.CAPTURE.PENDING": "capture",
    "PAYMENT.CAPTURE.DENIED": "capture",
    "PAYMENT.CAPTURE.DECLINED": "capture",
    "PAYMENT.CAPTURE.REFUNDED": "refund",
    "PAYMENT.CAPTURE.REVERSED": "reversal",
}
"""Webhook events that carry a balance movement; others are kept and post nothing."""
SIGNATURE_HEADERS = ("paypal-transmission-id", "paypal-transmission-time",
                     "paypal-transmission-sig", "paypal-auth-algo")


class PayPalSettings(Settings):
    """A PayPal REST app's credentials and how far back each poll looks again.

    ``webhook_id`` is the id of the webhook subscription pointing at this
    connection (webhooks are refused without it). ``currency`` is the account's
    primary currency: searched captures and refunds in another currency are
    looked up for the exchange rate PayPal converted them at. ``apply_invoices``
    applies a capture to the invoice its ``invoice_id`` names, which must then be
    a document of this connection.
    """

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    webhook_id: str | None = None
    base_url: AnyHttpUrl = AnyHttpUrl("https://api-m.paypal.com")
    lookback: dt.timedelta = dt.timedelta(days=3)
    currency: str = Field(default="USD", pattern="^[A-Z]{3}$")
    page_size: int = Field(default=500, ge=1, le=500)
    apply_invoices: bool = False
    timeout_seconds: float = 30.0


class PayPalConnector(Connector):
    """PayPal checkout payments, refunds, reversals, fees and bank withdrawals."""

    system = "paypal"
    title = "PayPal (REST: webhooks + Transaction Search)"
    default_mapping = """\
rules:
  - name: PayPal payments that pay no invoice are sales
    when: {type: payment, processor: paypal, applications.0: null}
    accounts: {customer_deposits: "4010"}
"""
    settings_model = PayPalSettings
    secret_fields = ("client_secret",)
    verifies_remotely = True
    settings: PayPalSettings
    streams = (
        Stream("transactions", object_type="transaction",
               primary_key="transaction_info.transaction_id",
               replication_key="transaction_info.transaction_initiation_date",
               lookback=dt.timedelta(days=3)),
    )

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        self.client = PayPalClient(str(self.settings.base_url), self.settings.client_id,
                                   self.settings.client_secret.get_secret_value(),
                                   connection=connection,
                                   timeout=self.settings.timeout_seconds)

    # -- webhooks -------------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        """Ask PayPal whether it sent this webhook; anything but SUCCESS is refused."""
        if not self.settings.webhook_id:
            raise SignatureError("this connection accepts no webhooks (no webhook_id set)",
                                 connection=self.connection)
        missing = [h for h in SIGNATURE_HEADERS if not request.headers.get(h)]
        if missing:
            raise SignatureError(f"missing {', '.join(missing)}", connection=self.connection)
        try:
            verdict = self.client.verify_webhook(request.headers, request.body,
                                                 self.settings.webhook_id)
        except SyncError as exc:
            raise SignatureError(f"could not verify the signature: {exc.reason}",
                                 connection=self.connection) from None
        if verdict != "SUCCESS":
            raise SignatureError(f"PayPal says the signature is a {verdict}",
                                 connection=self.connection)

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per delivery, keyed by its id and by the object version it carries."""
        data = _json(request.body, self.connection)
        if not isinstance(data.get("id"), str) or not isinstance(data.get("resource"), dict):
            raise MalformedPayload("not a PayPal webhook event (no id or resource)",
                                   connection=self.connection)
        kind = EVENT_KINDS.get(str(data.get("event_type")))
        resource = data["resource"]
        if kind is None or "id" not in resource:
            return [RawEvent(request.body, event_id=data["id"])]
        updated = resource.get("update_time") or resource.get("create_time")
        return [RawEvent(request.body, event_id=data["id"], object_type=kind,
                         object_id=str(resource["id"]),
                         object_version=_version(updated, resource.get("status"),
                                                 self.connection))]

    # -- polling ----------------------------------------------------------------------

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Search from the cursor less the lookback up to now, in 31-day windows, paged.

        The cursor is the end of the last window read in full, so a poll stopped
        half-way through a window reads that window again; the inbox drops repeats.
        """
        self.stream(stream.name)
        last = stamp_of(cursor) if cursor else None
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        start = (last or now) - self.settings.lookback
        for page in search_pages(self.client, start, now, self.settings.page_size):
            events = [self._polled(detail, stream) for detail in page.details]
            if page.finished is not None and (last is None or page.finished > last):
                last = page.finished
            yield Page(events, last.isoformat() if last else cursor, more=not page.last)

    def _polled(self, detail: dict[str, Any], stream: Stream) -> RawEvent:
        try:
            info = detail["transaction_info"]
            txn_id = str(info["transaction_id"])
            kind = kind_of_code(info["transaction_event_code"]) or "transaction"
            currency = info["transaction_amount"]["currency_code"]
            updated = info.get("transaction_updated_date") or info["transaction_initiation_date"]
        except (KeyError, TypeError):
            raise MalformedPayload("a transaction_detail without transaction_info",
                                   connection=self.connection, stream=stream.name) from None
        if (kind in ("capture", "refund") and currency != self.settings.currency
                and info.get("transaction_status") == "S"):
            rate = self._rate(kind, txn_id)
            if rate is not None:
                detail = {**detail, "exchange_rate": str(rate)}
        return RawEvent(json.dumps(detail, sort_keys=True).encode(), object_type=kind,
                        object_id=txn_id,
                        object_version=_version(updated, info.get("transaction_status"),
                                                self.connection))

    def _rate(self, kind: Kind, txn_id: str) -> Decimal | None:
        """PayPal's conversion rate of a capture or refund, from Payments v2.

        A payment that is no Payments v2 capture (an older API's) is not found: it
        is kept without a rate, and posting refuses just that one record.
        """
        try:
            resource = (self.client.capture(txn_id) if kind == "capture"
                        else self.client.refund(txn_id))
        except FatalError:
            return None
        return from_resource(resource, kind).rate

    # -- normalizing ----------------------------------------------------------------------

    def normalize(self, event: RawEvent) -> list[Document]:
        """A webhook event or a searched transaction -> the documents its movement posts."""
        data = _json(event.body, self.connection)
        try:
            if "transaction_info" in data:
                code = data["transaction_info"]["transaction_event_code"]
                kind = kind_of_code(code)
                if kind is None:
                    raise FatalError(f"transaction event code {code} is not mapped",
                                     connection=self.connection, record=event.object_id)
                movement = from_transaction(data, kind)
            else:
                kind = EVENT_KINDS.get(str(data.get("event_type")))
                if kind is None:
                    return []
                movement = from_resource(data["resource"], kind)
        except (KeyError, TypeError, ValueError) as exc:
            raise FatalError(f"unreadable PayPal record: {type(exc).__name__}: {exc}",
                             connection=self.connection, record=event.object_id) from None
        return documents_for(movement, self.connection,
                             apply_invoices=self.settings.apply_invoices)


def _json(body: bytes, connection: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPayload(f"body is not JSON: {exc}", connection=connection) from None
    if not isinstance(data, dict):
        raise MalformedPayload("body is not a JSON object", connection=connection)
    return data


def _version(text: Any, status: Any, connection: str) -> str:
    try:
        return version_of(str(text), str(status))
    except ValueError:
        raise MalformedPayload(f"unreadable time {text!r}", connection=connection) from None
