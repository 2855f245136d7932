"""Xero's API limits per tenant: calls per minute and per day.

Over a limit, Xero answers 429 with ``Retry-After`` (seconds) and
``X-Rate-Limit-Problem`` naming the limit hit (``minute`` or ``day``); every answer
carries ``X-MinLimit-Remaining`` and ``X-DayLimit-Remaining``.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import defaultdict, deque

from ledgerbridge.connectors.xero.org import XeroError

__all__ = ["RateLimits"]

_MINUTE = dt.timedelta(minutes=1)


class RateLimits:
    """A sliding one-minute window and a UTC-day count per tenant."""

    def __init__(self, per_minute: int = 60, per_day: int = 5000) -> None:
        self.per_minute, self.per_day = per_minute, per_day
        self._recent: dict[str, deque[dt.datetime]] = defaultdict(deque)
        self._daily: dict[tuple[str, dt.date], int] = defaultdict(int)
        self._lock = threading.Lock()

    def take(self, tenant: str) -> dict[str, str]:
        """Count one call; its headers, or a 429 XeroError when a limit is reached."""
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            recent = self._recent[tenant]
            while recent and now - recent[0] >= _MINUTE:
                recent.popleft()
            day = self._daily[(tenant, now.date())]
            if day >= self.per_day:
                midnight = dt.datetime.combine(now.date() + dt.timedelta(1), dt.time(),
                                               dt.UTC)
                raise self._refused("day", (midnight - now).total_seconds(), len(recent), 0)
            if len(recent) >= self.per_minute:
                wait = (recent[0] + _MINUTE - now).total_seconds()
                raise self._refused("minute", wait, 0, self.per_day - day)
            recent.append(now)
            self._daily[(tenant, now.date())] = day + 1
            return {"X-MinLimit-Remaining": str(self.per_minute - len(recent)),
                    "X-DayLimit-Remaining": str(self.per_day - day - 1)}

    def _refused(self, problem: str, wait: float, minute_left: int, day_left: int) -> XeroError:
        return XeroError(429, {"Title": "Too Many Requests", "Status": 429,
                               "Detail": f"Rate limit exceeded: {problem}"},
                         {"Retry-After": str(max(1, math.ceil(wait))),
                          "X-Rate-Limit-Problem": problem,
                          "X-MinLimit-Remaining": str(max(minute_left, 0)),
                          "X-DayLimit-Remaining": str(max(day_left, 0))})
