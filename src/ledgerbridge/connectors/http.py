"""HTTP calls to outside systems, with failures sorted the way the engine needs.

429 and 5xx responses, timeouts and connection errors are temporary
(RetriableError: retried later with backoff); other 4xx answers are not
(FatalError: dead-lettered with the reason). Secrets never enter the messages.
"""

from __future__ import annotations

from typing import Any

import httpx

from ledgerbridge.connectors import exact_json
from ledgerbridge.sync.errors import FatalError, MalformedPayload, RetriableError

__all__ = ["get_object", "request"]


def request(client: httpx.Client, method: str, url: str, *, connection: str,
            **kwargs: Any) -> httpx.Response:
    """Send one request; raise RetriableError or FatalError on failure."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise RetriableError(f"{method} {url}: timed out", connection=connection) from None
    except httpx.TransportError as exc:
        raise RetriableError(f"{method} {url}: {type(exc).__name__}",
                             connection=connection) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise RetriableError(f"{method} {url}: HTTP {response.status_code}",
                             connection=connection)
    if response.status_code >= 400:
        raise FatalError(f"{method} {url}: HTTP {response.status_code}: {response.text[:300]}",
                         connection=connection)
    return response


def get_object(client: httpx.Client, path: str, *, connection: str,
               **kwargs: Any) -> dict[str, Any]:
    """GET ``path`` and return its JSON object, numbers exact; MalformedPayload otherwise."""
    response = request(client, "GET", path, connection=connection, **kwargs)
    try:
        body = exact_json.loads(response.content)
    except (UnicodeDecodeError, ValueError):
        raise MalformedPayload(f"GET {path}: the answer is not JSON",
                               connection=connection) from None
    if not isinstance(body, dict):
        raise MalformedPayload(f"GET {path}: the answer is not an object", connection=connection)
    return body
