"""The outbox: write-back commands committed with the ledger change that caused them.

A command (mark an invoice paid in the CRM, push an invoice to the accounting
package) is inserted in the same transaction as the entry, so it exists exactly when
the change does. Delivery happens later, with the command's idempotency key, retries
with backoff and a dead-letter state; a delivery whose outcome is unknown (the
process died mid-call) is sent again with the same key, which targets deduplicate.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, Engine, bindparam, or_, select, update

from ledgerbridge.connectors.base import Connector
from ledgerbridge.store.bulk import insert_ignoring_conflicts, take_write_lock
from ledgerbridge.store.tables import connections, outbox
from ledgerbridge.sync.apply import Command
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.errors import RetriableError, SyncError
from ledgerbridge.sync.inbox import backoff
from ledgerbridge.sync.settlement import SETTLE_BILL

__all__ = ["deliver_due", "enqueue"]

MAX_ATTEMPTS = 10
CLAIM_BATCH = 20  # commands leased at once: their sends run one after another
LEASE = dt.timedelta(minutes=2)  # longer than any send (connectors time out in 30 s)


def enqueue(
    conn: Connection,
    command: Command,
    *,
    entry_id: int | None = None,
    document_id: int | None = None,
) -> int | None:
    """Queue ``command`` in the caller's transaction; a repeated key is queued once."""
    target = conn.execute(
        select(connections.c.id).where(connections.c.name == command.connection)
    ).scalar()
    if target is None:
        raise SyncError(f"write-back target connection {command.connection!r} does not exist")
    return insert_ignoring_conflicts(conn, outbox, {
        "connection_id": target,
        "command": command.command,
        "payload": json.dumps(command.payload, sort_keys=True),
        "idempotency_key": command.key,
        "status": "pending",
        "entry_id": entry_id,
        "document_id": document_id,
    })


def deliver_due(engine: Engine, *, limit: int = 50,
                connectors: dict[int, Connector] | None = None) -> int:
    """Deliver up to ``limit`` due commands, oldest first; returns how many ran.

    Commands are claimed in a short transaction that leases them (their next attempt
    is pushed ``LEASE`` ahead, so no other deliverer takes them), sent with no
    transaction open (on SQLite a send must not hold the database write lock that
    every webhook and worker needs), and their outcomes recorded together after. A
    crash mid-send leaves a command pending, sent again once its lease runs out with
    the same idempotency key, which targets deduplicate.
    """
    connectors = {} if connectors is None else connectors
    done = 0
    while done < limit:
        claimed = _claim(engine, limit - done)
        if not claimed:
            return done
        outcomes = [_send(engine, row, connectors) for row in claimed]
        with engine.begin() as conn:
            conn.execute(_RECORD, outcomes)
        done += len(claimed)
    return done


_RECORD = update(outbox).where(outbox.c.id == bindparam("row_id")).values(
    {c: bindparam(f"v_{c}") for c in ("status", "attempts", "last_error", "next_attempt_at",
                                      "sent_at")})


def _claim(engine: Engine, limit: int) -> list:
    """Lease up to ``limit`` due commands, oldest first, in a transaction of their own.

    Whether any is due is read first: an idle deliverer takes no write lock.
    """
    now = dt.datetime.now(dt.UTC)
    query = (
        select(outbox)
        .where(outbox.c.status.in_(("pending", "failed")),
               or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now))
        .order_by(outbox.c.id)
        .limit(min(limit, CLAIM_BATCH))
    )
    with engine.connect() as conn:
        if conn.execute(query.with_only_columns(outbox.c.id).limit(1)).first() is None:
            return []
    with engine.begin() as conn:
        take_write_lock(conn)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(conn.execute(query))
        if rows:
            conn.execute(update(outbox).where(outbox.c.id.in_([r.id for r in rows]))
                         .values(next_attempt_at=now + LEASE))
    return rows


def _send(engine: Engine, row, connectors: dict[int, Connector]) -> dict:  # noqa: ANN001
    """Carry out one claimed command; the parameters of ``_RECORD`` for its outcome."""
    now = dt.datetime.now(dt.UTC)
    values: dict = {"row_id": row.id, "v_attempts": row.attempts + 1, "v_status": "sent",
                    "v_last_error": None, "v_next_attempt_at": None, "v_sent_at": now}
    try:
        payload = {**json.loads(row.payload), "idempotency_key": row.idempotency_key}
        if row.command == SETTLE_BILL:  # carried out with the ledger's bill payment records
            from ledgerbridge.unified.bill_payments import deliver  # unified builds on sync

            deliver(engine, row.connection_id, payload)
            return values
        connector = connectors.get(row.connection_id)
        if connector is None:
            with engine.connect() as conn:
                connector = connectors[row.connection_id] = _connector(conn, row.connection_id)
        connector.write(row.command, payload)
    except RetriableError as exc:
        retry = row.attempts + 1 < MAX_ATTEMPTS
        values.update(v_status="failed" if retry else "dead", v_last_error=str(exc),
                      v_sent_at=None,
                      v_next_attempt_at=now + backoff(row.attempts + 1) if retry else None)
    except SyncError as exc:
        values.update(v_status="dead", v_last_error=str(exc), v_sent_at=None)
    return values


def _connector(conn: Connection, connection_id: int) -> Connector:
    name = conn.execute(
        select(connections.c.name).where(connections.c.id == connection_id)
    ).scalar_one()
    return get_connection(conn, name).connector()
