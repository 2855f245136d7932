"""One QuickBooks company's v3 API: queries, change data capture, reads and saves.

Answers are sorted the way the engine needs: 401 refreshes the OAuth token and
repeats the call once; 429, 5xx, timeouts and a throttling fault are retriable; a
stale SyncToken (fault 5010) is :class:`StaleObject` so the caller can re-read;
other faults are fatal, with Intuit's code and message. Amounts stay exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import httpx

from ledgerbridge.connectors.http import request
from ledgerbridge.connectors.oauth import OAuthSession
from ledgerbridge.connectors.quickbooks.wire import Fault, dumps, fault_of, loads
from ledgerbridge.sync.errors import FatalError, RetriableError

__all__ = ["QuickBooksClient", "StaleObject"]

_THROTTLED = {"3001", "003001"}


class StaleObject(Exception):
    """A save refused because the object changed since it was read (fault 5010)."""


class _Refused(Exception):
    def __init__(self, status: int, fault: Fault | None, text: str) -> None:
        super().__init__(str(fault) if fault else text)
        self.status = status
        self.fault = fault


def _refusal(response: httpx.Response) -> None:
    """Response hook: a 4xx answer (other than 429) becomes ``_Refused``."""
    if not 400 <= response.status_code < 500 or response.status_code == 429:
        return
    response.read()
    try:
        fault = fault_of(loads(response.content))
    except ValueError:
        fault = None
    raise _Refused(response.status_code, fault, response.text[:300])


class QuickBooksClient:
    """The API of one company (realm) for one connection."""

    def __init__(self, *, base_url: str, realm_id: str, minor_version: int,
                 session: OAuthSession, http: httpx.Client, connection: str) -> None:
        self.base = f"{base_url.rstrip('/')}/v3/company/{realm_id}"
        self.minor_version = minor_version
        self.session = session
        self.connection = connection
        http.event_hooks["response"] = [_refusal]
        self._http = http

    def query(self, text: str, *, stream: str | None = None) -> list[dict[str, Any]]:
        """The records one query statement selects (one page of them)."""
        body = self._call("GET", "/query", params={"query": text}, stream=stream)
        answer = body.get("QueryResponse") or {}
        return next((v for v in answer.values() if isinstance(v, list)), [])

    def changed(self, entities: list[str], since: dt.datetime) -> dict[str, list[dict]]:
        """Change data capture: each entity's objects changed after ``since``."""
        body = self._call("GET", "/cdc", params={"entities": ",".join(entities),
                                                 "changedSince": since.isoformat()})
        changed: dict[str, list[dict]] = {name: [] for name in entities}
        for cdc in body.get("CDCResponse") or ():
            for answer in cdc.get("QueryResponse") or ():
                for name, records in answer.items():
                    if isinstance(records, list):
                        changed.setdefault(name, []).extend(records)
        return changed

    def get(self, entity: str, entity_id: str) -> dict[str, Any]:
        """One object by Id."""
        body = self._call("GET", f"/{entity.lower()}/{entity_id}", record=entity_id)
        return body[entity]

    def save(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        """Create (no Id) or update an object; ``request_id`` makes a repeat harmless."""
        answer = self._call("POST", f"/{entity.lower()}", params={"requestid": request_id},
                            content=dumps(dict(body)), record=body.get("Id"),
                            headers={"content-type": "application/json"})
        return answer[entity]

    def delete(self, entity: str, current: Mapping[str, Any], *, request_id: str) -> None:
        """Delete a transaction as read (its Id and SyncToken)."""
        self._call("POST", f"/{entity.lower()}",
                   params={"operation": "delete", "requestid": request_id},
                   content=dumps({"Id": current["Id"], "SyncToken": current["SyncToken"]}),
                   record=str(current["Id"]), headers={"content-type": "application/json"})

    def _call(self, method: str, path: str, *, params: dict[str, str] | None = None,
              stream: str | None = None, record: str | None = None, **kwargs: Any) -> Any:
        where = {"connection": self.connection, "stream": stream, "record": record}
        params = {**(params or {}), "minorversion": str(self.minor_version)}
        token = self.session.access_token()
        try:
            try:
                response = self._send(method, path, token, params, **kwargs)
            except _Refused as exc:
                if exc.status != 401:
                    raise
                response = self._send(method, path, self.session.refresh(token), params,
                                      **kwargs)
        except _Refused as exc:
            code = exc.fault.code if exc.fault else ""
            if code == "5010":
                raise StaleObject(str(exc)) from None
            error = RetriableError if code in _THROTTLED else FatalError
            raise error(f"{method} {path}: HTTP {exc.status} {exc}", **where) from None
        try:
            return loads(response.content)
        except ValueError:
            raise RetriableError(f"{method} {path}: answer is not JSON", **where) from None

    def _send(self, method: str, path: str, token: str, params: dict[str, str],
              headers: Mapping[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        headers = {**(headers or {}), "authorization": f"Bearer {token}",
                   "accept": "application/json"}
        return request(self._http, method, self.base + path, connection=self.connection,
                       params=params, headers=headers, **kwargs)
