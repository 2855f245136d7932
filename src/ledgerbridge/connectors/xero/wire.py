"""Xero's JSON as it travels: exact decimal numbers and ``/Date(ms+0000)/`` stamps.

Xero sends amounts as JSON numbers; they are read as ``Decimal`` and written back as
numbers without ever becoming binary floats. Dates and times use the Microsoft JSON
form, ``/Date(1573755038314+0000)/``; ISO text is accepted too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

__all__ = ["API", "PAGE_SIZE", "dumps", "loads", "ms_date", "parse_date", "parse_stamp"]

API = "/api.xro/2.0"
"""Where the Accounting API lives under the API host."""
PAGE_SIZE = 100
"""Rows in a full page of a paged list."""

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_NUMBER = re.compile(r'"\\u0000(-?[0-9.Ee+-]+)\\u0000"')


def _mark(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"\0{format(value, 'f')}\0"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """JSON bytes with every ``Decimal`` written as an exact JSON number."""
    return _NUMBER.sub(r"\1", json.dumps(value, default=_mark)).encode()


def loads(body: bytes | str) -> Any:
    """Parse JSON reading fractions as ``Decimal`` (never ``float``)."""
    return json.loads(body, parse_float=Decimal)


def ms_date(stamp: dt.datetime | dt.date) -> str:
    """A date or UTC time in Xero's ``/Date(ms+0000)/`` form."""
    if not isinstance(stamp, dt.datetime):
        stamp = dt.datetime(stamp.year, stamp.month, stamp.day, tzinfo=dt.UTC)
    return f"/Date({int(stamp.timestamp() * 1000)}+0000)/"


def parse_stamp(text: str) -> dt.datetime:
    """A UTC time from ``/Date(ms+0000)/`` or ISO text (naive ISO is read as UTC)."""
    match = _MS_DATE.match(text.strip())
    if match:
        return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, dt.UTC)
    stamp = dt.datetime.fromisoformat(text.strip())
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def parse_date(text: str) -> dt.date:
    """A calendar date from either form."""
    return parse_stamp(text).date()
