"""One connection's HubSpot API client: authentication, rate limits and error mapping.

A private-app token is sent as is. With OAuth, an access token is obtained from the
refresh token, renewed shortly before it expires and whenever HubSpot answers 401
``EXPIRED_AUTHENTICATION``; the refresh token HubSpot returns replaces the one held,
so a rotated token is never used again.

HubSpot's answers are sorted the way the engine needs: 429 is waited out in place
a few times (``Retry-After``, a second by default, when at most ``max_wait``), then
becomes a RetriableError, as do 5xx answers, timeouts and connection errors; other
4xx answers are FatalErrors carrying HubSpot's message, category and correlation id.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import httpx

from ledgerbridge.sync.errors import FatalError, RetriableError

__all__ = ["BATCH_SIZE", "HubSpotClient", "OAuthCredentials"]

BATCH_SIZE = 100
"""The most ids HubSpot's batch endpoints take at once."""
_REFRESH_MARGIN = dt.timedelta(minutes=1)


class OAuthCredentials:
    """An OAuth app's credentials and the tokens issued to it, kept current.

    Every connector object of one connection in a process shares one instance
    (:meth:`shared`): the poller, the worker and the outbox each build their own
    connector, and a refresh token rotated by one must not be sent again by another.
    """

    _shared: ClassVar[dict[tuple[str, str, str], OAuthCredentials]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, client_id: str, client_secret: str, refresh_token: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.access_token: str | None = None
        self.expires_at = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.lock = threading.Lock()

    @classmethod
    def shared(cls, connection: str, client_id: str, client_secret: str,
               refresh_token: str) -> OAuthCredentials:
        """The credentials of ``connection`` as configured with ``refresh_token``."""
        key = (connection, client_id, refresh_token)
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(client_id, client_secret, refresh_token)
            return cls._shared[key]

    def __repr__(self) -> str:
        return f"OAuthCredentials(client_id={self.client_id!r})"


class HubSpotClient:
    """HubSpot's CRM API for one connection."""

    def __init__(self, base_url: str, *, connection: str, access_token: str | None = None,
                 oauth: OAuthCredentials | None = None, timeout: float = 30.0,
                 rate_limit_retries: int = 2, max_wait: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if access_token is None and oauth is None:
            raise FatalError("HubSpot needs an access_token or OAuth credentials",
                             connection=connection)
        self.base_url = base_url.rstrip("/")
        self.connection = connection
        self.oauth = oauth
        self._token = access_token
        self._http = httpx.Client(timeout=timeout)
        self._retries = rate_limit_retries
        self._max_wait = max_wait
        self._sleep = sleep

    # -- authentication -------------------------------------------------------------

    def _bearer(self) -> str:
        oauth = self.oauth
        if oauth is None:
            return f"Bearer {self._token}"
        if oauth.access_token is None or \
                dt.datetime.now(dt.UTC) >= oauth.expires_at - _REFRESH_MARGIN:
            self.refresh(oauth.access_token)
        return f"Bearer {oauth.access_token}"

    def refresh(self, stale: str | None) -> None:
        """Replace the access token ``stale`` (keeping a rotated refresh token).

        If another thread already replaced it, its new token is used as it is.
        """
        oauth = self.oauth
        if oauth is None:
            raise FatalError("the access token was refused and there is no OAuth refresh "
                             "token to renew it", connection=self.connection)
        with oauth.lock:
            if oauth.access_token != stale:
                return
            form = {"grant_type": "refresh_token", "client_id": oauth.client_id,
                    "client_secret": oauth.client_secret,
                    "refresh_token": oauth.refresh_token}
            body = self._answer(self._send("POST", "/oauth/v1/token", data=form),
                                "POST /oauth/v1/token")
            oauth.access_token = body["access_token"]
            oauth.refresh_token = body.get("refresh_token") or oauth.refresh_token
            oauth.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(
                seconds=int(body.get("expires_in", 1800)))

    # -- requests -------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.base_url + path
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise RetriableError(f"{method} {path}: timed out",
                                 connection=self.connection) from None
        except httpx.TransportError as exc:
            raise RetriableError(f"{method} {path}: {type(exc).__name__}",
                                 connection=self.connection) from None

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one authenticated API request; returns the JSON answer."""
        refreshed = False
        waits = 0
        while True:
            bearer = self._bearer()
            response = self._send(method, path, headers={"authorization": bearer}, **kwargs)
            if response.status_code == 401 and not refreshed and self.oauth is not None \
                    and _category(response) == "EXPIRED_AUTHENTICATION":
                self.refresh(bearer.removeprefix("Bearer "))
                refreshed = True
                continue
            if response.status_code == 429 and waits < self._retries:
                wait = _retry_after(response)
                if wait is not None and wait <= self._max_wait:
                    self._sleep(wait)
                    waits += 1
                    continue
            return self._answer(response, f"{method} {path}")

    def _answer(self, response: httpx.Response, what: str) -> Any:
        code = response.status_code
        if code < 400:
            return response.json() if response.content else None
        message = f"{what}: HTTP {code}: {_message(response)}"
        if code == 429 or code >= 500:
            raise RetriableError(message, connection=self.connection)
        raise FatalError(message, connection=self.connection)

    # -- CRM ------------------------------------------------------------------------

    def get_object(self, object_type: str, object_id: str, properties: Iterable[str],
                   associations: Iterable[str] = ()) -> dict[str, Any]:
        """One record with the given properties and its v3 associations."""
        params: dict[str, str] = {"properties": ",".join(properties)}
        if associations:
            params["associations"] = ",".join(associations)
        return self.call("GET", f"/crm/v3/objects/{object_type}/{object_id}", params=params)

    def batch_read(self, object_type: str, ids: Iterable[str],
                   properties: Iterable[str]) -> list[dict[str, Any]]:
        """Records by id, in batches of 100; ids HubSpot no longer has are left out."""
        wanted = list(dict.fromkeys(ids))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), BATCH_SIZE):
            body = {"properties": list(properties),
                    "inputs": [{"id": i} for i in wanted[start:start + BATCH_SIZE]]}
            answer = self.call("POST", f"/crm/v3/objects/{object_type}/batch/read", json=body)
            found.extend(answer.get("results", []))
        return found

    def associated(self, from_type: str, to_type: str,
                   ids: Iterable[str]) -> dict[str, list[str]]:
        """For each record id, the ids of its ``to_type`` records (v4 batch read).

        A record labelled "Primary" (a deal's primary company) comes first.
        """
        wanted = list(dict.fromkeys(ids))
        links: dict[str, list[str]] = {i: [] for i in wanted}
        for start in range(0, len(wanted), BATCH_SIZE):
            body = {"inputs": [{"id": i} for i in wanted[start:start + BATCH_SIZE]]}
            answer = self.call("POST", f"/crm/v4/associations/{from_type}/{to_type}/batch/read",
                               json=body)
            for row in answer.get("results", []):
                ordered = sorted(row["to"], key=lambda t: not _primary(t))
                links[str(row["from"]["id"])] = [str(t["toObjectId"]) for t in ordered]
        return links

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """One page of a CRM search."""
        return self.call("POST", f"/crm/v3/objects/{object_type}/search", json=body)

    def update(self, object_type: str, object_id: str,
               properties: dict[str, str]) -> dict[str, Any]:
        """Set properties of one record."""
        return self.call("PATCH", f"/crm/v3/objects/{object_type}/{object_id}",
                         json={"properties": properties})

    def pipelines(self, object_type: str) -> list[dict[str, Any]]:
        """The pipelines of an object type, with their stages."""
        return self.call("GET", f"/crm/v3/pipelines/{object_type}")["results"]


def _primary(link: dict[str, Any]) -> bool:
    return any(t.get("label") == "Primary" for t in link.get("associationTypes", []))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _category(response: httpx.Response) -> str | None:
    return _json(response).get("category")


def _message(response: httpx.Response) -> str:
    body = _json(response)
    if not body:
        return response.text[:300]
    parts = [str(body.get("message") or body.get("status") or "")]
    parts += [f"{key} {body[key]}" for key in ("category", "correlationId") if body.get(key)]
    return "; ".join(p for p in parts if p)[:500]


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait on a 429; None for the daily limit, which waiting cannot fix.

    Retry-After when HubSpot sends it, else one second: its other limits are per
    second or per ten seconds.
    """
    if _json(response).get("policyName") == "DAILY":
        return None
    try:
        return max(float(response.headers.get("retry-after", "1")), 0.0)
    except ValueError:
        return 1.0
