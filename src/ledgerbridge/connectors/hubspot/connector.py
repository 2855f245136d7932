"""The HubSpot connector: deals in (polled and by webhook), invoice status back out.

Webhooks name a deal but carry no record. The connector fetches the deal (with its
line items, companies and contacts) when the worker normalizes the event, not when
the gateway splits it: the gateway then answers HubSpot at once whatever HubSpot's
API is doing (HubSpot gives up on a slow endpoint and retries), a failed fetch is an
ordinary retriable worker error with backoff and replay, and the fetch reads the
deal's latest state — which is what a notification of "something changed" asks
for. Several events about one deal fetch the same version, which is stored once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator

from ledgerbridge.connectors.base import (
    Connector,
    Page,
    RawEvent,
    Settings,
    Stream,
    WebhookRequest,
    WriteResult,
)
from ledgerbridge.connectors.hubspot.client import HubSpotClient, OAuthCredentials
from ledgerbridge.connectors.hubspot.normalize import (
    company_contact,
    deal_documents,
    person_contact,
)
from ledgerbridge.connectors.hubspot.records import RecordReader
from ledgerbridge.connectors.hubspot.signatures import SignatureMismatch, check
from ledgerbridge.connectors.hubspot.stamps import millis
from ledgerbridge.connectors.hubspot.writeback import COMMAND, invoice_properties
from ledgerbridge.documents import Document
from ledgerbridge.sync.errors import FatalError, MalformedPayload, SignatureError

__all__ = ["HubSpotConnector", "HubSpotSettings"]

_CONTACT_TYPES = {"company": ("companies", company_contact),
                  "contact": ("contacts", person_contact)}


class HubSpotSettings(Settings):
    """A HubSpot account and how its deals map.

    Authenticate with a private app's ``access_token``, or with OAuth
    (``client_id``, ``client_secret``, ``refresh_token``). ``client_secret`` also
    verifies webhooks; ``webhook_url`` is the public URL HubSpot posts to, when a
    proxy makes it differ from the URL the gateway sees (v2 and v3 sign the URL).

    ``currency`` is the account's company currency (deals without a currency, and
    the one ``hs_exchange_rate`` converts into). ``won_stages``/``lost_stages``
    override the pipelines' won (probability 1.0) and closed flags. The ``*_property``
    settings name the deal properties read and written; "" turns one off.
    """

    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.hubapi.com")
    webhook_url: str | None = None
    currency: str = "USD"
    won_stages: tuple[str, ...] = ()
    lost_stages: tuple[str, ...] = ()
    page_size: int = Field(default=100, ge=1, le=200)
    search_cap: int = Field(default=10_000, ge=1)
    payment_terms_property: str = "payment_terms"
    line_account_property: str = ""
    status_property: str = "invoice_status"
    number_property: str = "invoice_number"
    amount_due_property: str = "invoice_amount_due"
    paid_date_property: str = "invoice_paid_date"
    invoiced_label: str = "Invoiced"
    partially_paid_label: str = "Partially paid"
    paid_label: str = "Paid"
    max_rate_limit_wait: float = 10.0
    timeout_seconds: float = 30.0

    @field_validator("won_stages", "lost_stages", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        """Accept "closedwon,contractwon" as well as a list (the CLI passes text)."""
        if isinstance(value, str):
            return tuple(s.strip() for s in value.split(",") if s.strip())
        return value

    @model_validator(mode="after")
    def _credentials(self) -> HubSpotSettings:
        oauth = (self.client_id, self.client_secret, self.refresh_token)
        if self.access_token is None and not all(oauth):
            raise ValueError("give access_token, or client_id, client_secret and "
                             "refresh_token for OAuth")
        return self


class HubSpotConnector(Connector):
    """HubSpot CRM: deals with line items, companies and contacts; invoice status back."""

    system = "hubspot"
    title = "HubSpot CRM (deals, companies, contacts; invoice status write-back)"
    settings_model = HubSpotSettings
    secret_fields = ("access_token", "client_secret", "refresh_token")
    settings: HubSpotSettings
    streams = (
        Stream("deals", object_type="deal", primary_key="id",
               replication_key="hs_lastmodifieddate", lookback=dt.timedelta(minutes=5)),
    )

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        s = self.settings
        oauth = None
        if s.access_token is None and s.client_id and s.client_secret and s.refresh_token:
            oauth = OAuthCredentials.shared(connection, s.client_id,
                                            s.client_secret.get_secret_value(),
                                            s.refresh_token.get_secret_value())
        self.client = HubSpotClient(
            str(s.base_url), connection=connection, oauth=oauth,
            access_token=s.access_token.get_secret_value() if s.access_token else None,
            timeout=s.timeout_seconds, max_wait=s.max_rate_limit_wait)
        extra_line = (s.line_account_property,) if s.line_account_property else ()
        extra_deal = (s.payment_terms_property,) if s.payment_terms_property else ()
        self.records = RecordReader(self.client, deal_properties=extra_deal,
                                    line_item_properties=extra_line)

    # -- webhooks -----------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        """Check HubSpot's v3 signature (five-minute window), or v1/v2 as declared."""
        secret = self.settings.client_secret
        if secret is None:
            raise SignatureError("no client_secret set: this connection accepts no webhooks",
                                 connection=self.connection)
        uri = self.settings.webhook_url or request.url
        try:
            check(request.headers, secret.get_secret_value(), request.method, uri,
                  request.body, request.received_at)
        except SignatureMismatch as exc:
            raise SignatureError(str(exc), connection=self.connection) from None

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per element of HubSpot's JSON array; ``eventId`` drops repeats."""
        data = self._json(request.body)
        if not isinstance(data, list) or not data:
            raise MalformedPayload("expected a non-empty JSON array of events",
                                   connection=self.connection)
        events = []
        for n, item in enumerate(data, start=1):
            if not isinstance(item, dict) or "eventId" not in item \
                    or "subscriptionType" not in item:
                raise MalformedPayload(f"event {n} lacks eventId or subscriptionType",
                                       connection=self.connection)
            kind = str(item["subscriptionType"]).partition(".")[0]
            object_id = _object_id(item, kind)
            events.append(RawEvent(
                json.dumps({**item, "objectId": object_id}, sort_keys=True).encode(),
                event_id=str(item["eventId"]),
                object_type=kind,
                object_id=None if object_id is None else str(object_id),
            ))
        return events

    def _json(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedPayload(f"body is not JSON: {exc}", connection=self.connection) \
                from None

    # -- polling ------------------------------------------------------------------

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Deals modified since the cursor (less the lookback), oldest first.

        The cursor is the latest ``hs_lastmodifieddate`` read. HubSpot lets one search
        page through at most ``search_cap`` results; on reaching it the search starts
        again from the last modification time read, and the inbox drops the overlap.
        """
        self.stream(stream.name)
        last_seen: str | None = cursor
        anchor = millis(cursor) - int(stream.lookback.total_seconds() * 1000) \
            if cursor else None
        after: str | None = None
        while True:
            answer = self.client.search("deals", self._search(anchor, after))
            deals = answer.get("results", [])
            events = [self._bundle_event(b) for b in self.records.bundles(deals)]
            for deal in deals:
                stamp = deal["properties"].get("hs_lastmodifieddate")
                if stamp and (last_seen is None or millis(stamp) > millis(last_seen)):
                    last_seen = stamp
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            more = after is not None
            if more and int(after) >= self.settings.search_cap:
                anchor, after = self._reanchor(anchor, deals, stream), None
            yield Page(events, last_seen, more=more)
            if not more:
                return

    def _reanchor(self, anchor: int | None, deals: list[dict[str, Any]],
                  stream: Stream) -> int:
        """Where a search that hit the result cap starts again: the last stamp read."""
        last = millis(deals[-1]["properties"]["hs_lastmodifieddate"])
        if anchor is not None and last <= anchor:
            raise FatalError(f"more than {self.settings.search_cap} deals share one "
                             f"modification time; the search cannot move past it",
                             connection=self.connection, stream=stream.name)
        return last

    def _search(self, anchor: int | None, after: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "properties": list(self.records.deal_properties),
            "limit": self.settings.page_size,
        }
        if anchor is not None:
            body["filterGroups"] = [{"filters": [{"propertyName": "hs_lastmodifieddate",
                                                  "operator": "GTE", "value": str(anchor)}]}]
        if after is not None:
            body["after"] = after
        return body

    def _bundle_event(self, bundle: dict[str, Any]) -> RawEvent:
        deal = bundle["deal"]
        return RawEvent(json.dumps(bundle, sort_keys=True).encode(), object_type="deal",
                        object_id=str(deal["id"]),
                        object_version=deal["properties"].get("hs_lastmodifieddate"))

    # -- normalizing and writing back ---------------------------------------------------

    def normalize(self, event: RawEvent) -> list[Document]:
        """A polled bundle, or a webhook event (the record is fetched now), to documents."""
        data = self._json(event.body)
        if isinstance(data, dict) and "deal" in data:
            return list(deal_documents(data, self.settings, self.connection))
        if not isinstance(data, dict) or "subscriptionType" not in data:
            raise MalformedPayload("neither a deal bundle nor a HubSpot webhook event",
                                   connection=self.connection)
        kind, _, action = str(data["subscriptionType"]).partition(".")
        object_id = str(data.get("objectId"))
        if action == "deletion" or data.get("objectId") is None:
            return []  # what the ledger derived from the record stays; nothing to update
        if kind == "deal":
            return list(deal_documents(self.records.deal(object_id), self.settings,
                                       self.connection))
        if kind in _CONTACT_TYPES:
            object_type, build = _CONTACT_TYPES[kind]
            return [build(self.records.record(object_type, object_id), self.connection)]
        return []

    def write(self, command: str, payload: Mapping[str, Any]) -> WriteResult:
        """``set_invoice_status``: set the invoice properties on the deal (repeatable)."""
        if command != COMMAND:
            raise FatalError(f"hubspot supports no write-back {command!r} (only {COMMAND})",
                             connection=self.connection)
        deal_id = str(payload.get("external_id") or "")
        if not deal_id:
            raise FatalError("the payload names no deal (external_id)",
                             connection=self.connection)
        try:
            properties = invoice_properties(payload, self.settings)
        except ValueError as exc:
            raise FatalError(str(exc), connection=self.connection, record=deal_id) from None
        self.client.update("deals", deal_id, properties)
        return WriteResult(external_id=deal_id, details={"properties": properties})


def _object_id(event: dict[str, Any], kind: str) -> Any:
    """The id of the record an event is about.

    Association changes carry ``fromObjectId``/``toObjectId`` and an
    ``associationType`` such as ``DEAL_TO_LINE_ITEM``; the subscribed record is the
    side named by the subscription (``deal.associationChange``: the deal).
    """
    if "objectId" in event:
        return event["objectId"]
    kind_first = str(event.get("associationType", "")).upper().startswith(f"{kind.upper()}_TO_")
    return event.get("fromObjectId" if kind_first else "toObjectId")
