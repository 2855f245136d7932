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

from sqlalchemy import Connection, Engine, or_, select, update

from ledgerbridge.connectors.base import Connector
from ledgerbridge.store.bulk import insert_ignoring_conflicts, take_write_lock
from ledgerbridge.store.tables import connections, outbox
from ledgerbridge.sync.apply import Command
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.errors import RetriableError, SyncError
from ledgerbridge.sync.inbox import backoff

__all__ = ["deliver_due", "enqueue"]

MAX_ATTEMPTS = 10


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
    """Deliver up to ``limit`` due commands, one transaction each; returns how many ran.

    The row stays locked while its command is sent, so two deliverers never send the
    same command at once; a crash mid-send leaves it pending, to be sent again with
    the same idempotency key.
    """
    connectors = {} if connectors is None else connectors
    done = 0
    while done < limit:
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as conn:
            take_write_lock(conn)
            query = (
                select(outbox)
                .where(outbox.c.status.in_(("pending", "failed")),
                       or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now))
                .order_by(outbox.c.id)
                .limit(1)
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:
                return done
            values: dict = {"attempts": row.attempts + 1}
            try:
                connector = connectors.get(row.connection_id)
                if connector is None:
                    connector = _connector(conn, row.connection_id)
                    connectors[row.connection_id] = connector
                payload = {**json.loads(row.payload), "idempotency_key": row.idempotency_key}
                connector.write(row.command, payload)
                values.update(status="sent", sent_at=now, last_error=None)
            except RetriableError as exc:
                retry = row.attempts + 1 < MAX_ATTEMPTS
                values.update(status="failed" if retry else "dead", last_error=str(exc),
                              next_attempt_at=now + backoff(row.attempts + 1) if retry else None)
            except SyncError as exc:
                values.update(status="dead", last_error=str(exc))
            conn.execute(update(outbox).where(outbox.c.id == row.id).values(**values))
        done += 1
    return done


def _connector(conn: Connection, connection_id: int) -> Connector:
    name = conn.execute(
        select(connections.c.name).where(connections.c.id == connection_id)
    ).scalar_one()
    return get_connection(conn, name).connector()
