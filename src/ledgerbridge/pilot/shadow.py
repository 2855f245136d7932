"""Starting a pilot: a connection posts into a shadow book, not the live one.

The shadow book is an entity of its own with a copy of the live chart. While the
pilot runs, the connection's events post there through its real posting rules,
and the connection's write-back rules are set aside, so no vendor hears of
anything the shadow book does. The live book is never touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import yaml
from sqlalchemy import Connection, Engine, func, insert, select, update

from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.store.tables import connections, entities, journal_entries, pilots
from ledgerbridge.sync.connections import get_connection

__all__ = ["Pilot", "PilotStatus", "get_pilot", "list_pilots", "start_pilot"]


class PilotStatus(StrEnum):
    """The states of a pilot."""

    RUNNING = "running"
    PROMOTED = "promoted"


@dataclass(frozen=True, slots=True)
class Pilot:
    """A connection run in shadow mode, and (after cutover) who promoted it when."""

    id: int
    connection: str
    connection_id: int
    live_entity: str
    shadow_entity: str
    status: str
    started_at: dt.datetime
    started_by: str
    cutover_at: dt.datetime | None
    cutover_by: str | None
    existing: str | None
    promoted: int | None


def _query():  # noqa: ANN202 - a select
    live, shadow = entities.alias("live"), entities.alias("shadow")
    return (
        select(pilots, connections.c.name.label("connection"),
               live.c.code.label("live_entity"), shadow.c.code.label("shadow_entity"))
        .join(connections, connections.c.id == pilots.c.connection_id)
        .join(live, live.c.id == pilots.c.live_entity_id)
        .join(shadow, shadow.c.id == pilots.c.shadow_entity_id)
    )


def _pilot(row) -> Pilot:  # noqa: ANN001 - a result row
    return Pilot(row.id, row.connection, row.connection_id, row.live_entity, row.shadow_entity,
                 row.status, row.started_at, row.started_by, row.cutover_at, row.cutover_by,
                 row.existing, row.promoted)


def get_pilot(conn: Connection, connection: str, *, running: bool = False) -> Pilot:
    """The latest pilot of ``connection`` (only a running one with ``running``)."""
    query = _query().where(connections.c.name == connection).order_by(pilots.c.id.desc())
    if running:
        query = query.where(pilots.c.status == PilotStatus.RUNNING)
    row = conn.execute(query.limit(1)).first()
    if row is None:
        state = "running pilot" if running else "pilot"
        raise LedgerError(f"connection {connection!r} has no {state}; "
                          f"start one with `ledgerbridge pilot start {connection}`")
    return _pilot(row)


def list_pilots(conn: Connection) -> list[Pilot]:
    """Every pilot, oldest first."""
    return [_pilot(row) for row in conn.execute(_query().order_by(pilots.c.id))]


def _without_writebacks(mapping: str | None) -> str | None:
    """The mapping with its write-back rules removed (None stays None)."""
    if mapping is None:
        return None
    data = yaml.safe_load(mapping) or {}
    if not isinstance(data, dict) or "writeback" not in data:
        return mapping
    data.pop("writeback")
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def start_pilot(engine: Engine, connection: str, *, by: str, shadow: str | None = None) -> Pilot:
    """Point ``connection`` at a new shadow book, its write-backs set aside.

    Refused when the connection already posted entries into its book: a pilot runs
    before a connection goes live. Workers already running keep their view of the
    connection until restarted.
    """
    with engine.connect() as conn:
        record = get_connection(conn, connection)
        running = conn.execute(select(pilots.c.id).where(
            pilots.c.connection_id == record.id,
            pilots.c.status == PilotStatus.RUNNING)).first()
        if running is not None:
            raise LedgerError(f"connection {connection!r} already runs a pilot")
        posted = conn.execute(select(func.count()).select_from(journal_entries).where(
            journal_entries.c.entity_id == record.entity_id,
            journal_entries.c.connection == connection)).scalar_one()
        if posted:
            raise LedgerError(f"connection {connection!r} already posted {posted} entries into "
                              f"entity {record.entity!r}; a pilot runs before a connection "
                              "goes live")
    live = Ledger(engine, record.entity)
    code = shadow or f"{record.entity}-pilot-{connection}"
    Ledger.create(engine, entity=code, name=f"{live.entity.name} (pilot of {connection})",
                  currency=live.entity.functional_currency, chart=live.accounts())
    shadow_id = Ledger(engine, code).entity.id
    with engine.begin() as conn:
        pilot_id = conn.execute(insert(pilots).values(
            connection_id=record.id, live_entity_id=record.entity_id,
            shadow_entity_id=shadow_id, status=PilotStatus.RUNNING,
            mapping=record.mapping, started_by=by,
        )).inserted_primary_key[0]
        conn.execute(update(connections).where(connections.c.id == record.id).values(
            entity_id=shadow_id, mapping=_without_writebacks(record.mapping)))
        return _pilot(conn.execute(_query().where(pilots.c.id == pilot_id)).one())
