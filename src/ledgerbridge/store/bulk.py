"""Bulk writes for hot paths: reserved primary keys and driver-level executemany.

The ORM unit of work and SQLAlchemy's per-row parameter processing cost more than
the database itself when posting millions of lines, so hot paths hand tuples
straight to the driver's ``executemany``. Values must already be driver-ready
(ints, str, dates, None).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table, func, select

__all__ = ["insert_rows", "reserve_ids"]


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


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    """Insert positional ``rows`` into ``columns`` of ``table`` with one executemany."""
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, list(rows))
