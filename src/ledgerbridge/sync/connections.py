"""Connections: one configured account of an outside system, feeding one entity."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from ledgerbridge.connectors.base import Connector
from ledgerbridge.connectors.oauth import OAuthConnector
from ledgerbridge.connectors.registry import build, connector_class
from ledgerbridge.ledger import LedgerError
from ledgerbridge.store.tables import connections, entities

__all__ = ["ConnectionRecord", "add_connection", "get_connection", "list_connections",
           "remove_connection"]


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """A stored connection. ``secrets`` never leave the process in logs or exports."""

    id: int
    name: str
    system: str
    entity: str
    entity_id: int
    settings: dict[str, Any]
    secrets: dict[str, Any]
    mapping: str | None
    poll_interval: int | None
    enabled: bool
    engine: Engine | None = field(default=None, compare=False)
    """The database it was read from (connectors keeping OAuth tokens there need it)."""

    def connector(self) -> Connector:
        """The connector object for this connection."""
        connector = build(self.system, self.name, {**self.settings, **self.secrets})
        if isinstance(connector, OAuthConnector):
            connector.database = self.engine
        return connector

    def __repr__(self) -> str:
        return f"ConnectionRecord(name={self.name!r}, system={self.system!r})"


def _query():
    return select(connections, entities.c.code.label("entity")).join(
        entities, entities.c.id == connections.c.entity_id
    )


def _record(row: Any, engine: Engine) -> ConnectionRecord:
    return ConnectionRecord(
        id=row.id, name=row.name, system=row.system, entity=row.entity,
        entity_id=row.entity_id, settings=json.loads(row.settings),
        secrets=json.loads(row.secrets), mapping=row.mapping,
        poll_interval=row.poll_interval, enabled=row.enabled, engine=engine,
    )


def add_connection(
    engine: Engine,
    name: str,
    system: str,
    *,
    entity: str = "default",
    settings: dict[str, Any] | None = None,
    mapping: str | None = None,
    poll_interval: int | None = None,
) -> ConnectionRecord:
    """Store a connection after validating its settings against the connector."""
    cls = connector_class(system)
    settings = dict(settings or {})
    build(system, name, settings)  # refuses invalid settings before anything is stored
    secrets = {k: settings.pop(k) for k in cls.secret_fields if k in settings}
    with engine.begin() as conn:
        entity_id = conn.execute(select(entities.c.id).where(entities.c.code == entity)).scalar()
        if entity_id is None:
            raise LedgerError(f"no entity {entity!r}; run `ledgerbridge init` first")
        if conn.execute(select(connections.c.id).where(connections.c.name == name)).first():
            raise LedgerError(f"connection {name!r} already exists")
        conn.execute(insert(connections).values(
            name=name, system=system, entity_id=entity_id, settings=json.dumps(settings),
            secrets=json.dumps(secrets), mapping=mapping, poll_interval=poll_interval,
        ))
        return get_connection(conn, name)


def get_connection(conn: Connection, name: str) -> ConnectionRecord:
    """The connection called ``name``."""
    row = conn.execute(_query().where(connections.c.name == name)).first()
    if row is None:
        raise LedgerError(f"no connection {name!r}")
    return _record(row, conn.engine)


def list_connections(conn: Connection) -> list[ConnectionRecord]:
    """Every connection, by name."""
    return [_record(r, conn.engine) for r in conn.execute(_query().order_by(connections.c.name))]


def remove_connection(engine: Engine, name: str) -> None:
    """Disable a connection; its events and lineage stay (nothing is ever lost)."""
    with engine.begin() as conn:
        get_connection(conn, name)
        conn.execute(connections.update().where(connections.c.name == name).values(enabled=False))
