"""Database engines: an embedded SQLite file by default, PostgreSQL for scale."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["DEFAULT_URL", "SQLITE_PRAGMAS", "database_url", "make_engine"]

DEFAULT_URL = "sqlite:///ledgerbridge.db"
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    "busy_timeout=30000",
    # 64 MiB page cache (default 2 MiB), allocated only as pages are used: bulk
    # posting updates several indexes and would otherwise spill and reread pages.
    "cache_size=-65536",
)


def database_url(url: str | None = None) -> str:
    """Pick the database URL: the argument, then ``LEDGERBRIDGE_DB``, then the local file.

    ``postgresql://`` URLs are routed to the psycopg 3 driver.
    """
    chosen = url or os.environ.get("LEDGERBRIDGE_DB") or DEFAULT_URL
    parsed = make_url(chosen)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        engine = create_engine(resolved, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(resolved, pool_pre_ping=True, **kwargs)


# Dates go to SQLite as ISO text, the form SQLAlchemy's Date type reads back
# (Python 3.12 deprecates the implicit default adapter).
sqlite3.register_adapter(dt.date, dt.date.isoformat)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
