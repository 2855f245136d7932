"""HubSpot's times: ISO 8601 text in UTC with milliseconds, or milliseconds since 1970."""

from __future__ import annotations

import datetime as dt

__all__ = ["iso", "millis", "parse"]


def parse(value: str) -> dt.datetime:
    """An aware datetime from HubSpot datetime text, a date, or a millisecond number."""
    if value.lstrip("-").isdigit():
        return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC)
    stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def millis(value: str) -> int:
    """Milliseconds since the epoch, as HubSpot's search filters take them."""
    return int(parse(value).timestamp() * 1000)


def iso(stamp: dt.datetime) -> str:
    """HubSpot's datetime text: UTC with milliseconds and a Z."""
    stamp = stamp.astimezone(dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
