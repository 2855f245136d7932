"""The ``shopify`` connector: orders, refunds and Shopify Payments payouts of one shop."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from functools import cached_property
from typing import Any, Literal

from pydantic import AnyHttpUrl, Field, SecretStr

from ledgerbridge.connectors.base import (
    Connector,
    Page,
    RawEvent,
    Settings,
    Stream,
    WebhookRequest,
)
from ledgerbridge.connectors.shopify.amounts import load
from ledgerbridge.connectors.shopify.client import ShopifyClient
from ledgerbridge.connectors.shopify.orders import Hints, order_documents, refund_documents
from ledgerbridge.connectors.shopify.payouts import payout_documents
from ledgerbridge.connectors.shopify.summary import SETTLED, daily_summary, summary_id
from ledgerbridge.connectors.shopify.webhooks import (
    HMAC_HEADER,
    TOPIC_HEADER,
    TOPICS,
    WEBHOOK_ID_HEADER,
    valid,
)
from ledgerbridge.documents import Document, Order, Ref
from ledgerbridge.sync.errors import FatalError, MalformedPayload, SignatureError

__all__ = ["ShopifyConnector", "ShopifySettings"]


class ShopifySettings(Settings):
    """One shop: where its Admin API is, how to call it, and how its sales are mapped.

    Attributes:
        shop: the shop's domain, ``acme.myshopify.com``.
        base_url: the API root when it is not ``https://<shop>`` (an emulator).
        access_token: the Admin API access token.
        api_secret: the app's secret that signs its webhooks (none: no webhooks).
        api_version: the pinned Admin API version.
        revenue_by: line field used as the revenue account hint (see ``Hints``).
        gift_card_account, returns_account: account hints for gift cards sold and
            for returned goods.
        home_jurisdiction: tax jurisdiction of orders without an address ("US-NY").
        summary: "order" posts every order; "daily" posts one summary per day of the
            settled orders (see ``summary.py``) for the days from ``summary_from`` and
            before ``summary_until``, when they are set. Switch with dates in the
            future, so no day is half summarized: days summarized once stay so.
        lookback_seconds: how far behind the cursor each orders poll starts again.

    """

    shop: str = Field(min_length=1)
    base_url: AnyHttpUrl | None = None
    access_token: SecretStr
    api_secret: SecretStr | None = None
    api_version: str = "2024-10"
    revenue_by: Literal["none", "sku", "product", "vendor", "channel"] = "none"
    gift_card_account: str = "2400"
    returns_account: str = "4060"
    home_jurisdiction: str | None = None
    summary: Literal["order", "daily"] = "order"
    summary_from: dt.date | None = None
    summary_until: dt.date | None = None
    page_size: int = Field(default=250, ge=1, le=250)
    lookback_seconds: int = Field(default=300, ge=0)
    timeout_seconds: float = 30.0


class ShopifyConnector(Connector):
    """Reads a Shopify shop: orders (polled and pushed), refunds, payouts."""

    system = "shopify"
    title = "Shopify (orders, refunds, Shopify Payments payouts)"
    settings_model = ShopifySettings
    secret_fields = ("access_token", "api_secret")
    settings: ShopifySettings
    streams = (
        Stream("orders", object_type="order", replication_key="updated_at",
               lookback=dt.timedelta(minutes=5)),
        Stream("payouts", object_type="payout", replication_key="date",
               lookback=dt.timedelta(days=7)),
    )

    @cached_property
    def client(self) -> ShopifyClient:
        """The API client of this connection's shop."""
        root = str(self.settings.base_url or f"https://{self.settings.shop}").rstrip("/")
        return ShopifyClient(f"{root}/admin/api/{self.settings.api_version}",
                             self.settings.access_token.get_secret_value(),
                             connection=self.connection,
                             timeout=self.settings.timeout_seconds)

    @property
    def hints(self) -> Hints:
        """Account hints and the home jurisdiction from the settings."""
        s = self.settings
        return Hints(revenue_by=s.revenue_by, gift_cards=s.gift_card_account,
                     returns=s.returns_account, home=s.home_jurisdiction)

    # -- webhooks -------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        """Accept only bodies signed with the app secret (``X-Shopify-Hmac-Sha256``)."""
        secret = self.settings.api_secret
        if secret is None:
            raise SignatureError("no api_secret set: this connection accepts no webhooks",
                                 connection=self.connection)
        given = request.headers.get(HMAC_HEADER, "")
        if not given or not valid(request.body, secret.get_secret_value(), given):
            raise SignatureError(f"{HMAC_HEADER} does not match the body",
                                 connection=self.connection)

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per delivery, keyed by the webhook id and the object's version."""
        topic = request.headers.get(TOPIC_HEADER, "")
        try:
            data = load(request.body)
        except (UnicodeDecodeError, ValueError):
            raise MalformedPayload(f"{topic or 'webhook'} body is not JSON",
                                   connection=self.connection) from None
        if not isinstance(data, dict) or "id" not in data:
            raise MalformedPayload(f"{topic or 'webhook'} body is not a Shopify object",
                                   connection=self.connection)
        object_type = TOPICS.get(topic, topic.replace("/", ".") or "unknown")
        version = data.get("updated_at") or data.get("processed_at") or data.get("created_at")
        return [RawEvent(request.body, event_id=request.headers.get(WEBHOOK_ID_HEADER) or None,
                         object_type=object_type, object_id=str(data["id"]),
                         object_version=None if version is None else str(version))]

    # -- polling ----------------------------------------------------------------

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Read orders by ``updated_at`` or payouts by date, from the cursor less the lookback."""
        reader = {"orders": self._read_orders, "payouts": self._read_payouts}
        return reader[self.stream(stream.name).name](cursor)

    def _read_orders(self, cursor: str | None) -> Iterator[Page]:
        last = dt.datetime.fromisoformat(cursor) if cursor else None
        params: dict[str, Any] = {"status": "any", "limit": self.settings.page_size,
                                  "order": "updated_at asc"}
        if last is not None:
            since = last - dt.timedelta(seconds=self.settings.lookback_seconds)
            params["updated_at_min"] = since.isoformat()
        for orders, more in self.client.pages("orders.json", "orders", params):
            events = [_event(o, "order", o.get("updated_at")) for o in orders]
            for order in orders:
                stamp = dt.datetime.fromisoformat(order["updated_at"])
                last = stamp if last is None or stamp > last else last
            yield Page(events, last.isoformat() if last else cursor, more=more)

    def _read_payouts(self, cursor: str | None) -> Iterator[Page]:
        last = dt.date.fromisoformat(cursor[:10]) if cursor else None  # a date or a timestamp
        params: dict[str, Any] = {"limit": self.settings.page_size}
        if last is not None:
            params["date_min"] = (last - self.stream("payouts").lookback).isoformat()
        for payouts, more in self.client.pages("shopify_payments/payouts.json", "payouts",
                                               params):
            events = []
            for payout in payouts:
                moves = [t for page, _ in self.client.pages(
                    "shopify_payments/balance/transactions.json", "transactions",
                    {"payout_id": payout["id"], "limit": 250}) for t in page]
                events.append(_event({"payout": payout, "transactions": moves}, "payout",
                                     payout.get("status"), payout["id"]))
                day = dt.date.fromisoformat(payout["date"])
                last = day if last is None or day > last else last
            yield Page(events, last.isoformat() if last else cursor, more=more)

    # -- normalizing ------------------------------------------------------------

    def normalize(self, event: RawEvent) -> list[Document]:
        """Orders (with their refunds), single refunds and payouts as canonical documents."""
        try:
            data = load(event.body)
        except (UnicodeDecodeError, ValueError):
            raise MalformedPayload("body is not JSON", connection=self.connection) from None
        try:
            if event.object_type == "order":
                return self._order(data)
            if event.object_type == "refund":
                order = self.client.json(f"orders/{data['order_id']}.json")["order"]
                return refund_documents(self.connection, data, order, self.hints)
            if event.object_type == "payout":
                return payout_documents(self.connection, data["payout"], data["transactions"])
        except (KeyError, TypeError) as exc:
            raise FatalError(f"{event.object_type} is missing {exc}", connection=self.connection,
                             record=event.object_id) from None
        return []

    def _order(self, data: dict) -> list[Document]:
        """The order's documents; in daily mode a settled order points at its day's summary."""
        order, *refunds = order_documents(self.connection, data, self._gift_cards(data),
                                          self.hints)
        if not self._summarized(order):
            return [order, *refunds]
        day = order.order_date
        kept = order.model_copy(update={
            "summarized_in": Ref(external_id=summary_id(day)),
            # A label of its own, so replaying the event after a mode switch re-posts it.
            "source": order.source.model_copy(update={"version": f"{data['updated_at']}|daily"}),
        })
        stamp = dt.datetime.fromisoformat(data.get("processed_at") or data["created_at"])
        return [kept, self._day_summary(day, stamp.tzinfo), *refunds]

    def _summarized(self, order: Order) -> bool:
        s = self.settings
        return (s.summary == "daily" and order.financial_status in SETTLED
                and not order.cancelled
                and (s.summary_from is None or order.order_date >= s.summary_from)
                and (s.summary_until is None or order.order_date < s.summary_until))

    def _day_summary(self, day: dt.date, zone: dt.tzinfo | None) -> Order:
        """The summary of the day's settled orders, as the shop lists them now."""
        start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        params = {"status": "any", "limit": 250, "processed_at_min": start.isoformat(),
                  "processed_at_max": (start + dt.timedelta(days=1, seconds=-1)).isoformat()}
        settled = []
        for page, _ in self.client.pages("orders.json", "orders", params):
            for data in page:
                order = order_documents(self.connection, data, self._gift_cards(data),
                                        self.hints)[0]
                if self._summarized(order) and order.order_date == day:
                    settled.append(order)
        return daily_summary(self.connection, day, settled)

    def _gift_cards(self, order: dict) -> list:
        """The order's transactions when a gift card paid part of it (only they say how much)."""
        if "gift_card" not in (order.get("payment_gateway_names") or []):
            return []
        return self.client.json(f"orders/{order['id']}/transactions.json")["transactions"]


def _event(item: dict, object_type: str, version: Any, object_id: Any = None) -> RawEvent:
    return RawEvent(json.dumps(item).encode(), object_type=object_type,
                    object_id=str(object_id if object_id is not None else item["id"]),
                    object_version=None if version is None else str(version))
