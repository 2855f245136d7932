"""Calls to Plaid's API, with Plaid's errors sorted the way the engine needs.

Plaid answers every call with JSON; a failure is ``{error_type, error_code,
error_message, display_message, request_id}`` with an HTTP status. Rate limits,
Plaid's own and institutions' outages are temporary (RetriableError); a bad key,
access token or request is not (FatalError). Numbers are read as ``Decimal``, never
``float``. Credentials go in the request body and never into a message.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from ledgerbridge.sync.errors import FatalError, RetriableError

__all__ = [
    "API_VERSION",
    "MUTATION_DURING_PAGINATION",
    "MutationDuringPagination",
    "PlaidClient",
    "read_json",
]

API_VERSION = "2020-09-14"
MUTATION_DURING_PAGINATION = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
_TEMPORARY_TYPES = frozenset({"RATE_LIMIT_EXCEEDED", "API_ERROR", "INSTITUTION_ERROR"})
_TEMPORARY_CODES = frozenset({"PRODUCT_NOT_READY", "ITEM_LOCKED_TEMPORARILY"})


class MutationDuringPagination(RetriableError):
    """Plaid's data changed between two pages: restart from the first page's cursor."""


def read_json(data: bytes) -> Any:
    """Parse Plaid's JSON with every fractional number as an exact ``Decimal``."""
    return json.loads(data, parse_float=Decimal)


class PlaidClient:
    """One Plaid API client, bound to one connection's credentials."""

    def __init__(self, base_url: str, client_id: str, secret: str, *, connection: str,
                 timeout: float = 30.0) -> None:
        self.connection = connection
        self._credentials = {"client_id": client_id, "secret": secret}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                  headers={"plaid-version": API_VERSION,
                                           "user-agent": "ledgerbridge"})

    def call(self, path: str, body: dict[str, Any], *, stream: str | None = None
             ) -> tuple[bytes, Any]:
        """POST ``body`` (plus the credentials) to ``path``: the raw answer and its JSON."""
        where = {"connection": self.connection, "stream": stream}
        try:
            response = self._http.post(path, json={**self._credentials, **body})
        except httpx.TimeoutException:
            raise RetriableError(f"POST {path}: timed out", **where) from None
        except httpx.TransportError as exc:
            raise RetriableError(f"POST {path}: {type(exc).__name__}", **where) from None
        try:
            data = read_json(response.content)
        except ValueError:
            data = None
        if response.status_code < 400 and isinstance(data, dict):
            return response.content, data
        raise _error(path, response.status_code, data, where)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def _error(path: str, status: int, data: Any, where: dict[str, Any]) -> Exception:
    if not isinstance(data, dict) or "error_code" not in data:
        kind = RetriableError if status == 429 or status >= 500 else FatalError
        reason = "not JSON" if data is None else "no Plaid error in it"
        return kind(f"POST {path}: HTTP {status}, {reason}", **where)
    code, kind_name = str(data.get("error_code")), str(data.get("error_type"))
    text = f"POST {path}: HTTP {status} {kind_name} {code}: {data.get('error_message', '')}"
    if data.get("request_id"):
        text += f" (request {data['request_id']})"
    if code == MUTATION_DURING_PAGINATION:
        return MutationDuringPagination(text, **where)
    if status == 429 or status >= 500 or kind_name in _TEMPORARY_TYPES \
            or code in _TEMPORARY_CODES:
        return RetriableError(text, **where)
    return FatalError(text, **where)
