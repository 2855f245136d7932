"""The Admin REST API client of one shop: token header, Link paging, the leaky bucket.

Shopify pages with cursors in the ``Link`` header (``<...page_info=...>; rel="next"``);
a page request carries only ``page_info`` and ``limit``. When the shop's call bucket
is full Shopify answers 429 with ``Retry-After`` seconds: the client waits that long
(a few times at most) before giving up with a RetriableError, which the engine
retries later with backoff.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ledgerbridge.connectors.http import request
from ledgerbridge.connectors.shopify.amounts import load
from ledgerbridge.sync.errors import MalformedPayload, RetriableError

__all__ = ["ShopifyClient", "next_link"]

_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a Link header, if any."""
    match = _NEXT.search(header or "")
    return match.group(1) if match else None


class ShopifyClient:
    """Calls one shop's Admin API at ``base`` (``https://shop/admin/api/2024-10``)."""

    def __init__(self, base: str, token: str, *, connection: str, timeout: float = 30.0,
                 retries: int = 3, sleep: Callable[[float], None] = time.sleep) -> None:
        self.base = base.rstrip("/")
        self.connection = connection
        self.retries = retries
        self._sleep = sleep
        self._retry_after: str | None = None
        self._http = httpx.Client(
            timeout=timeout,
            headers={"x-shopify-access-token": token, "accept": "application/json"},
            event_hooks={"response": [self._note_limit]},
        )

    def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET ``path`` (relative to the API base, or a full Link URL), waiting out 429s."""
        url = path if path.startswith("http") else f"{self.base}/{path}"
        attempt = 1
        while True:
            try:
                return request(self._http, "GET", url, connection=self.connection, params=params)
            except RetriableError:
                wait, self._retry_after = self._retry_after, None
                if wait is None or attempt >= self.retries:
                    raise
                self._sleep(min(float(wait), 60.0))
                attempt += 1

    def _note_limit(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            self._retry_after = response.headers.get("retry-after")

    def json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode (decimals exact)."""
        return _decode(self.get(path, params), self.connection)

    def pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[tuple[list, bool]]:
        """Each page's ``key`` list and whether another page follows, along the Link header."""
        url: str | None = path
        query: dict[str, Any] | None = params
        while url is not None:
            response = self.get(url, query)
            # Plain JSON here: records are written back out for the inbox, and Shopify
            # sends money as text, so only informational numbers (tax rates) are floats.
            try:
                items = json.loads(response.content).get(key)
            except (ValueError, AttributeError):
                items = None
            if not isinstance(items, list):
                raise MalformedPayload(f"answer to {path} has no {key!r} list",
                                       connection=self.connection)
            url, query = next_link(response.headers.get("link")), None
            yield items, url is not None

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def _decode(response: httpx.Response, connection: str) -> Any:
    try:
        return load(response.content)
    except ValueError:
        raise MalformedPayload(f"{response.request.url.path}: answer is not JSON",
                               connection=connection) from None
