"""JSON with exact numbers: vendors send money as JSON numbers, never read as floats here.

``loads`` reads every number with a fraction as a Decimal; ``dumps`` writes a Decimal
back as the same JSON number, so a body can be stored and replayed without rounding.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading fractional numbers as Decimal."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialize to compact JSON, writing Decimal values as exact JSON numbers."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError(f"float {value!r} is inexact; use Decimal")
    return json.dumps(value)
