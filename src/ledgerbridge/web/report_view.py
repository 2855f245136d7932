"""Reports as the dashboard offers them: which exist, their dates, and HTML table cells."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import islice
from typing import Literal
from urllib.parse import urlencode

from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.reports import aging, balance_sheet, cash_flow, income_statement
from ledgerbridge.reconcile.payouts import payout_report
from ledgerbridge.report import ColumnKind, Report, to_json_obj

__all__ = ["REPORTS", "Cell", "Period", "ReportKind", "TableView", "table_view"]

Dates = Literal["range", "as_of", "none"]


@dataclass(frozen=True, slots=True)
class Period:
    """The dates a report is asked for (a range, or ``end`` alone as of a day)."""

    start: dt.date
    end: dt.date

    @classmethod
    def year_to_date(cls, start: dt.date | None, end: dt.date | None) -> Period:
        """The given dates; by default from January 1st to today."""
        end = end or dt.date.today()
        return cls(start or end.replace(month=1, day=1), end)

    def query(self, dates: Dates) -> str:
        """The query string that asks for this period again."""
        if dates == "none":
            return ""
        if dates == "as_of":
            return urlencode({"end": self.end})
        return urlencode({"start": self.start, "end": self.end})


@dataclass(frozen=True, slots=True)
class ReportKind:
    """A report the dashboard can show and download."""

    name: str
    title: str
    dates: Dates
    build: Callable[[Ledger, Period], Report]


REPORTS = {k.name: k for k in (
    ReportKind("balance-sheet", "Balance sheet", "as_of",
               lambda ledger, p: balance_sheet(ledger, end=p.end)),
    ReportKind("income-statement", "Income statement", "range",
               lambda ledger, p: income_statement(ledger, start=p.start, end=p.end)),
    ReportKind("cash-flow", "Cash flow", "range",
               lambda ledger, p: cash_flow(ledger, start=p.start, end=p.end)),
    ReportKind("receivables-aging", "Receivables aging", "as_of",
               lambda ledger, p: aging(ledger, "receivable", as_of=p.end)),
    ReportKind("payables-aging", "Payables aging", "as_of",
               lambda ledger, p: aging(ledger, "payable", as_of=p.end)),
    ReportKind("payouts", "Processor payouts", "none",
               lambda ledger, _: payout_report(ledger)),
)}


@dataclass(frozen=True, slots=True)
class Cell:
    """One rendered cell: its text, whether it is a number, a link, an indent."""

    text: str
    numeric: bool = False
    href: str | None = None
    indent: int = 0


@dataclass(frozen=True, slots=True)
class TableView:
    """A report laid out for HTML: headings, rows of cells with a row class, totals."""

    title: str
    subtitle: str | None
    headings: tuple[Cell, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]
    totals: tuple[Cell, ...] | None
    truncated: bool = False


def _is_zero(value: object) -> bool:
    return value is None or value == 0 or getattr(value, "minor", None) == 0


def _href(key: str, raw: dict, account_range: str) -> str | None:
    """Where a cell leads: an account to its entries, an entry to its audit trail."""
    if key in ("code", "amount") and raw.get("code") and raw.get("kind") == "account":
        return f"/accounts/{raw['code']}?{account_range}"
    if key == "entry" and raw.get("entry") is not None:
        return f"/entries/{raw['entry']}"
    return None


def table_view(report: Report, account_range: str = "", *, limit: int | None = None
               ) -> TableView:
    """Lay ``report`` out for HTML, its cells rendered by the report's own renderers.

    With ``limit``, only that many rows are read (a streamed report stops there).
    """
    stream = iter(report.rows)
    raw_rows = list(islice(stream, limit))
    truncated = next(stream, None) is not None
    if hasattr(stream, "close"):
        stream.close()  # ends a server-side cursor early
    shown = [c for c in report.columns if c.table]
    rendered = to_json_obj(replace(report, rows=raw_rows))

    def cells(raw: dict, text: dict) -> tuple[Cell, ...]:
        out = []
        for c in shown:
            value = text.get(c.key)
            blank = c.blank_zero and _is_zero(raw.get(c.key))
            out.append(Cell(
                "" if value is None or blank else str(value),
                numeric=c.kind in (ColumnKind.MONEY, ColumnKind.INT),
                href=_href(c.key, raw, account_range),
                indent=int(raw.get(c.indent_key) or 0) if c.indent_key else 0))
        return tuple(out)

    rows = tuple((str(raw.get("kind", "")), cells(dict(raw), text))
                 for raw, text in zip(raw_rows, rendered[report.rows_key], strict=True))
    totals = None
    if report.totals is not None:
        totals = cells(dict(report.totals), rendered["totals"])
        if totals and not totals[0].text:
            totals = (Cell(report.totals_label), *totals[1:])
    headings = tuple(Cell(c.name, numeric=c.kind in (ColumnKind.MONEY, ColumnKind.INT))
                     for c in shown)
    return TableView(report.title, report.subtitle, headings, rows, totals, truncated)
