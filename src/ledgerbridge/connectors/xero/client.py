"""One Xero tenant's Accounting API for one connection.

Every call carries the connection's OAuth access token (refreshed and rotated by
``connectors.oauth``; a 401 refreshes once and repeats the call) and the tenant's
``xero-tenant-id``. Answers are sorted the way the engine needs: 429 is
:class:`RateLimited` (retriable, with Xero's ``Retry-After`` and which limit was
hit), 5xx and transport failures are retriable, a validation refusal is fatal with
Xero's messages. Numbers are read as ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ledgerbridge.connectors.oauth import OAuthSession
from ledgerbridge.connectors.xero.wire import API, PAGE_SIZE, dumps, loads
from ledgerbridge.sync.errors import FatalError, RetriableError

__all__ = ["RateLimited", "XeroClient", "refusal"]


class RateLimited(RetriableError):
    """Xero answered 429: retry after ``retry_after`` seconds (``problem``: minute or day)."""

    def __init__(self, reason: str, *, retry_after: float, problem: str,
                 **where: str | None) -> None:
        super().__init__(reason, **where)
        self.retry_after = retry_after
        self.problem = problem


def refusal(body: Any) -> str:
    """Xero's reasons in an error body: validation messages, else its message."""
    if not isinstance(body, dict):
        return ""
    messages = [error.get("Message", "") for element in body.get("Elements") or ()
                for error in element.get("ValidationErrors") or ()]
    return "; ".join(m for m in messages if m) or str(
        body.get("Message") or body.get("Detail") or body.get("error") or "")


class XeroClient:
    """Authenticated calls to one tenant (chosen lazily when not configured)."""

    def __init__(self, base_url: str, *, session: OAuthSession, http: httpx.Client,
                 tenant: Callable[[XeroClient], str], connection: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.connection = connection
        self._http = http
        self._tenant_of = tenant
        self._tenant: str | None = None

    @property
    def tenant_id(self) -> str:
        """The tenant every API call is for."""
        if self._tenant is None:
            self._tenant = self._tenant_of(self)
        return self._tenant

    def connections(self) -> list[dict[str, Any]]:
        """The tenants this connection's consent reaches (``GET /connections``)."""
        return self.call("GET", "/connections", tenant=False)

    def list(self, collection: str, *, where: str | None = None, order: str | None = None,
             page: int | None = None, since: dt.datetime | None = None,
             stream: str | None = None, record: str | None = None) -> list[dict[str, Any]]:
        """One list call's records."""
        params: dict[str, str] = {}
        if where:
            params["where"] = where
        if order:
            params["order"] = order
        if page is not None:
            params["page"] = str(page)
        headers = {"if-modified-since": since.isoformat(timespec="milliseconds")
                   .replace("+00:00", "")} if since else {}
        body = self.call("GET", f"{API}/{collection}", params=params, headers=headers,
                         stream=stream, record=record)
        return body.get(collection) or []

    def pages(self, collection: str, *, since: dt.datetime | None, stream: str | None = None
              ) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """Each page of records changed after ``since``, oldest change first; "more" flag."""
        page = 1
        while True:
            rows = self.list(collection, order="UpdatedDateUTC ASC", page=page, since=since,
                             stream=stream)
            more = len(rows) >= PAGE_SIZE
            yield rows, more
            if not more:
                return
            page += 1

    def get(self, collection: str, record_id: str) -> dict[str, Any] | None:
        """One record by id (None when Xero has none)."""
        try:
            rows = self.call("GET", f"{API}/{collection}/{record_id}", record=record_id)
        except _NotFound:
            return None
        return (rows.get(collection) or [None])[0]

    def create(self, collection: str, element: dict[str, Any], *, idempotency_key: str,
               record: str | None = None) -> dict[str, Any]:
        """PUT one new record with an ``Idempotency-Key``; the record as Xero stored it."""
        body = self.call("PUT", f"{API}/{collection}", content=dumps({collection: [element]}),
                         headers={"idempotency-key": idempotency_key,
                                  "content-type": "application/json"}, record=record)
        return body[collection][0]

    def update(self, collection: str, record_id: str, element: dict[str, Any], *,
               record: str | None = None) -> dict[str, Any]:
        """POST a change to one record; the record as Xero stored it."""
        body = self.call("POST", f"{API}/{collection}/{record_id}",
                         content=dumps({collection: [element]}),
                         headers={"content-type": "application/json"}, record=record)
        return body[collection][0]

    def call(self, method: str, path: str, *, tenant: bool = True, stream: str | None = None,
             record: str | None = None, headers: dict[str, str] | None = None,
             **kwargs: Any) -> Any:
        """Send one call (refreshing the token once on 401); the parsed JSON answer."""
        where = {"connection": self.connection, "stream": stream, "record": record}
        extra = {**(headers or {}), **({"xero-tenant-id": self.tenant_id} if tenant else {})}
        token = self.session.access_token()
        response = self._send(method, path, token, extra, where, **kwargs)
        if response.status_code == 401:
            response = self._send(method, path, self.session.refresh(token), extra, where,
                                  **kwargs)
        return self._answer(method, path, response, where)

    def _send(self, method: str, path: str, token: str, headers: dict[str, str],
              where: dict[str, str | None], **kwargs: Any) -> httpx.Response:
        headers = {**headers, "authorization": f"Bearer {token}", "accept": "application/json"}
        try:
            return self._http.request(method, self.base_url + path, headers=headers, **kwargs)
        except httpx.TimeoutException:
            raise RetriableError(f"{method} {path}: timed out", **where) from None
        except httpx.TransportError as exc:
            raise RetriableError(f"{method} {path}: {type(exc).__name__}", **where) from None

    def _answer(self, method: str, path: str, response: httpx.Response,
                where: dict[str, str | None]) -> Any:
        code = response.status_code
        try:
            body = loads(response.content) if response.content else None
        except ValueError:
            body = None
        if code < 400:
            if body is None:
                raise RetriableError(f"{method} {path}: the answer is not JSON", **where)
            return body
        message = f"{method} {path}: HTTP {code}"
        reason = refusal(body)
        message += f": {reason}" if reason else ""
        if code == 429:
            problem = response.headers.get("x-rate-limit-problem", "minute")
            try:
                wait = float(response.headers.get("retry-after", "60"))
            except ValueError:
                wait = 60.0
            raise RateLimited(f"{message} (the {problem} limit; retry after {wait:g} s)",
                              retry_after=wait, problem=problem, **where)
        if code >= 500:
            raise RetriableError(message, **where)
        if code == 404:
            raise _NotFound(message, **where)
        raise FatalError(message, **where)


class _NotFound(FatalError):
    """Xero has no such record."""
