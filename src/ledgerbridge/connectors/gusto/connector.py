"""The Gusto connector: processed payrolls in (polled and by webhook), nothing written back.

Webhook events name a payroll but carry none of it. The connector fetches the payroll
(and the employees' departments, and the approved reversals) when the worker
normalizes the event, not when the gateway splits it: the gateway answers Gusto at
once, and a failed fetch is an ordinary retriable worker error.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr

from ledgerbridge.connectors.base import Connector, Page, RawEvent, Settings, Stream, WebhookRequest
from ledgerbridge.connectors.gusto.client import GustoClient
from ledgerbridge.connectors.gusto.normalize import bundle, payroll_documents
from ledgerbridge.connectors.gusto.signature import HEADER, verifies
from ledgerbridge.documents import Document
from ledgerbridge.sync.errors import MalformedPayload, SignatureError

__all__ = ["GustoConnector", "GustoSettings"]

_PAYROLL_EVENTS = frozenset({"payroll.processed", "payroll.reversed", "payroll.updated",
                             "payroll.paid"})


class GustoSettings(Settings):
    """A Gusto company: its uuid, an OAuth access token and the webhook verification token.

    ``lookback_days``: how far before the last check date read each poll starts again
    (off-cycle payrolls may be checked on an earlier date than the last one read).
    """

    access_token: SecretStr
    company_uuid: str = Field(min_length=1)
    verification_token: SecretStr | None = None
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.gusto.com")
    page_size: int = Field(default=100, ge=1, le=100)
    lookback_days: int = Field(default=31, ge=0)
    timeout_seconds: float = 30.0


class GustoConnector(Connector):
    """Gusto payroll: runs by department, tax debits, accruals; reversals void them."""

    system = "gusto"
    title = "Gusto payroll (payroll runs, tax debits, reversals)"
    settings_model = GustoSettings
    secret_fields = ("access_token", "verification_token")
    settings: GustoSettings
    streams = (
        Stream("payrolls", object_type="payroll", primary_key="payroll_uuid",
               replication_key="check_date"),
        Stream("payroll_reversals", object_type="payroll_reversal",
               primary_key="reversed_payroll_uuid"),
    )

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        s = self.settings
        self.client = GustoClient(str(s.base_url), s.access_token.get_secret_value(),
                                  s.company_uuid, connection=connection,
                                  page_size=s.page_size, timeout=s.timeout_seconds)

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
        """A bundled payroll, a reversal or a webhook event (the payroll fetched now)."""
        data = self._json(event.body)
        if not isinstance(data, dict):
            raise MalformedPayload("not a JSON object", connection=self.connection)
        if "payroll" in data:
            return payroll_documents(data, self.connection)
        if "reversed_payroll_uuid" in data:
            return self._fetched(str(data["reversed_payroll_uuid"]))
        if "event_type" in data:
            if data.get("entity_type") != "Payroll" or data["event_type"] not in _PAYROLL_EVENTS:
                return []
            return self._fetched(str(data.get("entity_uuid")))
        raise MalformedPayload("neither a payroll, a payroll reversal nor a Gusto event",
                               connection=self.connection)

    def _fetched(self, payroll_uuid: str) -> list[Document]:
        data = bundle(self.client.payroll(payroll_uuid), self.client.employees(),
                      self.client.reversals())
        return payroll_documents(data, self.connection)

    def _json(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedPayload(f"the body is not JSON: {exc}",
                                   connection=self.connection) from None
