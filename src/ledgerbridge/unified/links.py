"""Links between a ledger record and its copy in a package, with the versions last agreed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ledgerbridge.store.tables import unified_links

__all__ = ["Link", "find_link", "save_link"]


@dataclass(frozen=True, slots=True)
class Link:
    """A ledger record (``document_id``) and the package record it was pushed as.

    Attributes:
        remote_version, local_version: the two versions when they last agreed; a
            side whose version differs has changed since.

    """

    id: int
    document_id: int
    connection_id: int
    kind: str
    remote_id: str
    remote_version: str
    local_version: str


def _link(row: Any) -> Link:
    return Link(row.id, row.document_id, row.connection_id, row.kind, row.remote_id,
                row.remote_version, row.local_version)


def find_link(conn: Connection, connection_id: int, kind: str, *, document_id: int | None = None,
              remote_id: str | None = None) -> Link | None:
    """The link of a ledger record, or of a package record, on one connection."""
    query = select(unified_links).where(unified_links.c.connection_id == connection_id,
                                        unified_links.c.kind == kind)
    if document_id is not None:
        query = query.where(unified_links.c.document_id == document_id)
    if remote_id is not None:
        query = query.where(unified_links.c.remote_id == remote_id)
    row = conn.execute(query).first()
    return None if row is None else _link(row)


def save_link(conn: Connection, connection_id: int, kind: str, document_id: int,
              remote_id: str, *, remote_version: str, local_version: str) -> None:
    """Record that the two records agree at these versions (insert or move the link)."""
    values = {"remote_id": remote_id, "remote_version": remote_version,
              "local_version": local_version, "synced_at": dt.datetime.now(dt.UTC)}
    existing = find_link(conn, connection_id, kind, document_id=document_id)
    if existing is None:
        conn.execute(insert(unified_links).values(connection_id=connection_id, kind=kind,
                                                  document_id=document_id, **values))
    else:
        conn.execute(update(unified_links).where(unified_links.c.id == existing.id)
                     .values(**values))
