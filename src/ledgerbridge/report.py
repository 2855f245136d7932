"""Tabular reports and their renderers: a rich table, CSV and JSON.

A :class:`Report` is data only: a title, metadata, typed columns and rows. Rows
may be a generator, so a report over millions of lines is written to CSV or JSON
one row at a time. Money cells hold integer minor units (in the report's
currency) or :class:`~ledgerbridge.money.Money`; they are rendered as plain
decimal text with the currency's exponent, never through ``float``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TextIO

from rich.table import Table

from ledgerbridge.money import Money, format_minor

__all__ = [
    "Column",
    "ColumnKind",
    "Report",
    "Row",
    "to_json_obj",
    "to_table",
    "write_csv",
    "write_json",
]

Row = Mapping[str, Any]
"""One report row: column key -> value (missing keys render as empty / null)."""

_RESERVED = frozenset({"title", "subtitle", "currency", "totals"})


class ColumnKind(StrEnum):
    """How a column's values are rendered."""

    TEXT = "text"
    MONEY = "money"  # int minor units of the report currency, or Money
    DATE = "date"
    INT = "int"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a report.

    Attributes:
        key: the row key, also the CSV header and the JSON field name.
        name: the heading shown in the table.
        kind: text, money, date or int.
        table: whether the rich table shows it (CSV and JSON always include it).
        indent_key: a row key holding an int depth; the table indents this column by it.
        blank_zero: the table leaves zero amounts empty (CSV and JSON keep them).

    """

    key: str
    name: str
    kind: ColumnKind = ColumnKind.TEXT
    table: bool = True
    indent_key: str | None = None
    blank_zero: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class Report:
    """A titled table of rows with typed columns, optional totals and metadata.

    Attributes:
        title: what the report is ("Trial balance").
        columns: the columns, in order.
        rows: the rows; may be a one-shot generator for streamed reports.
        currency: currency of integer money cells.
        subtitle: one line under the title (entity, period ...).
        meta: extra top-level facts (entity, dates, summary figures) for JSON.
        totals: the totals row, keyed like the rows; None for no totals row.
        totals_label: text put in the first column of the totals row in table and CSV.
        rows_key: the name of the JSON list holding the rows.

    """

    title: str
    columns: tuple[Column, ...]
    rows: Iterable[Row]
    currency: str
    subtitle: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    totals: Row | None = None
    totals_label: str = "Total"
    rows_key: str = "rows"

    def __post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"report {self.title!r}: duplicate column keys in {keys}")
        clash = (set(self.meta) & (_RESERVED | {self.rows_key})) | (
            {self.rows_key} & _RESERVED
        )
        if clash:
            raise ValueError(f"report {self.title!r}: reserved keys used in meta: {sorted(clash)}")


_Render = Callable[[Any], Any]


def _renderer(column: Column, currency: str) -> _Render:
    """Return the function rendering one column's cells as JSON values."""
    key = column.key
    if column.kind is ColumnKind.MONEY:

        def money(value: Any) -> str | None:
            if type(value) is int:
                return format_minor(value, currency)
            if value is None:
                return None
            if isinstance(value, Money):
                return value.text()
            raise TypeError(f"money cell {value!r} in column {key!r} is not minor units or Money")

        return money
    if column.kind is ColumnKind.DATE:

        def date(value: Any) -> str | None:
            if value is None:
                return None
            return value.isoformat() if isinstance(value, dt.date) else str(value)

        return date
    if column.kind is ColumnKind.INT:

        def integer(value: Any) -> int | None:
            if value is None or type(value) is int:
                return value
            raise TypeError(f"int cell {value!r} in column {key!r} is not an int")

        return integer
    return lambda value: None if value is None else str(value)


def _renderers(report: Report) -> list[tuple[str, _Render]]:
    return [(c.key, _renderer(c, report.currency)) for c in report.columns]


def _meta_value(value: object) -> object:
    if isinstance(value, Money):
        return value.text()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError(f"meta value {value!r} is a float")
    return value


def _is_zero(value: object) -> bool:
    if isinstance(value, Money):
        return value.minor == 0
    return value is None or (type(value) is int and value == 0)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _json_row(renderers: list[tuple[str, _Render]], row: Row) -> dict[str, object]:
    return {key: render(row.get(key)) for key, render in renderers}


def _json_totals(report: Report) -> dict[str, object] | None:
    if report.totals is None:
        return None
    totals = report.totals
    return {key: render(totals[key]) for key, render in _renderers(report) if key in totals}


def _head(report: Report) -> dict[str, object]:
    head: dict[str, object] = {"title": report.title}
    if report.subtitle is not None:
        head["subtitle"] = report.subtitle
    head["currency"] = report.currency
    head.update({k: _meta_value(v) for k, v in report.meta.items()})
    return head


def to_json_obj(report: Report) -> dict[str, object]:
    """Return the report as one JSON-ready dict (materializes the rows)."""
    obj = _head(report)
    renderers = _renderers(report)
    obj[report.rows_key] = [_json_row(renderers, row) for row in report.rows]
    totals = _json_totals(report)
    if totals is not None:
        obj["totals"] = totals
    return obj


def write_json(report: Report, file: TextIO) -> None:
    """Write the report as a JSON object, streaming one row per line."""
    file.write("{\n")
    for key, value in _head(report).items():
        file.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    file.write(f"  {json.dumps(report.rows_key)}: [")
    renderers = _renderers(report)
    first = True
    for row in report.rows:
        file.write("\n    " if first else ",\n    ")
        file.write(json.dumps(_json_row(renderers, row), ensure_ascii=False))
        first = False
    file.write("\n  ]" if not first else "]")
    totals = _json_totals(report)
    if totals is not None:
        file.write(f',\n  "totals": {json.dumps(totals, ensure_ascii=False)}')
    file.write("\n}\n")


def _csv_cells(renderers: list[tuple[str, _Render]], row: Row) -> list[str]:
    cells = [render(row.get(key)) for key, render in renderers]
    return ["" if cell is None else str(cell) for cell in cells]


def _totals_row(report: Report) -> dict[str, Any] | None:
    if report.totals is None:
        return None
    row = dict(report.totals)
    label_key = next(
        (c.key for c in report.columns if c.kind is ColumnKind.TEXT and c.table), None
    )
    if label_key is not None and row.get(label_key) is None:
        row[label_key] = report.totals_label
    return row


def write_csv(report: Report, file: TextIO) -> None:
    """Write the report as CSV: a header of column keys, the rows, then the totals row."""
    writer = csv.writer(file)
    writer.writerow([c.key for c in report.columns])
    renderers = _renderers(report)
    for row in report.rows:
        writer.writerow(_csv_cells(renderers, row))
    totals = _totals_row(report)
    if totals is not None:
        writer.writerow(_csv_cells(renderers, totals))


def _table_cells(
    columns: list[tuple[Column, _Render]], row: Row
) -> Iterator[str]:
    for column, render in columns:
        value = row.get(column.key)
        if column.blank_zero and _is_zero(value):
            yield ""
            continue
        text = _text(render(value))
        if column.indent_key is not None and text:
            text = "  " * int(row.get(column.indent_key) or 0) + text
        yield text


def to_table(report: Report) -> Table:
    """Build a rich Table: money and numbers right-aligned, totals in bold."""
    columns = [(c, _renderer(c, report.currency)) for c in report.columns if c.table]
    table = Table(title=report.title, caption=report.subtitle, show_footer=False)
    for c, _ in columns:
        right = c.kind in (ColumnKind.MONEY, ColumnKind.INT)
        # Text columns keep room for their heading: squeezed to nothing, a party or
        # account name would vanish while the numbers beside it stay.
        table.add_column(c.name, justify="right" if right else "left", no_wrap=right,
                         min_width=None if right else max(len(c.name), 10))
    for row in report.rows:
        table.add_row(*_table_cells(columns, row))
    totals = _totals_row(report)
    if totals is not None:
        table.add_section()
        table.add_row(*_table_cells(columns, totals), style="bold")
    return table
