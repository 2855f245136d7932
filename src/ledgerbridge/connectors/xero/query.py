"""Xero's ``where`` and ``order`` parameters, for the fields the connector filters on.

A filter is clauses joined by ``AND`` (or ``&&``): ``Field=="text"``,
``Field!="text"``, ``Field==Guid("...")``, ``Field>=DateTime(2026,11,1)`` (any of
``== != > >= < <=``), ``Field.Contains("text")``, ``.StartsWith`` and ``.EndsWith``.
A field may be a path (``Contact.ContactID``). ``order`` is ``Field [ASC|DESC]``.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.xero.wire import parse_stamp

__all__ = ["QueryError", "ordering", "predicate"]

Obj = dict[str, Any]
_SPLIT = re.compile(r"\s+(?:AND|and)\s+|\s*&&\s*")
_COMPARE = re.compile(r'^([A-Za-z][\w.]*)\s*(==|!=|>=|<=|>|<)\s*(.+)$')
_METHOD = re.compile(r'^([A-Za-z][\w.]*)\.(Contains|StartsWith|EndsWith)\("(.*)"\)$')
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
    "<": operator.lt, "<=": operator.le}
_METHODS = {"Contains": str.__contains__, "StartsWith": str.startswith,
            "EndsWith": str.endswith}


class QueryError(ValueError):
    """A ``where`` or ``order`` Xero would refuse."""


def _field(record: Obj, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    guid = re.fullmatch(r'Guid\("([0-9a-fA-F-]{36})"\)', text)
    if guid:
        return guid.group(1).lower()
    stamp = re.fullmatch(r"DateTime\(([\d,\s]+)\)", text)
    if stamp:
        return dt.datetime(*(int(p) for p in stamp.group(1).split(",")), tzinfo=dt.UTC)
    if text in ("true", "false"):
        return text == "true"
    try:
        return Decimal(text)
    except ArithmeticError:
        raise QueryError(f"cannot read the value {text!r}") from None


def _comparable(value: Any, like: Any) -> Any:
    if isinstance(like, dt.datetime) and isinstance(value, str):
        return parse_stamp(value)
    if isinstance(like, str) and isinstance(value, str) and re.fullmatch(r"[0-9a-f-]{36}", like):
        return value.lower()
    return value


def predicate(where: str | None) -> Callable[[Obj], bool]:
    """A test for records matching ``where`` (everything when empty)."""
    tests: list[Callable[[Obj], bool]] = []
    for clause in _SPLIT.split(where.strip()) if where and where.strip() else ():
        method = _METHOD.match(clause)
        if method:
            path, name, text = method.groups()
            tests.append(lambda r, p=path, f=_METHODS[name], t=text:
                         isinstance(_field(r, p), str) and f(_field(r, p), t))
            continue
        compare = _COMPARE.match(clause)
        if not compare:
            raise QueryError(f"cannot read the filter clause {clause!r}")
        path, op, raw = compare.groups()
        wanted = _literal(raw)

        def test(r: Obj, p: str = path, o: str = op, w: Any = wanted) -> bool:
            value = _comparable(_field(r, p), w)
            try:
                return value is not None and _OPS[o](value, w)
            except TypeError:
                return False
        tests.append(test)
    return lambda record: all(t(record) for t in tests)


def ordering(order: str | None) -> tuple[Callable[[Obj], Any], bool] | None:
    """A sort key and "descending" for ``order``; None for the default order."""
    if not order or not order.strip():
        return None
    path, _, direction = order.strip().partition(" ")
    if direction.strip().upper() not in ("", "ASC", "DESC"):
        raise QueryError(f"cannot read the order {order!r}")

    def key(record: Obj) -> Any:
        value = _field(record, path)
        if isinstance(value, str) and value.startswith("/Date("):
            return (1, parse_stamp(value))
        return (0 if value is None else 1, value if value is not None else "")
    return key, direction.strip().upper() == "DESC"
