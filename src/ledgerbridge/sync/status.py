"""Health of each connection: last sync, lag, pending and failed events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, case, func, select

from ledgerbridge.store.tables import connections, inbox, outbox, stream_state
from ledgerbridge.sync.inbox import EventStatus

__all__ = ["ConnectionStatus", "connection_statuses"]

_PENDING = (EventStatus.RECEIVED.value, EventStatus.FAILED.value, EventStatus.WAITING.value)


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """What a finance lead wants to know about one connection at a glance."""

    name: str
    system: str
    enabled: bool
    last_event_at: dt.datetime | None
    last_sync_at: dt.datetime | None
    lag_seconds: float | None
    pending: int
    waiting: int
    dead: int
    posted: int
    outbox_pending: int
    outbox_dead: int


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC


def connection_statuses(conn: Connection) -> list[ConnectionStatus]:
    """One status row per connection, aggregated in the database."""
    def count(*statuses: str):  # noqa: ANN202
        return func.coalesce(func.sum(case((inbox.c.status.in_(statuses), 1), else_=0)), 0)

    events = (
        select(
            inbox.c.connection_id,
            func.max(inbox.c.received_at).label("last_event_at"),
            func.min(case((inbox.c.status.in_(_PENDING), inbox.c.received_at))).label("oldest"),
            count(*_PENDING).label("pending"),
            count(EventStatus.WAITING.value).label("waiting"),
            count(EventStatus.DEAD.value).label("dead"),
            count(EventStatus.POSTED.value).label("posted"),
        )
        .group_by(inbox.c.connection_id)
        .subquery()
    )
    writes = (
        select(
            outbox.c.connection_id,
            func.coalesce(func.sum(case((outbox.c.status.in_(("pending", "failed")), 1),
                                        else_=0)), 0).label("pending"),
            func.coalesce(func.sum(case((outbox.c.status == "dead", 1), else_=0)), 0)
            .label("dead"),
        )
        .group_by(outbox.c.connection_id)
        .subquery()
    )
    syncs = (
        select(stream_state.c.connection_id,
               func.max(stream_state.c.last_sync_at).label("last_sync_at"))
        .group_by(stream_state.c.connection_id)
        .subquery()
    )
    query = (
        select(connections.c.name, connections.c.system, connections.c.enabled,
               events.c.last_event_at, events.c.oldest, events.c.pending, events.c.waiting,
               events.c.dead, events.c.posted, writes.c.pending.label("out_pending"),
               writes.c.dead.label("out_dead"), syncs.c.last_sync_at)
        .outerjoin(events, events.c.connection_id == connections.c.id)
        .outerjoin(writes, writes.c.connection_id == connections.c.id)
        .outerjoin(syncs, syncs.c.connection_id == connections.c.id)
        .order_by(connections.c.name)
    )
    now = dt.datetime.now(dt.UTC)
    result = []
    for r in conn.execute(query):
        oldest = _aware(r.oldest)
        result.append(ConnectionStatus(
            name=r.name, system=r.system, enabled=r.enabled,
            last_event_at=_aware(r.last_event_at), last_sync_at=_aware(r.last_sync_at),
            lag_seconds=(now - oldest).total_seconds() if oldest else None,
            pending=int(r.pending or 0), waiting=int(r.waiting or 0), dead=int(r.dead or 0),
            posted=int(r.posted or 0), outbox_pending=int(r.out_pending or 0),
            outbox_dead=int(r.out_dead or 0),
        ))
    return result
