"""Period balances: the net of journal lines per account and month, kept at posting.

``monthly_balances`` holds, per entity, account and month, the sum of
``journal_lines.amount``. Every posting adds its lines to it in the posting's own
transaction (``record``), one row per account and month of the batch, in key order,
so concurrent posters on PostgreSQL lock those rows in the same order and never
deadlock. ``net_by_account`` reads the whole months of a date range from it and only
the days of a partial first or last month from the journal lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import BigInteger, Connection, bindparam, cast, func, select

from ledgerbridge.store.bulk import date_param, upsert_adding
from ledgerbridge.store.tables import journal_lines, monthly_balances

__all__ = ["month_range", "net_by_account", "record"]

_KEY = ("entity_id", "account_id", "month")
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
    """Add posted lines to their account-months; call in the posting's transaction.

    ``batch`` holds (entry, lines) pairs: the entry's ``date`` and each line's account
    id and functional amount (its first two fields). Account-months whose lines net
    to zero get a row too: the row says the account had lines that month.
    """
    months: dict[dt.date, dt.date] = {}
    totals: dict[tuple[int, dt.date], int] = defaultdict(int)
    for entry, lines in batch:
        month = months.get(entry.date)
        if month is None:
            month = months[entry.date] = entry.date.replace(day=1)
        for line in lines:
            totals[line[0], month] += line[1]
    as_date = date_param(conn)
    upsert_adding(conn, _mb, _KEY, "amount", [
        (entity_id, account_id, as_date(month), amount)
        for (account_id, month), amount in sorted(totals.items())
    ])


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
