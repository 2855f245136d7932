"""Transaction Search in the pieces PayPal allows: windows of at most 31 days, paged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ledgerbridge.connectors.paypal.client import PayPalClient

__all__ = ["MAX_WINDOW", "SearchPage", "search_pages", "search_windows"]

MAX_WINDOW = dt.timedelta(days=31)
"""The longest date range one Transaction Search query may cover."""


def search_windows(start: dt.datetime, end: dt.datetime,
                   size: dt.timedelta = MAX_WINDOW) -> list[tuple[dt.datetime, dt.datetime]]:
    """Consecutive (start, end) windows of at most ``size`` covering ``start``..``end``."""
    windows = []
    while start < end:
        stop = min(start + size, end)
        windows.append((start, stop))
        start = stop
    return windows


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of transaction details; ``finished`` is the end of a window read in full."""

    details: list[dict[str, Any]]
    finished: dt.datetime | None
    last: bool


def search_pages(client: PayPalClient, start: dt.datetime, end: dt.datetime,
                 page_size: int) -> Iterator[SearchPage]:
    """Every page of every window from ``start`` to ``end``, oldest window first."""
    windows = search_windows(start, end)
    for n, (window_start, window_end) in enumerate(windows, start=1):
        page = 1
        while True:
            body = client.search(window_start, window_end, page, page_size)
            done = page >= int(body.get("total_pages") or 1)
            yield SearchPage(list(body.get("transaction_details") or []),
                             window_end if done else None, done and n == len(windows))
            if done:
                break
            page += 1
