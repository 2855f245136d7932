"""PayPal's REST API for one connection: OAuth2 client credentials and the calls we make.

The access token is fetched with the client id and secret, kept until shortly
before it expires, and fetched again when PayPal answers 401 (a token revoked or
expired early). Failures go through ``connectors.http.request``: 429 and 5xx are
retried later, other 4xx are fatal.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Generator, Mapping
from typing import Any

import httpx

from ledgerbridge.connectors.http import request
from ledgerbridge.connectors.paypal.movements import stamp

__all__ = ["ClientCredentials", "PayPalClient"]

TOKEN_MARGIN = 120.0
"""Seconds before its expiry at which a token is no longer used."""


class ClientCredentials(httpx.Auth):
    """Bearer authentication with a cached client-credentials token, renewed on 401."""

    requires_response_body = True

    def __init__(self, token_url: str, client_id: str, secret: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token_url = token_url
        self._basic = httpx.BasicAuth(client_id, secret)
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send ``request`` with a valid token; on 401, renew the token and send it once more."""
        for attempt in range(2):
            if self._token is None or self._clock() >= self._expires or attempt:
                response = yield self._token_request()
                if response.status_code != 200:
                    return  # the token answer is the outcome (invalid_client: fatal)
                self._store(response)
            request.headers["Authorization"] = f"Bearer {self._token}"
            response = yield request
            if response.status_code != 401:
                return

    def _token_request(self) -> httpx.Request:
        token_request = httpx.Request(
            "POST", self.token_url, data={"grant_type": "client_credentials"},
            headers={"accept": "application/json"})
        return next(self._basic.auth_flow(token_request))

    def _store(self, response: httpx.Response) -> None:
        body = response.json()
        self._token = body["access_token"]
        self._expires = self._clock() + float(body.get("expires_in", 0)) - TOKEN_MARGIN


class PayPalClient:
    """The PayPal calls one connection makes, with its own token."""

    def __init__(self, base_url: str, client_id: str, secret: str, *, connection: str,
                 timeout: float = 30.0) -> None:
        base = base_url.rstrip("/")
        self.connection = connection
        self._http = httpx.Client(
            base_url=base, timeout=timeout,
            auth=ClientCredentials(f"{base}/v1/oauth2/token", client_id, secret))

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        return request(self._http, "GET", path, connection=self.connection,
                       params=params or None).json()

    def search(self, start: dt.datetime, end: dt.datetime, page: int,
               page_size: int) -> dict[str, Any]:
        """One page of Transaction Search between ``start`` and ``end`` (<= 31 days)."""
        return self._get("/v1/reporting/transactions", start_date=stamp(start),
                         end_date=stamp(end), fields="all", page=page, page_size=page_size)

    def capture(self, capture_id: str) -> dict[str, Any]:
        """A captured payment (Payments v2)."""
        return self._get(f"/v2/payments/captures/{capture_id}")

    def refund(self, refund_id: str) -> dict[str, Any]:
        """A refund (Payments v2)."""
        return self._get(f"/v2/payments/refunds/{refund_id}")

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, webhook_id: str) -> str:
        """PayPal's verdict on a webhook: ``SUCCESS`` or ``FAILURE``.

        The event is passed as the raw bytes received, not re-serialized, because
        the signature covers a checksum of exactly those bytes.
        """
        fields = {
            "auth_algo": headers.get("paypal-auth-algo", ""),
            "cert_url": headers.get("paypal-cert-url", ""),
            "transmission_id": headers.get("paypal-transmission-id", ""),
            "transmission_sig": headers.get("paypal-transmission-sig", ""),
            "transmission_time": headers.get("paypal-transmission-time", ""),
            "webhook_id": webhook_id,
        }
        content = json.dumps(fields)[:-1].encode() + b', "webhook_event": ' + body + b"}"
        response = request(self._http, "POST", "/v1/notifications/verify-webhook-signature",
                           connection=self.connection, content=content,
                           headers={"content-type": "application/json"})
        return str(response.json().get("verification_status"))
