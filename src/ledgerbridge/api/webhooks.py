"""``POST /webhooks/{connection}``: verify, store raw, acknowledge fast.

Processing is asynchronous: a worker posts the stored events. A request is answered
2xx only after its raw bytes are committed, so an acknowledged event is never lost.

Verification and splitting are a few microseconds of CPU and run on the event loop.
Storing goes through a group commit: one writer thread per application takes every
request waiting to be stored, inserts them all in one transaction, commits once and
only then releases their answers. Under load this turns hundreds of small
transactions (and, on SQLite, hundreds of threads fighting for the one write lock)
into a few larger ones; a lone request is written at once, with no added delay.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from dataclasses import dataclass, field
from functools import partial

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
_MAX_GROUP = 500  # requests committed together at most
_WRITER_IDLE_SECONDS = 5.0  # the writer thread ends after this long without work
_INLINE_BYTES = 64 * 1024  # bodies up to this size are verified on the event loop


class _Connections:
    """Connections and their connector objects, cached briefly per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[str, tuple[float, ConnectionRecord, Connector]] = {}

    def cached(self, name: str) -> tuple[ConnectionRecord, Connector] | None:
        """The fresh cached entry, or None (then ``get`` reads the database)."""
        hit = self._cache.get(name)
        if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
            return hit[1], hit[2]
        return None

    def get(self, name: str) -> tuple[ConnectionRecord, Connector]:
        hit = self.cached(name)
        if hit is not None:
            return hit
        with self.engine.connect() as conn:
            record = get_connection(conn, name)
        stale = self._cache.get(name)
        # Building a connector looks up the installed connectors: reuse it while the
        # connection is unchanged, so refreshing the cache costs one query.
        connector = stale[2] if stale is not None and stale[1] == record else record.connector()
        self._cache[name] = (time.monotonic(), record, connector)
        return record, connector


@dataclass(slots=True)
class _Job:
    """One request's events waiting to be stored, and where to deliver the outcome."""

    connection_id: int
    events: list[RawEvent]
    headers: dict[str, str]
    status: EventStatus
    error: str | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future = field(repr=False)


class _GroupWriter:
    """Stores queued requests in shared transactions; each answer waits for its commit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    async def store(self, record: ConnectionRecord, events: list[RawEvent],
                    headers: dict[str, str], status: EventStatus, error: str | None
                    ) -> list[Stored]:
        """Queue the events and wait until they are committed (or the write failed)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            self._queue.put(_Job(record.id, events, headers, status, error, loop, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-writer",
                                                daemon=True)
                self._thread.start()
        return await future

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=_WRITER_IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            group = [first]
            while len(group) < _MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(group)

    def _write(self, group: list[_Job]) -> None:
        try:
            with self.engine.begin() as conn:
                outcomes = [_store_job(conn, job) for job in group]
        except Exception as exc:  # delivered to the waiting requests
            if len(group) == 1:
                _deliver(group, [exc])
                return
            # One bad request must not fail the others: write each on its own.
            for job in group:
                self._write([job])
            return
        _deliver(group, outcomes)


def _store_job(conn, job: _Job) -> list[Stored]:  # noqa: ANN001
    return store_events(conn, job.connection_id, Channel.WEBHOOK, job.events,
                        headers=job.headers, status=job.status, error=job.error)


def _deliver(group: list[_Job], outcomes: list) -> None:
    """Hand each outcome to its request's event loop (one wake-up per loop)."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for job, outcome in zip(group, outcomes, strict=True):
        by_loop.setdefault(job.loop, []).append((job.future, outcome))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, pairs)
        except RuntimeError:  # that loop is closed: nobody is waiting any more
            pass


def _resolve(pairs: list) -> None:
    for future, outcome in pairs:
        if future.done():  # the request was cancelled (client went away)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _verify_and_split(connector: Connector, incoming: WebhookRequest) -> list[RawEvent]:
    connector.verify(incoming)
    return connector.split(incoming)


def webhook_router(engine: Engine) -> APIRouter:
    """The webhook gateway routes, bound to one database."""
    router = APIRouter(tags=["webhooks"])
    cache = _Connections(engine)
    writer = _GroupWriter(engine)

    @router.post("/webhooks/{connection}", status_code=202)
    async def receive(connection: str, request: Request) -> JSONResponse:
        """Verify a webhook with the connection's scheme, store it raw, acknowledge it."""
        incoming = WebhookRequest(
            method=request.method,
            url=str(request.url),
            headers=dict(request.headers.items()),  # ASGI header names are lower case
            body=await request.body(),
        )
        status, content = await _accept(cache, writer, connection, incoming)
        return JSONResponse(content, status_code=status)

    return router


async def _accept(
    cache: _Connections, writer: _GroupWriter, connection: str, incoming: WebhookRequest
) -> tuple[int, dict]:
    try:
        found = cache.cached(connection) or await run_in_threadpool(cache.get, connection)
    except LedgerError:
        return 404, {"error": f"no connection {connection!r}"}
    record, connector = found
    if not record.enabled:
        return 410, {"error": f"connection {connection!r} is disabled"}
    check = partial(_verify_and_split, connector, incoming)
    try:
        # Small bodies take microseconds: a thread hop would cost more than the work.
        inline = len(incoming.body) <= _INLINE_BYTES and not connector.verifies_remotely
        events = check() if inline else await run_in_threadpool(check)
    except SignatureError as exc:
        return 401, {"error": str(exc)}
    except MalformedPayload as exc:
        # Signed but unreadable: keep the raw bytes in the dead-letter queue for replay.
        await writer.store(record, [RawEvent(incoming.body)], incoming.headers,
                           EventStatus.DEAD, str(exc))
        return exc.status_code, {"error": str(exc)}
    except SyncError as exc:
        return exc.status_code, {"error": str(exc)}
    stored = await writer.store(record, events, incoming.headers, EventStatus.RECEIVED, None)
    duplicates = sum(s.duplicate for s in stored)
    content = {"accepted": len(stored) - duplicates, "duplicates": duplicates,
               "ids": [s.id for s in stored if s.id is not None]}
    return (202 if duplicates < len(stored) else 200), content
