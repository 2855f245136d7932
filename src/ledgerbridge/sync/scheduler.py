"""Polling: read each connection's streams from their cursors, on their interval.

Pages of records are stored in the inbox together with the stream's new cursor,
in one transaction (a few pages together, up to ``PAGES_UP_TO`` events: fewer
commits), so a crash never loses a page nor skips past one. Cursors
follow dlt's ``incremental``: the last value is kept, reads start a lookback window
behind it to catch records committed late, and the inbox's (object, version) key
drops what was already read. Polling and webhooks can feed the same connection:
the same object version arriving both ways is stored once.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.store.bulk import insert_ignoring_conflicts
from ledgerbridge.store.tables import stream_state
from ledgerbridge.sync.connections import ConnectionRecord, list_connections
from ledgerbridge.sync.errors import SyncError
from ledgerbridge.sync.inbox import Channel, store_many

__all__ = ["PollResult", "poll_connection", "poll_due"]

PAGES_UP_TO = 1_000
"""Events read before they are stored: pages are written together, up to about this many."""


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of one stream did."""

    connection: str
    stream: str
    read: int
    stored: int
    cursor: Any
    error: str | None = None


def _state(conn: Connection, connection_id: int, stream: str) -> Any:
    insert_ignoring_conflicts(conn, stream_state, {"connection_id": connection_id,
                                                   "stream": stream})
    text = conn.execute(select(stream_state.c.cursor).where(
        stream_state.c.connection_id == connection_id, stream_state.c.stream == stream)
    ).scalar()
    return None if text is None else json.loads(text)


def _save(conn: Connection, connection_id: int, stream: str, **values: Any) -> None:
    conn.execute(update(stream_state).where(
        stream_state.c.connection_id == connection_id, stream_state.c.stream == stream,
    ).values(**values))


@contextmanager
def _exclusive(conn: Connection, connection_id: int, stream: str) -> Iterator[bool]:
    """On PostgreSQL, one poller per stream at a time across all machines."""
    if conn.dialect.name != "postgresql":
        yield True
        return
    key = (connection_id << 32) | zlib.crc32(stream.encode())
    got = conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (key,)).scalar()
    conn.commit()
    try:
        yield bool(got)
    finally:
        if got:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (key,))
            conn.commit()


def poll_connection(
    engine: Engine,
    record: ConnectionRecord,
    *,
    streams: list[str] | None = None,
    since: dt.datetime | None = None,
) -> list[PollResult]:
    """Read the connection's streams from their cursors (or from ``since``, a backfill)."""
    connector = record.connector()
    results = []
    for stream in connector.streams:
        if streams and stream.name not in streams:
            continue
        with engine.connect() as conn, _exclusive(conn, record.id, stream.name) as mine:
            if not mine:
                continue
            results.append(_poll_stream(conn, record, connector, stream, since))
    return results


def _poll_stream(conn, record, connector, stream, since) -> PollResult:  # noqa: ANN001
    with conn.begin():
        cursor = _state(conn, record.id, stream.name)
    start = since.isoformat() if since is not None else cursor
    read = stored = 0
    now = dt.datetime.now(dt.UTC)
    held: list[RawEvent] = []
    reached = cursor  # the cursor after the pages held

    def write(new_cursor: Any) -> None:
        nonlocal stored, cursor
        with conn.begin():
            stored += store_many(conn, record.id, Channel.POLL, held)
            cursor = new_cursor
            _save(conn, record.id, stream.name, cursor=json.dumps(cursor), last_sync_at=now)
        held.clear()

    try:
        for page in connector.read(stream, start):
            held += page.events
            read += len(page.events)
            reached = page.cursor
            if len(held) >= PAGES_UP_TO or not page.more:
                write(reached)
        if held:
            write(reached)
    except SyncError as exc:
        if held:  # the pages read before the failure are kept, as they would have been
            write(reached)
        with conn.begin():
            _save(conn, record.id, stream.name, last_sync_at=now, last_error=str(exc))
        return PollResult(record.name, stream.name, read, stored, cursor, str(exc))
    with conn.begin():
        _save(conn, record.id, stream.name, last_sync_at=now, last_success_at=now,
              last_error=None)
    return PollResult(record.name, stream.name, read, stored, cursor)


def poll_due(engine: Engine, *, now: dt.datetime | None = None) -> list[PollResult]:
    """Poll every enabled connection whose interval has passed since its last sync."""
    now = now or dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        records = [r for r in list_connections(conn) if r.enabled and r.poll_interval]
        last: dict[int, dt.datetime] = {}
        query = select(stream_state.c.connection_id, stream_state.c.last_sync_at)
        for cid, at in conn.execute(query):
            if at is not None:
                at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # SQLite: naive UTC
                last[cid] = min(at, last.get(cid, at))
    results = []
    for record in records:
        previous = last.get(record.id)
        if previous is None or previous + dt.timedelta(seconds=record.poll_interval) <= now:
            results.extend(poll_connection(engine, record))
    return results
