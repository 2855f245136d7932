"""Period balances: the net of journal lines per account and month, kept at posting.

``monthly_balances`` holds, per entity, account and month, the sum of
``journal_lines.amount``, split over a few shards. Every posting adds its lines to it
in the posting's own transaction (``record``): the sums are written as the
transaction commits, one row per account and month, in key order, so concurrent
posters on PostgreSQL lock those rows briefly and in the same order and never
deadlock. Each process and thread writes its own shard, so workers posting to the same
busy account (a processor's clearing account) rarely touch the same row; the shards
of an account-month add up to its balance.
``net_by_account`` reads the whole months of a date range from it and only the days
of a partial first or last month from the journal lines.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import BigInteger, Connection, Engine, bindparam, cast, event, func, select

from ledgerbridge.store.bulk import date_param, upsert_adding
from ledgerbridge.store.tables import journal_lines, monthly_balances

__all__ = ["month_range", "net_by_account", "record"]

_KEY = ("entity_id", "account_id", "month", "shard")
_PENDING = "ledgerbridge.period_balances"
SHARDS = 16
"""Rows per account-month at most: enough that concurrent workers rarely share one."""
_LAST_MONTH = dt.date(dt.MAXYEAR, 12, 1)
_mb = monthly_balances
_jl = journal_lines
_WHOLE_MONTHS = (
    select(_mb.c.account_id, cast(func.sum(_mb.c.amount), BigInteger))
    .where(_mb.c.entity_id == bindparam("entity_id"))
    .group_by(_mb.c.account_id)
)
_EDGE_DAYS = (
    select(_jl.c.account_id, cast(func.sum(_jl.c.amount), BigInteger))
    .where(
        _jl.c.entity_id == bindparam("entity_id"),
        _jl.c.account_id.in_(bindparam("accounts", expanding=True)),
        _jl.c.date >= bindparam("first"),
        _jl.c.date <= bindparam("last"),
    )
    .group_by(_jl.c.account_id)
)


def record(
    conn: Connection, entity_id: int, batch: Iterable[tuple[Any, Sequence[Sequence[Any]]]]
) -> None:
    """Add posted lines to their account-months when the posting's transaction commits.

    ``batch`` holds (entry, lines) pairs: the entry's ``date`` and each line's account
    id and functional amount (its first two fields). Account-months whose lines net
    to zero get a row too: the row says the account had lines that month.

    The sums wait in the connection until commit, where all of a transaction's
    account-months are written at once in key order: a worker that posts several
    entries in one transaction then locks each row only for the instant before its
    commit, always in the same order as every other worker, so none waits long and
    none deadlocks. A rolled-back savepoint or transaction drops its sums.
    """
    totals = _pending(conn)[-1]
    for entry, lines in batch:
        month = entry.date.replace(day=1)
        for line in lines:
            totals[entity_id, line[0], month] += line[1]


def _pending(conn: Connection) -> list[defaultdict[tuple[int, int, dt.date], int]]:
    """The connection's unwritten sums: one level per open savepoint."""
    return conn.info.setdefault(_PENDING, [defaultdict(int)])


@event.listens_for(Engine, "savepoint")
def _savepoint(conn: Connection, name: str) -> None:
    _pending(conn).append(defaultdict(int))


@event.listens_for(Engine, "release_savepoint")
def _release(conn: Connection, name: str, context: Any) -> None:
    stack = _pending(conn)
    if len(stack) > 1:
        for key, amount in stack.pop().items():
            stack[-1][key] += amount


@event.listens_for(Engine, "rollback_savepoint")
def _rollback_savepoint(conn: Connection, name: str, context: Any) -> None:
    stack = _pending(conn)
    if len(stack) > 1:
        stack.pop()


@event.listens_for(Engine, "rollback")
def _rollback(conn: Connection) -> None:
    conn.info.pop(_PENDING, None)


@event.listens_for(Engine, "commit")
def _write(conn: Connection) -> None:
    stack = conn.info.pop(_PENDING, None)
    if not stack:
        return
    totals: dict[tuple[int, int, dt.date], int] = defaultdict(int)
    for level in stack:
        for key, amount in level.items():
            totals[key] += amount
    if not totals:
        return
    as_date = date_param(conn)
    shard = _shard()
    upsert_adding(conn, _mb, _KEY, "amount", [
        (entity_id, account_id, as_date(month), shard, amount)
        for (entity_id, account_id, month), amount in sorted(totals.items())
    ])


def _shard() -> int:
    """The shard of the calling process and thread: concurrent posters rarely share one."""
    return hash((os.getpid(), threading.get_ident())) % SHARDS


def _next_month(day: dt.date) -> dt.date | None:
    """The first day of the month after ``day``'s; None in the last month a date has."""
    if day >= _LAST_MONTH:
        return None
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_range(
    start: dt.date | None, end: dt.date | None
) -> tuple[tuple[dt.date | None, dt.date | None] | None, list[tuple[dt.date, dt.date]]]:
    """Split an inclusive date range into whole months and the days around them.

    Returns ``(months, edges)``: ``months`` is ``(first, stop)``, the first day of
    the first whole month and the first day after the last one (``None``: no bound
    that way), or ``None`` when the range holds no whole month; ``edges`` are the
    inclusive day ranges left over, at most one before and one after the months.
    """
    first = start if start is None or start.day == 1 else _next_month(start)
    stop = end
    if end is not None:
        month_end = end == dt.date.max or (end + dt.timedelta(days=1)).day == 1
        stop = _next_month(end) if month_end else end.replace(day=1)
    if start is not None and (first is None or (stop is not None and first >= stop)):
        last = dt.date.max if end is None else end
        return None, ([(start, last)] if start <= last else [])
    edges = []
    if start is not None and first is not None and start < first:
        edges.append((start, first - dt.timedelta(days=1)))
    if end is not None and stop is not None and stop <= end:
        edges.append((stop, end))
    return (first, stop), edges


def net_by_account(
    conn: Connection,
    entity_id: int,
    start: dt.date | None,
    end: dt.date | None,
    account_ids: Collection[int],
) -> dict[int, int]:
    """Net debit-positive sum per account of the lines dated ``start`` to ``end``.

    Both ends are inclusive; ``None`` leaves that end open. Only ``account_ids``
    are read for the partial months (the accounts of the entity's chart); an
    account with lines in the range is in the result even when they net to zero.
    """
    months, edges = month_range(start, end)
    net: dict[int, int] = {}
    if months is not None:
        first, stop = months
        query = _WHOLE_MONTHS
        if first is not None:
            query = query.where(_mb.c.month >= first)
        if stop is not None:
            query = query.where(_mb.c.month < stop)
        net = {account_id: amount for account_id, amount
               in conn.execute(query, {"entity_id": entity_id})}
    if account_ids:
        for first_day, last_day in edges:
            found = conn.execute(_EDGE_DAYS, {"entity_id": entity_id, "first": first_day,
                                              "last": last_day, "accounts": list(account_ids)})
            for account_id, amount in found:
                net[account_id] = net.get(account_id, 0) + amount
    return net
