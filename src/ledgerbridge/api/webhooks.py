"""``POST /webhooks/{connection}``: verify, store raw, acknowledge fast.

Processing is asynchronous: a worker posts the stored events. A request is answered
2xx only after its raw bytes are committed, so an acknowledged event is never lost.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ledgerbridge.connectors.base import Connector, RawEvent, WebhookRequest
from ledgerbridge.ledger import LedgerError
from ledgerbridge.sync.connections import ConnectionRecord, get_connection
from ledgerbridge.sync.errors import MalformedPayload, SignatureError, SyncError
from ledgerbridge.sync.inbox import Channel, EventStatus, Stored, store_events

__all__ = ["webhook_router"]

_CACHE_SECONDS = 30.0


class _Connections:
    """Connections and their connector objects, cached briefly per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[str, tuple[float, ConnectionRecord, Connector]] = {}

    def get(self, name: str) -> tuple[ConnectionRecord, Connector]:
        hit = self._cache.get(name)
        if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
            return hit[1], hit[2]
        with self.engine.connect() as conn:
            record = get_connection(conn, name)
        connector = record.connector()
        self._cache[name] = (time.monotonic(), record, connector)
        return record, connector


def webhook_router(engine: Engine) -> APIRouter:
    """The webhook gateway routes, bound to one database."""
    router = APIRouter(tags=["webhooks"])
    cache = _Connections(engine)

    @router.post("/webhooks/{connection}", status_code=202)
    async def receive(connection: str, request: Request) -> JSONResponse:
        """Verify a webhook with the connection's scheme, store it raw, acknowledge it."""
        incoming = WebhookRequest(
            method=request.method,
            url=str(request.url),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
        )
        status, content = await run_in_threadpool(_accept, engine, cache, connection, incoming)
        return JSONResponse(content, status_code=status)

    return router


def _accept(
    engine: Engine, cache: _Connections, connection: str, incoming: WebhookRequest
) -> tuple[int, dict]:
    try:
        record, connector = cache.get(connection)
    except LedgerError:
        return 404, {"error": f"no connection {connection!r}"}
    if not record.enabled:
        return 410, {"error": f"connection {connection!r} is disabled"}
    try:
        connector.verify(incoming)
    except SignatureError as exc:
        return 401, {"error": str(exc)}
    try:
        events = connector.split(incoming)
    except MalformedPayload as exc:
        # Signed but unreadable: keep the raw bytes in the dead-letter queue for replay.
        _store(engine, record, [RawEvent(incoming.body)], incoming, EventStatus.DEAD, str(exc))
        return exc.status_code, {"error": str(exc)}
    except SyncError as exc:
        return exc.status_code, {"error": str(exc)}
    stored = _store(engine, record, events, incoming, EventStatus.RECEIVED, None)
    duplicates = sum(s.duplicate for s in stored)
    content = {"accepted": len(stored) - duplicates, "duplicates": duplicates,
               "ids": [s.id for s in stored if s.id is not None]}
    return (202 if duplicates < len(stored) else 200), content


def _store(
    engine: Engine,
    record: ConnectionRecord,
    events: list[RawEvent],
    request: WebhookRequest,
    status: EventStatus,
    error: str | None,
) -> list[Stored]:
    with engine.begin() as conn:
        return store_events(conn, record.id, Channel.WEBHOOK, events, headers=request.headers,
                            status=status, error=error)
