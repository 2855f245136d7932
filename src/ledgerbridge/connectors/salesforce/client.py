"""One org's REST API: OAuth tokens, SOQL queries in batches, sObject updates.

Salesforce answers errors as ``[{"message", "errorCode"}]`` (the token endpoint as
``{"error", "error_description"}``); they become the engine's errors here, with
Salesforce's code and message. An expired session (401 INVALID_SESSION_ID) fetches
a new token and repeats the call once; REQUEST_LIMIT_EXCEEDED (403) is retriable
like 429 and 5xx; other 4xx are fatal. Bodies are read with exact decimals.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ledgerbridge.connectors.exact_json import dumps, loads
from ledgerbridge.connectors.http import request
from ledgerbridge.connectors.salesforce.settings import SalesforceSettings
from ledgerbridge.sync.errors import FatalError, RetriableError

__all__ = ["Batch", "SalesforceClient"]

Batch = tuple[list[dict[str, Any]], bool]
"""The records of one query batch, and whether more batches follow."""

_RETRIABLE_CODES = {"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"}


class _Refused(Exception):
    """A 4xx answer from Salesforce, with its errorCode and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code


def _refusal(response: httpx.Response) -> None:
    """Response hook: turn a 4xx answer (other than 429) into ``_Refused``."""
    if not 400 <= response.status_code < 500 or response.status_code == 429:
        return
    response.read()
    try:
        body = loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        code, message = body[0].get("errorCode"), body[0].get("message")
    elif isinstance(body, dict):
        code, message = body.get("error"), body.get("error_description")
    else:
        code, message = None, response.text[:300]
    raise _Refused(response.status_code, str(code or f"HTTP_{response.status_code}"),
                   str(message or ""))


class SalesforceClient:
    """The REST API of one org, for one connection (never shared between connections)."""

    def __init__(self, settings: SalesforceSettings, connection: str) -> None:
        self.settings = settings
        self.connection = connection
        self._http = httpx.Client(timeout=settings.timeout_seconds,
                                  event_hooks={"response": [_refusal]})
        self._session: str | None = None
        self._instance_url = ""

    def query(self, soql: str, *, stream: str | None = None) -> Iterator[Batch]:
        """Run ``soql``, yielding each batch as it arrives (following nextRecordsUrl)."""
        path = f"/services/data/v{self.settings.api_version}/query"
        params: dict[str, str] | None = {"q": soql}
        headers = {"sforce-query-options": f"batchSize={self.settings.batch_size}"}
        while True:
            body = self._call("GET", path, stream=stream, params=params, headers=headers)
            more = not body.get("done", True) and bool(body.get("nextRecordsUrl"))
            yield list(body.get("records", ())), more
            if not more:
                return
            path, params = body["nextRecordsUrl"], None

    def query_all(self, soql: str, *, stream: str | None = None) -> list[dict[str, Any]]:
        """Every record ``soql`` selects, over all batches."""
        return [record for records, _ in self.query(soql, stream=stream) for record in records]

    def update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        """PATCH fields of one record (Salesforce answers 204)."""
        path = f"/services/data/v{self.settings.api_version}/sobjects/{sobject}/{record_id}"
        self._call("PATCH", path, record=record_id, content=dumps(dict(fields)),
                   headers={"content-type": "application/json"})

    def _call(self, method: str, path: str, *, stream: str | None = None,
              record: str | None = None, **kwargs: Any) -> Any:
        what = f"{method} {path}"
        where = {"connection": self.connection, "stream": stream, "record": record}
        try:
            response = self._send(method, path, **kwargs)
        except _Refused as exc:
            if exc.code != "INVALID_SESSION_ID":
                raise _engine_error(exc, what, where) from None
            self._session = None  # expired: one new token, one more try
            try:
                response = self._send(method, path, **kwargs)
            except _Refused as again:
                raise _engine_error(again, what, where) from None
        return loads(response.content) if response.content else None

    def _send(self, method: str, path: str, *, headers: Mapping[str, str] | None = None,
              **kwargs: Any) -> httpx.Response:
        if self._session is None:
            self._authenticate()
        headers = {**(headers or {}), "authorization": f"Bearer {self._session}"}
        return request(self._http, method, self._instance_url + path,
                       connection=self.connection, headers=headers, **kwargs)

    def _authenticate(self) -> None:
        settings = self.settings
        form = {"client_id": settings.client_id,
                "client_secret": settings.client_secret.get_secret_value()}
        if settings.refresh_token is not None:
            form.update(grant_type="refresh_token",
                        refresh_token=settings.refresh_token.get_secret_value())
        else:
            form["grant_type"] = "client_credentials"
        url = str(settings.login_url).rstrip("/") + "/services/oauth2/token"
        try:
            response = request(self._http, "POST", url, connection=self.connection, data=form)
        except _Refused as exc:
            raise _engine_error(exc, "OAuth token", {"connection": self.connection}) from None
        try:
            body = loads(response.content)
            self._session = str(body["access_token"])
            self._instance_url = str(body["instance_url"]).rstrip("/")
        except (ValueError, KeyError, TypeError):
            raise FatalError("OAuth token answer has no access_token and instance_url",
                             connection=self.connection) from None


def _engine_error(exc: _Refused, what: str, where: Mapping[str, str | None]) -> Exception:
    reason = f"{what}: HTTP {exc.status} {exc}"
    if exc.code in _RETRIABLE_CODES:
        return RetriableError(reason, **where)
    return FatalError(reason, **where)
