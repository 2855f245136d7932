"""The forecast as a Report (table, CSV, JSON) and as points of a chart."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.intelligence.forecast.model import Forecast
from ledgerbridge.intelligence.forecast.simulate import TOTAL
from ledgerbridge.money import format_minor
from ledgerbridge.report import Column, ColumnKind, Report

__all__ = ["Chart", "chart", "forecast_report"]


def forecast_report(result: Forecast, account: str = TOTAL) -> Report:
    """One row per day: the 10th, 50th and 90th percentile balance of ``account``."""
    series = result.of(account)
    name = "all bank accounts" if account == TOTAL else f"account {account}"
    return Report(
        title=f"Cash forecast, {name}",
        subtitle=f"from {result.as_of}, {len(series.days)} days, "
                 f"{result.simulations} simulations (seed {result.seed})",
        columns=(Column("date", "Date", ColumnKind.DATE),
                 Column("low", "Low (P10)", ColumnKind.MONEY),
                 Column("median", "Median", ColumnKind.MONEY),
                 Column("high", "High (P90)", ColumnKind.MONEY)),
        rows=[{"date": d.date, "low": d.low, "median": d.median, "high": d.high}
              for d in series.days],
        currency=result.currency,
        meta={"as_of": result.as_of, "account": account,
              "start_balance": _text(series.start, result.currency),
              "accounts": [s.account for s in result.series],
              "components": {k: _text(v, result.currency) for k, v in
                             sorted(result.components.items())}},
    )


def _text(minor: int, currency: str) -> str:
    return format_minor(minor, currency)


@dataclass(frozen=True, slots=True)
class Chart:
    """SVG coordinates of a forecast: the band as a polygon, the median as a line."""

    width: int
    height: int
    band: str
    line: str
    top: int
    bottom: int
    last: str


def chart(result: Forecast, account: str = TOTAL, *, width: int = 720,
          height: int = 240) -> Chart:
    """Points of the band (P10 to P90) and of the median, scaled to ``width`` x ``height``."""
    series = result.of(account)
    days = series.days
    top = max(max(d.high for d in days), series.start)
    bottom = min(min(d.low for d in days), series.start)
    span = max(top - bottom, 1)

    def x(i: int) -> int:
        return round(i * width / max(len(days), 1))

    def y(value: int) -> int:
        return round((top - value) * height / span)

    upper = [f"{x(i + 1)},{y(d.high)}" for i, d in enumerate(days)]
    lower = [f"{x(i + 1)},{y(d.low)}" for i, d in reversed(list(enumerate(days)))]
    start = f"0,{y(series.start)}"
    line = [start] + [f"{x(i + 1)},{y(d.median)}" for i, d in enumerate(days)]
    return Chart(width, height, " ".join([start, *upper, *lower]), " ".join(line), top, bottom,
                 str(days[-1].date))
