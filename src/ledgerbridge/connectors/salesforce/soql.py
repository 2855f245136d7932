"""SOQL text the connector sends: select lists, quoted id lists, datetime literals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

__all__ = ["datetime_literal", "modified_since", "quoted", "select_list"]


def select_list(base: Sequence[str], *extra: str | None) -> str:
    """``base`` and the configured ``extra`` fields (None skipped), each once, in order."""
    return ", ".join(dict.fromkeys([*base, *(e for e in extra if e)]))


def quoted(values: Iterable[str]) -> str:
    """Values as a comma-separated list of SOQL string literals."""
    return ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)


def datetime_literal(stamp: dt.datetime) -> str:
    """A SOQL datetime literal, whole seconds rounded down (reading earlier is harmless)."""
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def modified_since(sobject: str, fields: str, since: dt.datetime | None) -> str:
    """Records of ``sobject`` modified at or after ``since`` (None: all), oldest first."""
    where = "" if since is None else f" WHERE SystemModstamp >= {datetime_literal(since)}"
    return f"SELECT {fields} FROM {sobject}{where} ORDER BY SystemModstamp, Id"
