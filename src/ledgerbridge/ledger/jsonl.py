"""Journal entries as JSON Lines: the input format of ``ledgerbridge post``.

One entry per line::

    {"date": "2026-01-31", "memo": "Invoice 1001",
     "lines": [{"account": "1100", "debit": "10.00", "currency": "USD", "party": "Acme"},
               {"account": "4010", "credit": "10.00"}]}

A line has exactly one of ``debit`` / ``credit`` (a non-negative decimal, as text or
a JSON number, read exactly), and optionally ``currency`` (default: the functional
one), ``rate`` (to the functional currency), ``memo``, ``party``, ``due_date`` and
``tax_code``.
An entry may carry ``key`` (idempotency key: an entry whose key is already posted is
skipped) and ``source`` (lineage: connection, object_type, external_id, document_id,
raw_payload_id).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from ledgerbridge.ledger.model import Entry, Line, Lineage, PostingError
from ledgerbridge.money import Money, MoneyError, parse_minor, parse_rate

__all__ = ["EntryReader", "parse_entry"]

_ENTRY_KEYS = {"date", "memo", "lines", "key", "source"}
_LINE_KEYS = {"account", "debit", "credit", "currency", "rate", "memo", "party", "due_date",
              "tax_code"}
_SOURCE_KEYS = set(Lineage.__slots__)


class EntryReader:
    """Reads entries from JSON Lines text and remembers each entry's line number."""

    def __init__(self, lines: Iterable[str], functional: str) -> None:
        self._lines = lines
        self._functional = functional
        self._line_numbers: list[int] = []

    def __iter__(self) -> Iterator[Entry]:
        """Yield entries; blank lines are skipped, bad ones raise PostingError."""
        for number, text in enumerate(self._lines, start=1):
            if not text.strip():
                continue
            self._line_numbers.append(number)
            try:
                data = json.loads(text, parse_float=Decimal)
            except json.JSONDecodeError as exc:
                raise PostingError(f"not valid JSON: {exc.msg}", record=f"line {number}") from None
            try:
                yield parse_entry(data, self._functional)
            except (PostingError, MoneyError) as exc:
                reason = exc.reason if isinstance(exc, PostingError) else str(exc)
                raise PostingError(reason, record=f"line {number}") from None

    def line_of(self, entry_number: int) -> int:
        """The file line holding the ``entry_number``-th entry (1-based)."""
        return self._line_numbers[entry_number - 1]


def parse_entry(data: Any, functional: str) -> Entry:
    """Build an Entry from one decoded JSON object; raises PostingError on bad input."""
    if not isinstance(data, dict):
        raise PostingError("an entry must be a JSON object")
    _no_unknown(data, _ENTRY_KEYS, "entry")
    if "date" not in data:
        raise PostingError("missing date")
    day = _date(data["date"], "date")
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise PostingError("lines must be a non-empty list")
    lines = tuple(_line(n, raw, functional) for n, raw in enumerate(raw_lines, start=1))
    source = data.get("source") or {}
    if not isinstance(source, dict):
        raise PostingError("source must be an object")
    _no_unknown(source, _SOURCE_KEYS, "source")
    key = data.get("key")
    return Entry(
        date=day,
        lines=lines,
        memo=str(data.get("memo") or ""),
        lineage=Lineage(**{k: str(v) for k, v in source.items() if v is not None}),
        idempotency_key=None if key is None else str(key),
    )


def _line(n: int, raw: Any, functional: str) -> Line:
    where = f"lines[{n}]"
    if not isinstance(raw, dict):
        raise PostingError(f"{where} must be an object")
    _no_unknown(raw, _LINE_KEYS, where)
    account = raw.get("account")
    if account in (None, ""):
        raise PostingError(f"{where}: missing account")
    has_debit, has_credit = raw.get("debit") is not None, raw.get("credit") is not None
    if has_debit == has_credit:
        raise PostingError(f"{where}: give exactly one of debit or credit")
    currency = raw.get("currency") or functional
    text = raw["debit"] if has_debit else raw["credit"]
    try:
        minor = parse_minor(text, currency)
    except MoneyError as exc:
        raise PostingError(f"{where}: {exc}") from None
    if minor < 0:
        side = "debit" if has_debit else "credit"
        raise PostingError(f"{where}: {side} {text} is negative; use the other side instead")
    rate = raw.get("rate")
    try:
        parsed_rate = None if rate is None else parse_rate(rate)
    except MoneyError as exc:
        raise PostingError(f"{where}: {exc}") from None
    due = raw.get("due_date")
    return Line(
        account=str(account),
        amount=Money(minor if has_debit else -minor, currency),
        rate=parsed_rate,
        memo=raw.get("memo"),
        party=raw.get("party"),
        due_date=None if due is None else _date(due, f"{where}.due_date"),
        tax_code=raw.get("tax_code") or None,
    )


def _date(value: Any, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PostingError(f"{field} {value!r} is not a date like 2026-01-31") from None


def _no_unknown(data: dict, allowed: set[str], where: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise PostingError(f"{where}: unknown fields {sorted(unknown)}")
