"""Ramp's developer API for one connection: client-credentials tokens and the lists we read.

Tokens come from ``POST /developer/v1/token`` (HTTP basic auth with the client id and
secret, ``grant_type=client_credentials`` and the scopes asked for); lists are walked
by following ``page.next``, the full URL of the next page that Ramp returns (its
``start`` parameter is the cursor). Bodies are read with exact decimals. Failures go
through ``connectors.http.request``: 429 and 5xx are retried later, other 4xx are fatal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ledgerbridge.connectors.http import get_object
from ledgerbridge.connectors.paypal.client import ClientCredentials

__all__ = ["SCOPES", "RampClient", "RampCredentials"]

Obj = dict[str, Any]
SCOPES = "transactions:read reimbursements:read receipts:read"
"""The scopes the connector asks for: it only reads."""


class RampCredentials(ClientCredentials):
    """Client-credentials bearer auth that also asks for Ramp's scopes."""

    def __init__(self, token_url: str, client_id: str, secret: str, scope: str) -> None:
        super().__init__(token_url, client_id, secret)
        self.scope = scope

    def _token_request(self) -> httpx.Request:
        token_request = httpx.Request(
            "POST", self.token_url,
            data={"grant_type": "client_credentials", "scope": self.scope},
            headers={"accept": "application/json"})
        return next(self._basic.auth_flow(token_request))


class RampClient:
    """The Ramp calls one connection makes, with its own token."""

    def __init__(self, base_url: str, client_id: str, secret: str, *, connection: str,
                 scope: str = SCOPES, timeout: float = 30.0) -> None:
        base = base_url.rstrip("/")
        self.connection = connection
        self._http = httpx.Client(
            base_url=base, timeout=timeout,
            auth=RampCredentials(f"{base}/developer/v1/token", client_id, secret, scope))

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Obj:
        """GET ``path`` (or a full URL) and return the JSON object, numbers exact."""
        return get_object(self._http, path, connection=self.connection,
                          params=dict(params) if params else None)

    def pages(self, resource: str, params: Mapping[str, Any]) -> Iterator[Obj]:
        """Each page of ``/developer/v1/<resource>``, following ``page.next``."""
        page = self.get(f"/developer/v1/{resource}", params)
        while True:
            yield page
            following = (page.get("page") or {}).get("next")
            if not following or not page.get("data"):
                return
            page = self.get(str(following))

    def retrieve(self, resource: str, object_id: str) -> Obj:
        """One object, e.g. ``retrieve("transactions", id)``."""
        return self.get(f"/developer/v1/{resource}/{object_id}")
