"""The ``plaid`` connector: a live bank feed following Plaid's ``/transactions/sync``.

Reading: ``POST /transactions/sync`` from the stored cursor, following
``has_more``; the stream's cursor is Plaid's ``next_cursor``. One read (every page
until ``has_more`` is false) is stored in the inbox together with its final cursor,
as Plaid advises: if Plaid answers ``TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION``
the pages read so far are dropped and the read starts again from the cursor at
which it began. Each page is one inbox event and, once processed, one
``bank_imports`` row (``plaid:<item>:<next_cursor>``, the raw page as content).

Webhooks: ``SYNC_UPDATES_AVAILABLE`` (and the older transactions codes) carry no
lines, only the news that there are some; verified with ``Plaid-Verification``,
each is stored in the inbox and processing it reads the item at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator

from ledgerbridge.connectors.bankfeeds.bankbook import FeedBatch
from ledgerbridge.connectors.base import Connector, Page, RawEvent, Settings, Stream, WebhookRequest
from ledgerbridge.connectors.plaid.client import MutationDuringPagination, PlaidClient, read_json
from ledgerbridge.connectors.plaid.normalize import STREAM, page_batch
from ledgerbridge.connectors.plaid.verification import VERIFICATION_HEADER, WebhookKeys, verify
from ledgerbridge.documents import Document
from ledgerbridge.sync.errors import FatalError, MalformedPayload, RetriableError, SignatureError

__all__ = ["PAGE", "WEBHOOK", "PlaidConnector", "PlaidSettings"]

PAGE = "transactions_sync_page"
"""Object type of an inbox event holding one ``/transactions/sync`` page."""
WEBHOOK = "webhook"
"""Object type of an inbox event holding one Plaid webhook."""
SYNC_CODES = frozenset({"SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE", "INITIAL_UPDATE",
                        "HISTORICAL_UPDATE", "TRANSACTIONS_REMOVED"})
"""Transactions webhook codes after which the item is read."""
MAX_RESTARTS = 5


class PlaidSettings(Settings):
    """A Plaid Item and where its accounts go in the ledger.

    Attributes:
        client_id: the Plaid client id; ``secret`` is the API secret.
        access_token: the Item's access token.
        item_id: the Item's id (webhooks name it).
        base_url: Plaid's environment (the sandbox emulator's URL in tests).
        accounts: Plaid ``account_id`` -> ledger account code; an account mapped to
            null is left out on purpose, an account not listed is an error. On the
            command line: ``accounts=<id>=1010,<id>=2100,<id>=`` (or a JSON object).
        count: transactions per page, 1 to 500.

    """

    client_id: str = Field(min_length=1)
    secret: SecretStr
    access_token: SecretStr
    item_id: str = Field(min_length=1)
    base_url: AnyHttpUrl = AnyHttpUrl("https://production.plaid.com")
    accounts: dict[str, str | None]
    count: int = Field(default=500, ge=1, le=500)
    timeout_seconds: float = 30.0

    @field_validator("accounts", mode="before")
    @classmethod
    def _account_pairs(cls, value: Any) -> Any:
        """Read ``id=code,id=code`` (an empty code: left out) or JSON text."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("{"):
            return json.loads(text)
        pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise ValueError("expected <plaid account_id>=<ledger account code>, comma separated")
        return {k.strip(): v.strip() or None for k, v in pairs}


class PlaidConnector(Connector):
    """Bank lines from Plaid, read with ``/transactions/sync`` whenever Plaid says so."""

    system = "plaid"
    title = "Plaid (live bank feed: /transactions/sync, signed webhooks)"
    settings_model = PlaidSettings
    secret_fields = ("secret", "access_token")
    settings: PlaidSettings
    streams = (Stream(STREAM, object_type=PAGE, primary_key="transaction_id"),)

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        self._client = PlaidClient(str(self.settings.base_url), self.settings.client_id,
                                   self.settings.secret.get_secret_value(),
                                   connection=connection,
                                   timeout=self.settings.timeout_seconds)
        self._keys = WebhookKeys(self._fetch_key)

    # -- webhooks -------------------------------------------------------------

    def _fetch_key(self, kid: str) -> dict[str, Any]:
        try:
            _, data = self._client.call("/webhook_verification_key/get", {"key_id": kid})
        except FatalError as exc:  # Plaid does not know this key: the JWT is not Plaid's
            raise SignatureError(f"Plaid-Verification: key {kid!r} refused ({exc.reason})",
                                 connection=self.connection) from None
        key = data.get("key")
        if not isinstance(key, dict):
            raise RetriableError("webhook_verification_key/get answered no key",
                                 connection=self.connection)
        return key

    def verify(self, request: WebhookRequest) -> None:
        """Accept only a body whose Plaid-Verification JWT Plaid's key verifies."""
        verify(request.headers.get(VERIFICATION_HEADER, ""), request.body, self._keys,
               connection=self.connection)

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per webhook; a redelivered request (the same JWT) is stored once."""
        data = self._json(request.body)
        if not isinstance(data, dict) or not data.get("webhook_type"):
            raise MalformedPayload("not a Plaid webhook (no webhook_type)",
                                   connection=self.connection)
        item = data.get("item_id")
        if item is not None and item != self.settings.item_id:
            raise MalformedPayload(f"webhook for item {item!r}, but this connection reads "
                                   f"item {self.settings.item_id!r}", connection=self.connection)
        token = request.headers.get(VERIFICATION_HEADER, "")
        event_id = "plaid-webhook:" + hashlib.sha256(token.encode()).hexdigest()
        return [RawEvent(request.body, event_id=event_id, object_type=WEBHOOK)]

    def _json(self, body: bytes) -> Any:
        try:
            return read_json(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedPayload(f"body is not JSON: {exc}", connection=self.connection,
                                   stream=STREAM) from None

    # -- reading ----------------------------------------------------------------

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Read every update after ``cursor``; yields one page holding the whole read.

        A cursor that is a timestamp (a backfill ``--since``) reads the Item from its
        start: Plaid has no other way back, and the bank book drops what it has.
        """
        self.stream(stream.name)
        start = _plaid_cursor(cursor)
        for _ in range(MAX_RESTARTS):
            try:
                events, end = self._read_all(start)
            except MutationDuringPagination:
                continue  # Plaid: start again from the cursor at which pagination began
            yield Page(events, end)
            return
        raise RetriableError(f"the Item kept changing while it was read ({MAX_RESTARTS} "
                             "tries); reading again later", connection=self.connection,
                             stream=STREAM)

    def _read_all(self, cursor: str | None) -> tuple[list[RawEvent], str | None]:
        events = []
        while True:
            body: dict[str, Any] = {
                "access_token": self.settings.access_token.get_secret_value(),
                "count": self.settings.count,
                "options": {"include_original_description": True},
            }
            if cursor is not None:
                body["cursor"] = cursor
            content, data = self._client.call("/transactions/sync", body, stream=STREAM)
            try:
                more, next_cursor = data["has_more"], data["next_cursor"]
                changes = len(data["added"]) + len(data["modified"]) + len(data["removed"])
            except (KeyError, TypeError):
                raise MalformedPayload("not a /transactions/sync answer",
                                       connection=self.connection, stream=STREAM) from None
            if changes:
                events.append(RawEvent(content, event_id=self._page_id(data), object_type=PAGE))
            cursor = next_cursor
            if not more:
                return events, cursor

    def _page_id(self, data: dict[str, Any]) -> str:
        """The same page read twice (an overlapping read) is stored once."""
        facts = {k: data.get(k) for k in ("added", "modified", "removed", "next_cursor")}
        digest = hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode())
        return f"plaid:{self.settings.item_id}:{digest.hexdigest()}"

    # -- the bank feed ------------------------------------------------------------

    def feed_batch(self, event: RawEvent) -> FeedBatch | None:
        """The bank lines of a page event; None for a webhook."""
        if event.object_type != PAGE:
            return None
        return page_batch(self._json(event.body), event.body, self.settings.accounts,
                          item_id=self.settings.item_id, connection=self.connection)

    def sync_after(self, event: RawEvent) -> tuple[str, ...]:
        """A transactions webhook of our Item asks for the transactions stream to be read."""
        if event.object_type != WEBHOOK:
            return ()
        data = self._json(event.body)
        if not isinstance(data, dict) or data.get("webhook_type") != "TRANSACTIONS" \
                or data.get("webhook_code") not in SYNC_CODES \
                or data.get("item_id", self.settings.item_id) != self.settings.item_id:
            return ()
        return (STREAM,)

    def normalize(self, event: RawEvent) -> list[Document]:
        """The bank transactions a page adds or changes (removals: see ``feed_batch``)."""
        batch = self.feed_batch(event)
        return [] if batch is None else [line.transaction for line in batch.lines]


def _plaid_cursor(cursor: Any) -> str | None:
    if cursor is None or cursor == "":
        return None
    if not isinstance(cursor, str):
        raise FatalError(f"stored cursor {cursor!r} is not a Plaid cursor", stream=STREAM)
    if ":" in cursor:  # base64 has no colon: this is a backfill's ISO timestamp
        try:
            dt.datetime.fromisoformat(cursor)
        except ValueError:
            return cursor
        return None
    return cursor
