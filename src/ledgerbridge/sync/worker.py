"""Workers: claim due inbox events and post them, exactly once.

A worker claims a small batch of due events in one transaction (PostgreSQL:
``FOR UPDATE SKIP LOCKED``, so any number of workers on any machines share the
inbox; SQLite: the database write lock) and processes each inside a savepoint. The
event's status, its documents, its ledger entry and its outbox commands commit
together; a worker killed at any point leaves its claimed events untouched and
unlocked for the next worker.

Bank lines (``bank_transaction`` documents, and the batches of a live bank feed
such as Plaid) go to the bank book, not the ledger; once the transaction has
committed, the worker reconciles the bank accounts whose lines changed and reads
the streams that a feed's webhook said have new lines.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, Select, bindparam, or_, select, union_all, update
from sqlalchemy.exc import DBAPIError

from ledgerbridge import reconcile
from ledgerbridge.connectors.bankfeeds.bankbook import FeedBatch, FeedLine, LiveFeed, store_feed
from ledgerbridge.connectors.base import Connector, RawEvent
from ledgerbridge.documents import Document, validation_problems
from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.mapping import rules_for_connection
from ledgerbridge.money import MoneyError
from ledgerbridge.store.bulk import take_write_lock
from ledgerbridge.store.tables import connections, inbox
from ledgerbridge.sync.apply import Rules, apply_document, make_lookup
from ledgerbridge.sync.bulk_apply import Candidate, NewObjects, OneByOne
from ledgerbridge.sync.connections import ConnectionRecord, get_connection
from ledgerbridge.sync.errors import MissingDependency, RetriableError, SyncError
from ledgerbridge.sync.inbox import EventStatus, backoff, release_all_waiting, release_waiting
from ledgerbridge.sync.outbox import enqueue
from ledgerbridge.sync.scheduler import poll_connection

__all__ = ["Worker", "WorkerStats", "connection_rules"]

log = logging.getLogger(__name__)

# PostgreSQL's deadlock_detected and serialization_failure: another worker's
# transaction won a lock race; retrying after it has committed succeeds.
LOCK_CONFLICTS = frozenset({"40P01", "40001"})
DUE = (EventStatus.RECEIVED.value, EventStatus.FAILED.value, EventStatus.WAITING.value)
MAX_ATTEMPTS = 8
_FINISH = update(inbox).where(inbox.c.id == bindparam("row_id")).values(
    {c: bindparam(f"v_{c}") for c in ("status", "attempts", "last_error", "depends_on",
                                      "next_attempt_at", "processed_at")}
)
MAX_WAITS = 20


@dataclass
class WorkerStats:
    """Counts of what a worker did."""

    posted: int = 0
    ignored: int = 0
    waiting: int = 0
    failed: int = 0
    dead: int = 0

    def total(self) -> int:
        """Events handled."""
        return self.posted + self.ignored + self.waiting + self.failed + self.dead


@dataclass
class _Bound:
    record: ConnectionRecord
    connector: Connector
    ledger: Ledger
    rules: Rules
    live: bool = field(init=False)

    def __post_init__(self) -> None:
        self.live = isinstance(self.connector, LiveFeed)  # a protocol check: slow per event


def connection_rules(record: ConnectionRecord, ledger: Ledger) -> Rules:
    """The posting rules of a connection: its mapping over its connector's and the defaults."""
    return rules_for_connection(record.system, record.mapping).for_ledger(ledger)


@dataclass
class Worker:
    """Processes the inbox of every connection in one database."""

    engine: Engine
    rules_for: Callable[[ConnectionRecord, Ledger], Rules] = connection_rules
    batch: int = 20
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    stats: WorkerStats = field(default_factory=WorkerStats)
    _bound: dict[int, _Bound] = field(default_factory=dict)
    _touched: dict[tuple[int, str], Ledger] = field(default_factory=dict)
    _reads: set[tuple[int, str]] = field(default_factory=set)
    _arrived: dict[int, set[str]] = field(default_factory=dict)

    def run_once(self) -> int:
        """Claim and process one batch of due events; returns how many were handled.

        On SQLite the batch is read and normalized first, with no transaction open:
        normalizing may call the vendor's API (a webhook that only names its record),
        and the database write lock, which every webhook and write-back needs, is
        held only while the documents are applied. Events another worker took
        meanwhile are left to it; the rest are claimed and applied as they were read.
        """
        sqlite = self.engine.dialect.name == "sqlite"
        while True:
            now = dt.datetime.now(dt.UTC)
            self._touched = {}
            self._arrived = {}
            ahead = self._normalize_ahead(now) if sqlite else {}
            if sqlite and not ahead:
                return 0  # nothing due: no write lock taken just to find that out
            with self.engine.begin() as conn:
                rows = self._claim(conn, now, sorted(ahead))
                self._process_batch(conn, rows, now, ahead)
            self._after_commit()
            if rows or not ahead:
                return len(rows)

    def run_until_idle(self) -> int:
        """Process batches until nothing is due; returns the number of events handled."""
        handled = 0
        while count := self.run_once():
            handled += count
        return handled

    def run(self, stop: threading.Event, *, idle_sleep: float = 0.2) -> None:
        """Process events until ``stop`` is set, sleeping briefly when idle."""
        while not stop.is_set():
            if not self.run_once():
                stop.wait(idle_sleep)

    # -- internals -------------------------------------------------------------

    def _claim(self, conn: Connection, now: dt.datetime, ids: list[int]) -> list:
        """Lock and read the next due events (those of ``ids`` still due), oldest first.

        The ids are chosen first and the rows read by id after: sorting every due
        row with its raw body would cost more than the batch's work on SQLite.
        """
        take_write_lock(conn)
        if not ids:
            query = self._due(now)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=inbox)
            ids = list(conn.execute(query).scalars())
            if not ids:
                return []
        return list(conn.execute(select(inbox).where(
            inbox.c.id.in_(ids), inbox.c.status.in_(DUE),
            or_(inbox.c.next_attempt_at.is_(None), inbox.c.next_attempt_at <= now),
        ).order_by(inbox.c.id)))

    def _due(self, now: dt.datetime) -> Select:
        """The ids of the next ``batch`` due events of enabled connections, oldest first."""
        if self.engine.dialect.name == "postgresql":
            return (select(inbox.c.id)
                    .join(connections, connections.c.id == inbox.c.connection_id)
                    .where(inbox.c.status.in_(DUE),
                           or_(inbox.c.next_attempt_at.is_(None),
                               inbox.c.next_attempt_at <= now),
                           connections.c.enabled.is_(True))
                    .order_by(inbox.c.id).limit(self.batch))
        # SQLite sorts every due row for "status IN (...) ORDER BY id": one lane per
        # status without a retry time walks the (status, next_attempt_at) index in id
        # order and stops at the batch; retries that came due are few.
        enabled = inbox.c.connection_id.in_(
            select(connections.c.id).where(connections.c.enabled.is_(True)))
        lanes = [select(inbox.c.id).where(inbox.c.status == status,
                                          inbox.c.next_attempt_at.is_(None), enabled)
                 .order_by(inbox.c.id).limit(self.batch).subquery() for status in DUE]
        lanes.append(select(inbox.c.id).where(inbox.c.status.in_(DUE),
                                              inbox.c.next_attempt_at <= now, enabled)
                     .subquery())
        due = union_all(*(select(lane.c.id) for lane in lanes)).subquery()
        return select(due.c.id).order_by(due.c.id).limit(self.batch)

    def _normalize_ahead(self, now: dt.datetime) -> dict[int, Candidate | _Normalized | None]:
        """Read the next due events and normalize them with no transaction open."""
        with self.engine.connect() as conn:
            ids = list(conn.execute(self._due(now)).scalars())
            if not ids:
                return {}
            rows = list(conn.execute(select(inbox).where(inbox.c.id.in_(ids))
                                     .order_by(inbox.c.id)))
            bound = {cid: self._bound_or_none(conn, cid) for cid in {r.connection_id for r in rows}}
        return {row.id: self._normalize(bound[row.connection_id], row) for row in rows}

    def _bind(self, conn: Connection, connection_id: int) -> _Bound:
        bound = self._bound.get(connection_id)
        if bound is None:
            name = conn.execute(
                select(connections.c.name).where(connections.c.id == connection_id)
            ).scalar_one()
            record = get_connection(conn, name)
            ledger = Ledger(self.engine, record.entity)
            bound = _Bound(record, record.connector(), ledger, self.rules_for(record, ledger))
            self._bound[connection_id] = bound
        return bound

    def _process_batch(self, conn: Connection, rows: list, now: dt.datetime,
                       ahead: dict[int, Candidate | _Normalized | None]) -> None:
        """Process claimed events in order: runs of new objects in bulk, the rest one by one.

        An event whose documents are all new objects is checked in memory and held;
        held events are written together (documents, entries, statuses, wake-ups)
        before any event that goes one by one, and at the end, so each event sees
        the books exactly as processing one by one would have left them. An event
        that fails does so alone; if a write fails, its events go one by one. An
        event missing a record is tried once more after the rest of the batch,
        which may bring that record (a refund listed before its charge). ``ahead``
        holds the events already normalized.
        """
        normalized = {row.id: ahead[row.id] if row.id in ahead
                      else self._normalize(self._bound_or_none(conn, row.connection_id), row)
                      for row in rows}
        fresh = self._new_objects(conn, normalized)
        held: list[tuple[object, dict, Candidate]] = []
        queue, again = list(rows), set()
        for row in queue:  # grows by the events tried again
            candidate = normalized[row.id]
            if isinstance(candidate, Candidate):
                try:
                    posted = fresh.plan(row.id, self._bound[row.connection_id].rules)
                except OneByOne:
                    pass
                except MissingDependency as exc:
                    if row.id not in again:
                        again.add(row.id)
                        queue.append(row)
                    else:
                        held.append((row, self._failure(row, exc, now), candidate))
                    continue
                except Exception as exc:  # noqa: BLE001 - as _process: this event fails alone
                    held.append((row, self._failure(row, exc, now), candidate))
                    continue
                else:
                    status = EventStatus.POSTED if posted else EventStatus.IGNORED
                    held.append((row, {"status": status}, candidate))
                    continue
            self._write_held(conn, fresh, held, now)
            fresh.touched(row.id)
            self._process(conn, row, now, candidate)
        self._write_held(conn, fresh, held, now)

    def _bound_or_none(self, conn: Connection, connection_id: int) -> _Bound | None:
        try:
            return self._bind(conn, connection_id)
        except Exception:  # noqa: BLE001 - _process binds again and reports it
            return None

    def _normalize(self, bound: _Bound | None, row) -> Candidate | _Normalized | None:  # noqa: ANN001
        """The event's documents: a bulk candidate, or what ``_process`` will use."""
        if bound is None or bound.live:
            return None
        event = RawEvent(row.body, row.event_id, row.object_type, row.object_id,
                         row.object_version)
        try:
            documents = bound.connector.normalize(event)
        except Exception as exc:  # noqa: BLE001 - reported by _process, in its savepoint
            return _Normalized((), exc)
        return Candidate(row.id, row.connection_id, bound.ledger, documents)

    def _new_objects(self, conn: Connection, normalized: dict) -> NewObjects:
        """Lock and look up the batch's new objects; if that fails, all go one by one."""
        candidates = [n for n in normalized.values() if isinstance(n, Candidate)]
        savepoint = conn.begin_nested()
        try:
            fresh = NewObjects(conn, candidates)
        except Exception as exc:  # noqa: BLE001 - a deadlock with another worker ...
            savepoint.rollback()  # ... costs speed, never an event: none goes in bulk
            log.warning("locking %d events for bulk failed (%s); one by one instead",
                        len(candidates), exc)
            for c in candidates:
                normalized[c.inbox_id] = _Normalized(c.documents, None)
            return NewObjects(conn, ())
        savepoint.commit()
        return fresh

    def _write_held(self, conn: Connection, fresh: NewObjects, held: list, now: dt.datetime
                    ) -> None:
        """Write the held run: documents and entries, then statuses, then wake-ups.

        All in one savepoint: if any of it fails (a deadlock with another worker, an
        object stored meanwhile), the run's events go one by one instead.
        """
        if not held:
            return
        savepoint = conn.begin_nested()
        try:
            woken = fresh.write()
            conn.execute(_FINISH, [_finish_values(row, **outcome) for row, outcome, _ in held])
            release_all_waiting(conn, woken)
        except Exception as exc:
            savepoint.rollback()
            fresh.discard()
            if not isinstance(exc, OneByOne):
                log.warning("writing %d events in bulk failed (%s); one by one instead",
                            len(held), exc)
            for row, _, candidate in held:
                fresh.touched(row.id)
                self._process(conn, row, now, candidate)
        else:
            savepoint.commit()
            for row, outcome, _ in held:
                self._count(outcome["status"])
                if outcome["status"] == EventStatus.POSTED:
                    self._posted(row)
        held.clear()

    def _process(self, conn: Connection, row, now: dt.datetime,  # noqa: ANN001
                 normalized: Candidate | _Normalized | None) -> None:
        """Process one event in a savepoint, its documents through ``apply_document``."""
        savepoint = conn.begin_nested()
        try:
            bound = self._bind(conn, row.connection_id)
            event = RawEvent(row.body, row.event_id, row.object_type, row.object_id,
                             row.object_version)
            lookup = make_lookup(conn, row.connection_id)
            posted = False
            live = bound.live
            bank: list[Document] = []
            if live:
                documents: Sequence[Document] = ()
            elif normalized is None:
                documents = bound.connector.normalize(event)
            else:
                documents = normalized.documents
                if isinstance(normalized, _Normalized) and normalized.error is not None:
                    raise normalized.error
            for document in documents:
                if document.type == "bank_transaction":
                    bank.append(document)
                    continue
                applied, commands = apply_document(
                    conn, bound.ledger, row.connection_id, document, bound.rules,
                    inbox_id=row.id, lookup=lookup,
                )
                posted = posted or applied.outcome not in ("unchanged", "stale")
                for command in commands:
                    enqueue(conn, command, entry_id=applied.entry_id,
                            document_id=applied.document_id)
            if live or bank:
                posted = self._bank_book(conn, bound, row, event, bank) or posted
        except Exception as exc:  # noqa: BLE001 - every failure has an outcome
            savepoint.rollback()
            self._finish(conn, row, **self._failure(row, exc, now))
            return
        savepoint.commit()
        self._finish(conn, row, EventStatus.POSTED if posted else EventStatus.IGNORED)
        if posted:
            self._posted(row)

    def _posted(self, row) -> None:  # noqa: ANN001
        """Remember a posted event's object for its connector's ``after_posted``."""
        if row.object_id is not None:
            self._arrived.setdefault(row.connection_id, set()).add(row.object_id)

    def _failure(self, row, exc: Exception, now: dt.datetime) -> dict:  # noqa: ANN001
        """The outcome of an event that raised ``exc``: waiting, a retry, or a dead letter."""
        if isinstance(exc, MissingDependency):
            dead = row.attempts + 1 >= MAX_WAITS
            return {"status": EventStatus.DEAD if dead else EventStatus.WAITING,
                    "error": str(exc), "depends_on": exc.key,
                    "retry_at": now + backoff(row.attempts + 1, base=5.0, cap=600.0)}
        if isinstance(exc, RetriableError):
            return _retry_or_bury(row, now, str(exc))
        if isinstance(exc, (SyncError, LedgerError, MoneyError, ValidationError, ValueError)):
            return {"status": EventStatus.DEAD, "error": _describe(row, exc)}
        # an unexpected bug: retry a few times, then dead-letter
        if _lock_conflict(exc):  # a race with another worker, not a bug: just retry
            log.warning("inbox event %s: lock conflict with another worker (%s); retrying",
                        row.id, type(exc.orig).__name__)
        else:
            log.exception("inbox event %s failed", row.id, exc_info=exc)
        return _retry_or_bury(row, now, _describe(row, exc))

    def _bank_book(self, conn: Connection, bound: _Bound, row, event: RawEvent,  # noqa: ANN001
                   documents: list[Document]) -> bool:
        """Store bank lines in the bank book; returns whether it changed."""
        connector = bound.connector
        if isinstance(connector, LiveFeed):
            self._reads.update((row.connection_id, s) for s in connector.sync_after(event))
            batch = connector.feed_batch(event)
            if batch is None:
                return False
            _after_earlier_batches(conn, row)
        else:
            batch = FeedBatch(f"{bound.record.name}:inbox:{row.id}", bound.record.system,
                              row.body, tuple(FeedLine(d) for d in documents))
        result = store_feed(conn, bound.ledger, batch)
        for code in result.accounts:
            self._touched[(bound.ledger.entity.id, code)] = bound.ledger
        release_waiting(conn, row.connection_id, f"feed-batch:{row.id}")
        return result.changed

    def _after_commit(self) -> None:
        """Reconcile the bank accounts that changed; read the streams webhooks asked for."""
        for (_, code), ledger in sorted(self._touched.items(), key=lambda kv: kv[0]):
            try:
                reconcile.run(ledger, account=code)
            except LedgerError as exc:  # not a bank account, a closed period ...
                log.info("bank account %s was not reconciled: %s", code, exc)
            except Exception:  # the lines are stored; the next run reconciles them
                log.exception("reconciling bank account %s failed", code)
        self._touched = {}
        arrived, self._arrived = self._arrived, {}
        for connection_id, object_ids in sorted(arrived.items()):
            bound = self._bound[connection_id]
            try:
                bound.connector.after_posted(bound.ledger, sorted(object_ids))
            except Exception:  # the events are posted; the follow-up can be run by hand
                log.exception("after posting objects of connection %s", connection_id)
        for connection_id, stream in sorted(self._reads):
            try:
                polled = poll_connection(self.engine, self._bound[connection_id].record,
                                         streams=[stream])
            except Exception:  # the connection's schedule reads the stream later
                log.exception("reading %s of connection %s failed", stream, connection_id)
                polled = [stream]
            if polled:  # else another worker was reading it: read again next round
                self._reads.discard((connection_id, stream))

    def _finish(self, conn: Connection, row, status: EventStatus,  # noqa: ANN001
                **outcome: Any) -> None:
        """Record an event's outcome (``_finish_values``) and count it."""
        conn.execute(_FINISH, _finish_values(row, status, **outcome))
        self._count(status)

    def _count(self, status: EventStatus) -> None:
        setattr(self.stats, status.value, getattr(self.stats, status.value) + 1)


@dataclass(frozen=True, slots=True)
class _Normalized:
    """An event's documents, or the error normalizing it raised (reported by ``_process``)."""

    documents: Sequence[Document]
    error: Exception | None


def _retry_or_bury(row, now: dt.datetime, error: str) -> dict:  # noqa: ANN001
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        return {"status": EventStatus.DEAD, "error": error}
    return {"status": EventStatus.FAILED, "error": error, "retry_at": now + backoff(attempts)}


def _finish_values(
    row,  # noqa: ANN001
    status: EventStatus,
    *,
    error: str | None = None,
    depends_on: str | None = None,
    retry_at: dt.datetime | None = None,
) -> dict:
    """Parameters of ``_FINISH`` that record an event's outcome."""
    done = status in (EventStatus.POSTED, EventStatus.IGNORED)
    return {
        "row_id": row.id,
        "v_status": status.value,
        "v_attempts": row.attempts + (0 if done else 1),
        "v_last_error": error,
        "v_depends_on": depends_on,
        "v_next_attempt_at": retry_at,
        "v_processed_at": dt.datetime.now(dt.UTC) if done else None,
    }


def _after_earlier_batches(conn: Connection, row) -> None:  # noqa: ANN001
    """Apply a feed's batches in the order they were read: wait for an unfinished earlier one.

    Workers on PostgreSQL take events in parallel; a batch applied before an earlier
    one of the same feed could be overwritten by the older facts.
    """
    earlier = conn.execute(
        select(inbox.c.id).where(
            inbox.c.connection_id == row.connection_id, inbox.c.channel == row.channel,
            inbox.c.id < row.id,
            inbox.c.status.in_((*DUE, EventStatus.DEAD.value)))
        .order_by(inbox.c.id.desc()).limit(1)).scalar()
    if earlier is not None:
        raise MissingDependency(f"feed-batch:{earlier}")


def _lock_conflict(exc: Exception) -> bool:
    """Whether ``exc`` is a deadlock or serialization failure reported by the database."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in LOCK_CONFLICTS


def _describe(row, exc: Exception) -> str:  # noqa: ANN001
    what = f"{row.object_type or 'event'} {row.object_id or row.event_id or row.id}"
    if isinstance(exc, ValidationError):
        return f"{what}: invalid document: {validation_problems(exc)}"
    return f"{what}: {exc}"
