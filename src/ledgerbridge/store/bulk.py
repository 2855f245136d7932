"""Bulk writes for hot paths: reserved primary keys and driver-level executemany.

The ORM unit of work and SQLAlchemy's per-row parameter processing cost more than
the database itself when posting millions of lines, so hot paths hand tuples
straight to the driver (``executemany``; ``COPY`` on PostgreSQL). Values must
already be driver-ready (ints, str, dates, None).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.exc import IntegrityError

__all__ = [
    "date_param",
    "insert_ignoring_conflicts",
    "insert_returning_id",
    "insert_rows",
    "reserve_ids",
    "take_write_lock",
    "upsert_adding",
]


def _same(value: dt.date) -> dt.date:
    return value


def date_param(conn: Connection) -> Callable[[dt.date], dt.date | str]:
    """How to hand a date to this connection's driver in bulk rows.

    SQLite stores dates as ISO text; converting once per entry is much cheaper
    than the driver's per-value adapter call. Other drivers take the date itself.
    """
    return dt.date.isoformat if conn.dialect.name == "sqlite" else _same


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """Reserve ``count`` primary keys of ``table`` for rows inserted in this transaction."""
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        query = f"SELECT nextval('{table.name}_id_seq') FROM generate_series(1, {int(count)})"
        return list(conn.exec_driver_sql(query).scalars())
    # SQLite has one writer at a time: the first write statement of a transaction
    # takes the write lock (this one changes no row), so ids above today's maximum
    # stay ours until commit.
    conn.exec_driver_sql(f"UPDATE {table.name} SET id = id WHERE 0")
    top = conn.execute(select(func.max(table.c.id))).scalar() or 0
    return list(range(top + 1, top + count + 1))


# Below this many rows, COPY's set-up costs more than it saves (single postings).
_COPY_FROM = 64


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    """Insert positional ``rows`` into ``columns`` of ``table`` with one executemany."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) >= _COPY_FROM:
        _copy_rows(conn, table, columns, rows)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, rows if isinstance(rows, list) else list(rows))


def upsert_adding(
    conn: Connection, table: Table, keys: Sequence[str], column: str, rows: Sequence[tuple]
) -> None:
    """Insert positional ``rows`` (``keys`` then ``column``); on a key that exists, add.

    One executemany of ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL).
    Rows are written, and on PostgreSQL locked, in the order given: callers that
    give them in key order cannot deadlock one another.
    """
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = (*keys, column)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"VALUES ({', '.join([mark] * len(names))}) "
        f"ON CONFLICT ({', '.join(keys)}) "
        f"DO UPDATE SET {column} = {table.name}.{column} + excluded.{column}"
    )
    conn.exec_driver_sql(sql, rows if isinstance(rows, list) else list(rows))


def insert_returning_id(
    conn: Connection, table: Table, columns: Sequence[str], row: tuple
) -> int:
    """Insert one positional row and return the id the database gave it."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))}) RETURNING id"
    )
    return conn.exec_driver_sql(sql, row).scalar_one()


def _copy_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    """PostgreSQL: stream rows with COPY, several times faster than executemany."""
    import psycopg

    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.IntegrityError as exc:
        raise IntegrityError(sql, None, exc) from exc
    finally:
        cursor.close()


def take_write_lock(conn: Connection) -> None:
    """On SQLite, take the database write lock now rather than at the first write.

    Claiming work (read, then mark) must not race another process; PostgreSQL uses
    row locks instead (``FOR UPDATE SKIP LOCKED``), so this is a no-op there.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("UPDATE entities SET id = id WHERE 0")


def insert_ignoring_conflicts(conn: Connection, table: Table, values: dict) -> Any:
    """Insert one row unless it violates a unique constraint.

    Returns the row's (first) primary key value, or None when nothing was inserted.
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    key = next(iter(table.primary_key.columns))
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return conn.execute(statement).scalar()
