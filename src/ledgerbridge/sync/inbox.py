"""The inbox: every payload stored raw, deduplicated, before it is acknowledged.

An event's life: ``received`` -> ``posted`` (or ``ignored`` when it carries nothing
to post). On a temporary failure it is ``failed`` and retried with exponential
backoff and jitter; when it needs another record first it is ``waiting`` until that
record arrives; when retrying cannot help it is ``dead`` (the dead-letter queue),
kept with its error for replay after a fix.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, Insert, bindparam, update

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.store.tables import inbox

__all__ = [
    "Channel",
    "EventStatus",
    "Stored",
    "backoff",
    "redact_headers",
    "release_all_waiting",
    "release_waiting",
    "replay",
    "store_events",
    "store_many",
]

SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


class EventStatus(StrEnum):
    """Where an inbox event is in its life."""

    RECEIVED = "received"
    POSTED = "posted"
    IGNORED = "ignored"
    WAITING = "waiting"
    FAILED = "failed"
    DEAD = "dead"


class Channel(StrEnum):
    """How an event arrived."""

    WEBHOOK = "webhook"
    POLL = "poll"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Stored:
    """The outcome of storing one event: its inbox id, or None if it was a duplicate."""

    id: int | None

    @property
    def duplicate(self) -> bool:
        """True when the same event (or object version) was already in the inbox."""
        return self.id is None


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to store: credentials are replaced by a marker."""
    redacted = {}
    for k, v in headers.items():
        key = k.lower()
        redacted[key] = "[redacted]" if key in SENSITIVE_HEADERS else v
    return redacted


_INSERTS: dict[str, Insert] = {}


def _insert_statement(dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` into the inbox, built once.

    The gateway stores every webhook through it: building the statement per row
    costs more than SQLite's insert itself; a prebuilt one reuses its compiled form.
    """
    statement = _INSERTS.get(dialect)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(inbox).on_conflict_do_nothing().returning(inbox.c.id)
        _INSERTS[dialect] = statement
    return statement


def _rows(connection_id: int, channel: Channel, events: Iterable[RawEvent],
          headers: Mapping[str, str] | None, status: EventStatus, error: str | None
          ) -> list[dict]:
    """The inbox rows of ``events``, as the insert statement takes them."""
    now = dt.datetime.now(dt.UTC)
    header_text = json.dumps(redact_headers(headers or {}), sort_keys=True)
    return [{
        "connection_id": connection_id,
        "channel": channel.value,
        "received_at": now,
        "event_id": event.event_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_version": event.object_version,
        "headers": header_text,
        "body": event.body,
        "verified": True,
        "status": status.value,
        "last_error": error,
    } for event in events]


def store_events(
    conn: Connection,
    connection_id: int,
    channel: Channel,
    events: Iterable[RawEvent],
    *,
    headers: Mapping[str, str] | None = None,
    status: EventStatus = EventStatus.RECEIVED,
    error: str | None = None,
) -> list[Stored]:
    """Store raw events in the caller's transaction, skipping ones already stored."""
    statement = _insert_statement(conn.dialect.name)
    return [Stored(conn.execute(statement, row).scalar())
            for row in _rows(connection_id, channel, events, headers, status, error)]


def store_many(conn: Connection, connection_id: int, channel: Channel,
               events: Iterable[RawEvent]) -> int:
    """Store raw events in bulk in the caller's transaction; returns how many were new.

    What a poll needs: one multi-row statement per few hundred events instead of
    one per event; duplicates are skipped as by ``store_events``.
    """
    rows = _rows(connection_id, channel, events, None, EventStatus.RECEIVED, None)
    if not rows:
        return 0
    return len(conn.execute(_insert_statement(conn.dialect.name), rows).all())


def backoff(attempts: int, *, base: float = 2.0, cap: float = 3600.0) -> dt.timedelta:
    """Delay before retry number ``attempts``: exponential, capped, with full jitter."""
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def release_waiting(conn: Connection, connection_id: int | None, key: str) -> int:
    """Wake the events of a connection (None: of any) waiting for ``key`` (``charge:ch_1``)."""
    if connection_id is None:
        return conn.execute(_RELEASE_ANY, {"b_key": key}).rowcount
    return conn.execute(_RELEASE, {"b_connection": connection_id, "b_key": key}).rowcount


def release_all_waiting(conn: Connection, keys: list[tuple[int | None, str]]) -> None:
    """``release_waiting`` for many (connection or None, key) pairs, one statement per form."""
    own = [{"b_connection": cid, "b_key": key} for cid, key in keys if cid is not None]
    anywhere = [{"b_key": key} for cid, key in keys if cid is None]
    if own:
        conn.execute(_RELEASE, own)
    if anywhere:
        conn.execute(_RELEASE_ANY, anywhere)


_WAKE = update(inbox).values(status=EventStatus.RECEIVED.value, depends_on=None,
                             next_attempt_at=None)
_WAITING_FOR = (inbox.c.depends_on == bindparam("b_key")) & (
    inbox.c.status == EventStatus.WAITING.value)
_RELEASE = _WAKE.where(inbox.c.connection_id == bindparam("b_connection"), _WAITING_FOR)
_RELEASE_ANY = _WAKE.where(_WAITING_FOR)


def replay(conn: Connection, *, event_id: int | None = None, connection_id: int | None = None
           ) -> int:
    """Queue dead or failed events again (one by inbox id, or all); returns how many.

    The raw bytes were kept, so after a fix (a mapping, an account, a connector
    upgrade) the event is processed as if it had just arrived; idempotency keys
    make a replay of an already posted event post nothing twice.
    """
    query = update(inbox).values(status=EventStatus.RECEIVED.value, attempts=0,
                                 next_attempt_at=None, depends_on=None)
    if event_id is not None:
        query = query.where(inbox.c.id == event_id, inbox.c.status != EventStatus.POSTED.value)
    else:
        query = query.where(inbox.c.status.in_((EventStatus.DEAD.value,
                                                EventStatus.FAILED.value)))
    if connection_id is not None:
        query = query.where(inbox.c.connection_id == connection_id)
    return conn.execute(query).rowcount
