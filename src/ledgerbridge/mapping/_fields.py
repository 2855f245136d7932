"""Field maps: read canonical fields out of a source record, with small transforms.

A field map is ``canonical field -> spec``; a spec is a source path (``"$.doc_number"``)
or a mapping with ``from``, ``transform`` (steps applied in order), ``value`` (a
constant) and ``default``. Transforms:

``strip``, ``upper``, ``lower``
    text clean-up (other values pass through).
``cents``
    integer minor units with two decimals -> decimal text (``1234`` -> ``"12.34"``).
``minor_units: N`` or ``minor_units: "$.currency"``
    the same with N decimals, or the exponent of the currency found at that path
    (or a code such as ``JPY``).
``date: "%d/%m/%Y"``
    parse text in that format to an ISO date (``"2024-05-31"``).
``map: {source: canonical, "*": fallback}``
    translate a value; without ``"*"`` an unknown value is an error.

Targets may be dotted (``customer.name``) to build nested objects. Only mapped
fields are returned: the connector merges them into what it builds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledgerbridge.mapping._schema import FieldSpec
from ledgerbridge.money import MoneyError, currency_exponent

__all__ = ["FieldMapError", "apply_field_map", "read_path"]

_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


class FieldMapError(ValueError):
    """A source record that the field map cannot read; names the canonical field."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def read_path(record: Any, path: str) -> Any:
    """The value at ``$.a.b[0].c`` in a JSON-like record, or None when absent."""
    rest = path.strip()
    rest = rest[1:] if rest.startswith("$") else rest
    value = record
    for name, index in _STEP.findall(rest):
        if value is None:
            return None
        if index:
            seq = value if isinstance(value, list | tuple) else None
            value = seq[int(index)] if seq is not None and int(index) < len(seq) else None
        else:
            value = value.get(name) if isinstance(value, Mapping) else None
    return value


def _minor_to_text(value: Any, exponent: int) -> str:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{value!r} is not an integer amount in minor units")
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"{value!r} is not an integer amount in minor units")
    return str(Decimal(value).scaleb(-exponent)) if exponent else str(value)


def _exponent(arg: Any, record: Any) -> int:
    if isinstance(arg, int) and not isinstance(arg, bool):
        return arg
    code = read_path(record, arg) if isinstance(arg, str) and arg.startswith("$") else arg
    try:
        return currency_exponent(str(code).upper())
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def _step(step: str | dict[str, Any], value: Any, record: Any) -> Any:
    name, arg = (next(iter(step.items())) if isinstance(step, dict) else (step, None))
    if name in ("strip", "upper", "lower"):
        return getattr(value, name)() if isinstance(value, str) else value
    if name == "cents":
        return _minor_to_text(value, 2)
    if name == "minor_units":
        return _minor_to_text(value, _exponent(arg, record))
    if name == "date":
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.datetime.strptime(str(value).strip(), arg).date().isoformat()
        except ValueError:
            raise ValueError(f"{value!r} is not a date like {arg!r}") from None
    if name == "map":
        table = {str(k): v for k, v in (arg or {}).items()}
        key = str(value).lower() if isinstance(value, bool) else str(value)
        if key in table:
            return table[key]
        if "*" in table:
            return table["*"]
        raise ValueError(f"{value!r} is not one of {sorted(table)}")
    raise ValueError(f"unknown transform {name!r}")


def _put(out: dict[str, Any], target: str, value: Any) -> None:
    *parents, leaf = target.split(".")
    node = out
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def apply_field_map(
    raw: Mapping[str, Any], mapping: Mapping[str, FieldSpec | str | dict[str, Any]]
) -> dict[str, Any]:
    """Canonical fields read from ``raw`` per ``mapping`` (one document type's map).

    ``mapping`` is ``MappingConfig.field_map(type)`` or the same as plain YAML data.
    Raises FieldMapError naming the canonical field when a value cannot be read.
    """
    out: dict[str, Any] = {}
    for target, given in mapping.items():
        if isinstance(given, FieldSpec):
            spec = given
        elif isinstance(given, str):
            spec = FieldSpec(from_=given)
        else:
            try:
                spec = FieldSpec.model_validate(given)
            except ValueError as exc:
                raise FieldMapError(target, f"invalid field spec: {exc}") from None
        value = spec.value if spec.from_ is None else read_path(raw, spec.from_)
        if value is None:
            if spec.default is not None:
                _put(out, target, spec.default)
            continue
        try:
            for step in spec.transform:
                value = _step(step, value, raw)
        except ValueError as exc:
            where = f" (from {spec.from_})" if spec.from_ else ""
            raise FieldMapError(target, f"{exc}{where}") from None
        _put(out, target, value)
    return out
