"""Reading the document feed incrementally, with a lookback window."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import AnyHttpUrl, SecretStr

from ledgerbridge.connectors.base import Page, RawEvent, Settings, Stream
from ledgerbridge.connectors.http import request
from ledgerbridge.connectors.webhook import WebhookConnector, WebhookSettings
from ledgerbridge.sync.errors import MalformedPayload

__all__ = ["FeedConnector", "FeedSettings"]


class FeedSettings(WebhookSettings):
    """Where the feed is and how to authenticate; ``lookback_seconds`` re-reads late commits.

    With a ``secret``, the same tool may also push documents to the webhook URL
    (signed like the ``webhook`` connector's); both paths store each version once.
    """

    url: AnyHttpUrl
    token: SecretStr
    secret: SecretStr | None = None
    page_size: int = 200
    lookback_seconds: int = 300


class FeedConnector(WebhookConnector):
    """Polls canonical documents from an HTTP feed (and accepts them pushed, if signed)."""

    system = "feed"
    title = "Document feed (HTTP JSON, polled; optional signed pushes)"
    settings_model = FeedSettings
    secret_fields = ("token", "secret")
    settings: FeedSettings
    streams = (
        Stream("documents", object_type="document", primary_key="source.external_id",
               replication_key="source.updated_at", lookback=dt.timedelta(minutes=5)),
    )

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        self._client = httpx.Client(
            timeout=self.settings.timeout_seconds,
            headers={"authorization": f"Bearer {self.settings.token.get_secret_value()}"},
        )

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Read documents updated since the cursor (less the lookback), page by page.

        The cursor is the latest ``source.updated_at`` seen. Records re-read inside
        the lookback window are dropped by the inbox's (object, version) key.
        """
        self.stream(stream.name)
        last_seen = dt.datetime.fromisoformat(cursor) if cursor else None
        since = last_seen - dt.timedelta(seconds=self.settings.lookback_seconds) \
            if last_seen else None
        params: dict[str, Any] = {"limit": self.settings.page_size}
        if since is not None:
            params["updated_since"] = since.isoformat()
        while True:
            response = request(self._client, "GET", str(self.settings.url),
                               connection=self.connection, params=params)
            try:
                body = response.json()
                items = body["documents"]
                next_cursor = body.get("next_cursor")
            except (ValueError, KeyError, TypeError):
                raise MalformedPayload("feed answer is not {documents, next_cursor}",
                                       connection=self.connection, stream=stream.name) from None
            events = [self._event(item, stream) for item in items]
            for item in items:
                stamp = _updated_at(item)
                if stamp is not None and (last_seen is None or stamp > last_seen):
                    last_seen = stamp
            yield Page(events, last_seen.isoformat() if last_seen else cursor,
                       more=bool(next_cursor))
            if not next_cursor:
                return
            params["cursor"] = next_cursor

    def _event(self, item: Any, stream: Stream) -> RawEvent:
        if not isinstance(item, dict) or not isinstance(item.get("source"), dict):
            raise MalformedPayload("a feed item is not a canonical document",
                                   connection=self.connection, stream=stream.name)
        source = item["source"]
        version = source.get("version") or source.get("updated_at")
        return RawEvent(
            json.dumps(item, sort_keys=True).encode(),
            object_type=str(item.get("type")),
            object_id=str(source.get("external_id")),
            object_version=None if version is None else str(version),
        )


def _updated_at(item: Any) -> dt.datetime | None:
    try:
        stamp = dt.datetime.fromisoformat(item["source"]["updated_at"])
    except (KeyError, TypeError, ValueError):
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
