"""The Ramp connector: card transactions and reimbursements, polled or pushed by webhooks."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import AnyHttpUrl, SecretStr

from ledgerbridge.connectors import exact_json
from ledgerbridge.connectors.base import Connector, Page, RawEvent, Settings, Stream, WebhookRequest
from ledgerbridge.connectors.ramp.client import SCOPES, RampClient
from ledgerbridge.connectors.ramp.mapping import RAMP_MAPPING
from ledgerbridge.connectors.ramp.normalize import Normalizer
from ledgerbridge.connectors.ramp.signature import SIGNATURE_HEADER, SignatureMismatch, verify
from ledgerbridge.documents import Document
from ledgerbridge.sync.errors import FatalError, MalformedPayload, SignatureError

if TYPE_CHECKING:
    from ledgerbridge.ledger import Ledger

__all__ = ["STREAMS", "RampConnector", "RampSettings"]

Obj = dict[str, Any]
STREAMS = (
    Stream("transactions", "transaction", replication_key="user_transaction_time",
           lookback=dt.timedelta(days=10)),
    Stream("reimbursements", "reimbursement", replication_key="created_at",
           lookback=dt.timedelta(days=30)),
)
"""Card transactions clear days after they are made, and reimbursements are paid weeks
after they are filed: each poll re-reads that far back; unchanged objects are dropped
by the inbox."""
RESOURCES = {"transaction": "transactions", "reimbursement": "reimbursements"}
EVENT_PREFIXES = {"transactions": "transaction", "reimbursements": "reimbursement"}


class RampSettings(Settings):
    """One Ramp business: an API application's client credentials and webhook secret."""

    client_id: str
    client_secret: SecretStr
    webhook_secret: SecretStr | None = None
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.ramp.com")
    scope: str = SCOPES
    page_size: int = 100
    timeout_seconds: float = 30.0
    receipts_due_days: int = 7
    receipts_required_over: Decimal | None = None


def _record(kind: str, obj: Obj) -> RawEvent:
    """A raw event for one Ramp object; its version is a digest of what it says."""
    body = exact_json.dumps(obj).encode()
    return RawEvent(body, object_type=kind, object_id=str(obj["id"]),
                    object_version=hashlib.sha256(body).hexdigest()[:32])


def _stamp(cursor: Any) -> dt.datetime | None:
    if cursor is None:
        return None
    stamp = dt.datetime.fromisoformat(str(cursor).replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


class RampConnector(Connector):
    """Ramp: company card transactions and employee reimbursements (expenses)."""

    system = "ramp"
    title = "Ramp (card transactions, reimbursements, receipts; signed webhooks)"
    settings_model = RampSettings
    secret_fields = ("client_secret", "webhook_secret")
    streams = STREAMS
    default_mapping = RAMP_MAPPING
    settings: RampSettings

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        self.api = RampClient(str(self.settings.base_url), self.settings.client_id,
                              self.settings.client_secret.get_secret_value(),
                              connection=connection, scope=self.settings.scope,
                              timeout=self.settings.timeout_seconds)
        self._normalizer = Normalizer(connection)

    def verify(self, request: WebhookRequest) -> None:
        """Accept only a body signed with the subscription's secret (``X-Ramp-Signature``)."""
        secret = self.settings.webhook_secret
        if secret is None:
            raise SignatureError("this connection accepts no webhooks (no webhook_secret set)",
                                 connection=self.connection)
        try:
            verify(request.headers.get(SIGNATURE_HEADER, ""), request.body,
                   secret.get_secret_value())
        except SignatureMismatch as exc:
            raise SignatureError(str(exc), connection=self.connection) from None

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per delivery, deduplicated by its id; other event types are refused."""
        try:
            event = exact_json.loads(request.body)
            kind = EVENT_PREFIXES[str(event["type"]).split(".")[0]]
            object_id = str(event["object"]["id"])
            event_id = str(event["id"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise MalformedPayload("body is not a Ramp transactions or reimbursements event",
                                   connection=self.connection) from None
        return [RawEvent(request.body, event_id=event_id, object_type=kind,
                         object_id=object_id)]

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """List ``stream`` from the cursor less the lookback, page by page.

        The cursor is the newest replication value seen; it moves only with the last
        page, so an interrupted read starts again where it began and loses nothing.
        """
        declared = self.stream(stream.name)
        key = declared.replication_key or "created_at"
        params: dict[str, Any] = {"page_size": self.settings.page_size}
        last = _stamp(cursor)
        if last is not None:
            params["from_date"] = (last - declared.lookback).isoformat()
        newest = last
        for page in self.api.pages(stream.name, params):
            items = page.get("data") or []
            for item in items:
                seen = _stamp(item.get(key))
                if seen is not None and (newest is None or seen > newest):
                    newest = seen
            more = bool((page.get("page") or {}).get("next")) and bool(items)
            events = [_record(declared.object_type, item) for item in items]
            yield Page(events, cursor if more else (newest.isoformat() if newest else None),
                       more=more)

    def after_posted(self, ledger: Ledger, object_ids: Sequence[str]) -> None:
        """Match card lines just posted to the receipt files waiting for them."""
        # attach uses the sync worker, which loads connectors: import it when needed.
        from ledgerbridge.connectors.ramp.attach import match_arrived_lines  # noqa: PLC0415

        match_arrived_lines(ledger, self.connection, object_ids)

    def normalize(self, event: RawEvent) -> list[Document]:
        """The documents of one Ramp object, or of the object a webhook names (read anew)."""
        try:
            body = exact_json.loads(event.body)
        except (UnicodeDecodeError, ValueError):
            raise MalformedPayload("the stored body is not JSON", connection=self.connection,
                                   record=event.object_id) from None
        kind = event.object_type or ""
        if kind not in RESOURCES:
            raise FatalError(f"Ramp object type {kind!r} is not read here",
                             connection=self.connection, record=event.object_id)
        if isinstance(body, dict) and "type" in body and isinstance(body.get("object"), dict):
            body = self.api.retrieve(RESOURCES[kind], str(body["object"]["id"]))
        return self._normalizer.documents(kind, body)
