"""The Stripe connector: signed webhooks, incremental lists, documents from balance transactions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import AnyHttpUrl, SecretStr

from ledgerbridge.connectors.base import Connector, Page, RawEvent, Settings, Stream, WebhookRequest
from ledgerbridge.connectors.stripe.client import StripeApi
from ledgerbridge.connectors.stripe.mapping import SALES_MAPPING
from ledgerbridge.connectors.stripe.normalize import Normalizer
from ledgerbridge.connectors.stripe.signature import SIGNATURE_HEADER, SignatureMismatch, verify
from ledgerbridge.documents import Document
from ledgerbridge.sync.errors import FatalError, MalformedPayload, SignatureError

__all__ = ["STREAMS", "StripeConnector", "StripeSettings"]

Obj = dict[str, Any]
_LOOKBACK = dt.timedelta(minutes=5)
STREAMS = (
    Stream("balance_transactions", "balance_transaction", replication_key="created",
           lookback=_LOOKBACK),
    Stream("charges", "charge", replication_key="created", lookback=_LOOKBACK),
    Stream("refunds", "refund", replication_key="created", lookback=_LOOKBACK),
    Stream("disputes", "dispute", replication_key="created", lookback=_LOOKBACK),
    Stream("payouts", "payout", replication_key="created", lookback=_LOOKBACK),
)
EXPAND = {
    "balance_transactions": ("data.source",),
    "charges": ("data.balance_transaction", "data.refunds.data.balance_transaction"),
    "refunds": ("data.balance_transaction",),
}
"""Expansions that let a listed object be normalized without further calls."""
_EXPANDABLE = frozenset({"balance_transaction", "charge", "refund", "dispute", "payout",
                         "payment_intent"})


class StripeSettings(Settings):
    """One Stripe account.

    ``tolerance`` is how many seconds a webhook's signed timestamp may be from now;
    ``lookback_seconds`` how far behind its cursor each poll re-reads; the charge
    metadata key ``invoice_metadata_key`` names the invoice a charge pays.
    """

    api_key: SecretStr
    webhook_secret: SecretStr | None = None
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.stripe.com")
    tolerance: int = 300
    lookback_seconds: int = 300
    page_size: int = 100
    invoice_metadata_key: str = "invoice"
    timeout_seconds: float = 30.0


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _collapse(value: Any, top: bool = True) -> Any:
    """The object with nested (expanded) Stripe objects reduced to their ids."""
    if isinstance(value, dict):
        if not top and value.get("object") in _EXPANDABLE and "id" in value:
            return value["id"]
        return {k: _collapse(v, False) for k, v in value.items()}
    if isinstance(value, list):
        return [_collapse(v, False) for v in value]
    return value


def _record(obj: Obj, body: bytes | None = None, event_id: str | None = None) -> RawEvent:
    """A raw event for one Stripe object (or an event about one).

    The version is a digest of the object's own fields, with expanded objects reduced
    to their ids, so the same state read by a poll and sent by a webhook is one event.
    """
    state = json.dumps(_collapse(obj), sort_keys=True, default=_text).encode()
    return RawEvent(
        body if body is not None else json.dumps(obj, default=_text).encode(),
        event_id=event_id, object_type=obj["object"], object_id=obj["id"],
        object_version=hashlib.sha256(state).hexdigest()[:32],
    )


def _unix(cursor: Any) -> int | None:
    """A cursor as unix seconds: stored ones are ints, ``--since`` gives ISO text."""
    if cursor is None or isinstance(cursor, int):
        return cursor
    stamp = dt.datetime.fromisoformat(str(cursor))
    return int((stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).timestamp())


class StripeConnector(Connector):
    """Stripe: charges, refunds, disputes, payouts and fees, from webhooks and lists."""

    system = "stripe"
    title = "Stripe (payments, refunds, disputes, payouts; signed webhooks)"
    settings_model = StripeSettings
    secret_fields = ("api_key", "webhook_secret")
    streams = STREAMS
    default_mapping = SALES_MAPPING
    settings: StripeSettings

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        self.api = StripeApi(str(self.settings.base_url), self.settings.api_key.get_secret_value(),
                             connection=connection, timeout=self.settings.timeout_seconds)
        self._normalizer = Normalizer(connection, self.api, self.settings.invoice_metadata_key)

    def verify(self, request: WebhookRequest) -> None:
        """Accept only a fresh body signed with the endpoint's secret (``Stripe-Signature``)."""
        secret = self.settings.webhook_secret
        if secret is None:
            raise SignatureError("this connection accepts no webhooks (no webhook_secret set)",
                                 connection=self.connection)
        try:
            verify(request.headers.get(SIGNATURE_HEADER, ""), request.body,
                   secret.get_secret_value(), tolerance=self.settings.tolerance,
                   now=request.received_at.timestamp())
        except SignatureMismatch as exc:
            raise SignatureError(str(exc), connection=self.connection) from None

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per delivery: the event id dedupes redeliveries."""
        try:
            event = json.loads(request.body, parse_float=Decimal)
            obj = event["data"]["object"]
            if event.get("object") != "event" or not isinstance(obj, dict):
                raise TypeError
            return [_record(obj, request.body, str(event["id"]))]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
            raise MalformedPayload("body is not a Stripe event", connection=self.connection) \
                from None

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """List ``stream`` newest first from the cursor less the lookback, page by page.

        The cursor is the newest ``created`` seen; it moves only with the last page, so
        a read interrupted halfway starts again from where it was and loses nothing.
        """
        self.stream(stream.name)
        last = _unix(cursor)
        params: list[tuple[str, str | int]] = [("limit", self.settings.page_size)]
        params += [("expand[]", path) for path in EXPAND.get(stream.name, ())]
        if last is not None:
            params.append(("created[gte]", last - self.settings.lookback_seconds))
        newest = last
        for page in self.api.pages(f"/v1/{stream.name}", params):
            items = page["data"]
            for item in items:
                newest = item["created"] if newest is None else max(newest, item["created"])
            more = bool(page.get("has_more")) and bool(items)
            yield Page([_record(item) for item in items], cursor if more else newest, more=more)

    def normalize(self, event: RawEvent) -> list[Document]:
        """The canonical documents of one Stripe object or event."""
        try:
            obj = json.loads(event.body, parse_float=Decimal)
            return self._normalizer.documents(obj)
        except (KeyError, TypeError, AttributeError) as exc:
            raise FatalError(f"unexpected Stripe object shape: {type(exc).__name__} {exc}",
                             connection=self.connection, record=event.object_id) from None
