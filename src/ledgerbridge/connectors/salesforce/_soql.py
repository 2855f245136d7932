"""The emulator's SOQL: the small subset the connector issues, parsed and run on an Org.

``SELECT f, Rel.f FROM Object [WHERE cond AND cond ...] [ORDER BY f [ASC|DESC], ...]
[LIMIT n]`` where a condition is ``field op literal`` (=, !=, <, <=, >, >=) or
``field IN (literal, ...)``, and literals are strings, numbers, true/false/null,
dates and datetimes. Anything else is MALFORMED_QUERY, as Salesforce answers.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.salesforce._org import RELATIONSHIPS, Org, OrgError, render_value

__all__ = ["Query", "parse", "run"]

_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>>=|<=|!=|=|<|>|\(|\)|,)
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
)""", re.VERBOSE)

_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
_KEYWORDS = {"true": True, "false": False, "null": None}


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: fields, object, conditions (all must hold), order and limit."""

    fields: tuple[str, ...]
    sobject: str
    conditions: tuple[tuple[str, str, Any], ...]
    order: tuple[tuple[str, bool], ...]
    limit: int | None


def _malformed(text: str) -> OrgError:
    return OrgError(400, "MALFORMED_QUERY", text)


def _tokens(soql: str) -> list[tuple[str, Any]]:
    found, position = [], 0
    soql = soql.rstrip()
    while position < len(soql):
        match = _TOKEN.match(soql, position)
        if match is None or match.end() == position:
            raise _malformed(f"unexpected token: '{soql[position:].split()[0]}'")
        kind = match.lastgroup or ""
        text = match.group(kind)
        found.append((kind, _literal(kind, text)))
        position = match.end()
    return found


def _literal(kind: str, text: str) -> Any:
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if kind == "datetime":
        return dt.datetime.fromisoformat(text)
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "number":
        return Decimal(text)
    return text


class _Parser:
    def __init__(self, soql: str) -> None:
        self.tokens = _tokens(soql)
        self.at = 0

    def peek_word(self) -> str:
        kind, value = self.tokens[self.at] if self.at < len(self.tokens) else ("", "")
        return value.upper() if kind == "word" else ""

    def take(self, kind: str, word: str | None = None) -> Any:
        if self.at >= len(self.tokens):
            raise _malformed("unexpected end of query")
        got_kind, value = self.tokens[self.at]
        if got_kind != kind or (word is not None and str(value).upper() != word):
            raise _malformed(f"unexpected token: '{render_value(value)}'")
        self.at += 1
        return value

    def accept(self, kind: str, word: str) -> bool:
        if self.at < len(self.tokens) and self.tokens[self.at][0] == kind \
                and str(self.tokens[self.at][1]).upper() == word:
            self.at += 1
            return True
        return False

    def value(self) -> Any:
        kind, value = self.tokens[self.at] if self.at < len(self.tokens) else ("", "")
        if kind == "word" and value.lower() in _KEYWORDS:
            self.at += 1
            return _KEYWORDS[value.lower()]
        if kind in ("string", "datetime", "date", "number"):
            self.at += 1
            return value
        raise _malformed(f"expected a value, found '{value}'")

    def query(self) -> Query:
        self.take("word", "SELECT")
        fields = [self.take("word")]
        while self.accept("op", ","):
            fields.append(self.take("word"))
        self.take("word", "FROM")
        sobject = self.take("word")
        conditions = []
        if self.accept("word", "WHERE"):
            conditions.append(self.condition())
            while self.accept("word", "AND"):
                conditions.append(self.condition())
        order = []
        if self.accept("word", "ORDER"):
            self.take("word", "BY")
            order.append(self.ordering())
            while self.accept("op", ","):
                order.append(self.ordering())
        limit = None
        if self.accept("word", "LIMIT"):
            limit = int(self.take("number"))
        if self.at != len(self.tokens):
            raise _malformed(f"unexpected token: '{render_value(self.tokens[self.at][1])}'")
        return Query(tuple(fields), sobject, tuple(conditions), tuple(order), limit)

    def condition(self) -> tuple[str, str, Any]:
        name = self.take("word")
        if self.accept("word", "IN"):
            self.take("op", "(")
            values = [self.value()]
            while self.accept("op", ","):
                values.append(self.value())
            self.take("op", ")")
            return name, "IN", tuple(values)
        op = self.take("op")
        if op not in _COMPARE:
            raise _malformed(f"unexpected token: '{op}'")
        return name, op, self.value()

    def ordering(self) -> tuple[str, bool]:
        name = self.take("word")
        descending = self.accept("word", "DESC")
        if not descending:
            self.accept("word", "ASC")
        return name, descending


def parse(soql: str) -> Query:
    """Parse ``soql``; MALFORMED_QUERY (an OrgError) if it is outside the subset."""
    return _Parser(soql).query()


def _check_field(org: Org, sobject: str, name: str) -> None:
    relation, _, leaf = name.rpartition(".")
    if relation:
        if "." in relation or f"{relation}Id" not in org.fields(sobject):
            raise OrgError(400, "INVALID_FIELD",
                           f"Didn't understand relationship '{relation}' in field path. "
                           f"If you are attempting to use a custom relationship, be sure to "
                           f"append the '__r' after the custom relationship name.")
        sobject = RELATIONSHIPS.get(relation, relation)
    if leaf not in org.fields(sobject):
        raise OrgError(400, "INVALID_FIELD",
                       f"No such column '{leaf}' on entity '{sobject}'. If you are attempting "
                       f"to use a custom field, be sure to append the '__c' after the custom "
                       f"field name.")


def _get(org: Org, record: dict[str, Any], name: str) -> Any:
    relation, _, leaf = name.rpartition(".")
    if not relation:
        return record[name]
    target = org.records[RELATIONSHIPS.get(relation, relation)].get(record[f"{relation}Id"] or "")
    return None if target is None else target[leaf]


def _matches(org: Org, record: dict[str, Any], condition: tuple[str, str, Any]) -> bool:
    name, op, expected = condition
    value = _get(org, record, name)
    if op == "IN":
        return value in expected
    if value is None or expected is None:
        return op == "=" and value is expected or op == "!=" and value is not expected
    try:
        return _COMPARE[op](value, expected)
    except TypeError:
        raise OrgError(400, "INVALID_QUERY_FILTER_OPERATOR",
                       f"value of filter criterion for field '{name}' must be of the "
                       f"field's type") from None


def _attributes(sobject: str, record: dict[str, Any], version: str) -> dict[str, str]:
    return {"type": sobject,
            "url": f"/services/data/{version}/sobjects/{sobject}/{record['Id']}"}


def _render(org: Org, sobject: str, record: dict[str, Any], fields: tuple[str, ...],
            version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": _attributes(sobject, record, version)}
    for name in fields:
        relation, _, leaf = name.rpartition(".")
        if not relation:
            out[name] = render_value(record[name])
            continue
        related = RELATIONSHIPS.get(relation, relation)
        target = org.records[related].get(record[f"{relation}Id"] or "")
        if target is None:
            out[relation] = None
            continue
        nested = out.get(relation) or {"attributes": _attributes(related, target, version)}
        nested[leaf] = render_value(target[leaf])
        out[relation] = nested
    return out


def run(org: Org, soql: str, version: str) -> list[dict[str, Any]]:
    """The records ``soql`` selects, rendered as the REST API returns them."""
    query = parse(soql)
    for name in (*query.fields, *(c[0] for c in query.conditions), *(o[0] for o in query.order)):
        _check_field(org, query.sobject, name)
    records = [r for r in org.records[query.sobject].values()
               if not r["IsDeleted"] and all(_matches(org, r, c) for c in query.conditions)]
    for name, descending in reversed(query.order):
        records.sort(key=lambda r, n=name: (_get(org, r, n) is not None, _get(org, r, n)),
                     reverse=descending)
    if query.limit is not None:
        records = records[:query.limit]
    return [_render(org, query.sobject, r, query.fields, version) for r in records]
