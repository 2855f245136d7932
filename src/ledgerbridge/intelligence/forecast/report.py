"""The forecast as a Report (table, CSV, JSON) and as points of a chart."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.intelligence.forecast.model import Forecast, Rate
from ledgerbridge.intelligence.forecast.simulate import TOTAL
from ledgerbridge.money import format_minor
from ledgerbridge.report import Column, ColumnKind, Report

__all__ = ["Chart", "chart", "forecast_report", "rate_text"]


def forecast_report(result: Forecast, account: str = TOTAL) -> Report:
    """One row per day: the 10th, 50th and 90th percentile balance of ``account``.

    In the account's currency (the total: the functional one), named in the title,
    in a ``currency`` column of the CSV and JSON rows, and in the JSON head with
    the currency of each account and, for the total, the rates it converted at.
    """
    series = result.of(account)
    currency = series.currency
    name = "all bank accounts" if account == TOTAL else f"account {account}"
    subtitle = (f"from {result.as_of}, {len(series.days)} days, "
                f"{result.simulations} simulations (seed {result.seed})")
    if account == TOTAL and result.rates:
        subtitle += "; at " + ", ".join(rate_text(r, result.currency) for r in result.rates)
    meta = {"as_of": result.as_of, "account": account,
            "start_balance": _text(series.start, currency),
            "accounts": [s.account for s in result.series],
            "account_currencies": {s.account: s.currency for s in result.series
                                   if s.account != TOTAL},
            "components_currency": result.currency,
            "components": {k: _text(v, result.currency) for k, v in
                           sorted(result.components.items())}}
    if account == TOTAL:
        meta["rates"] = [{"currency": r.currency, "rate": str(r.rate), "date": r.date.isoformat()}
                         for r in result.rates]
    return Report(
        title=f"Cash forecast, {name}, in {currency}",
        subtitle=subtitle,
        columns=(Column("date", "Date", ColumnKind.DATE),
                 Column("low", "Low (P10)", ColumnKind.MONEY),
                 Column("median", "Median", ColumnKind.MONEY),
                 Column("high", "High (P90)", ColumnKind.MONEY),
                 Column("currency", "Currency", table=False)),
        rows=[{"date": d.date, "low": d.low, "median": d.median, "high": d.high,
               "currency": currency} for d in series.days],
        currency=currency,
        meta=meta,
    )


def rate_text(rate: Rate, functional: str) -> str:
    """A rate as a reader says it: ``1 USD = 0.92 EUR (2026-03-31)``."""
    return f"1 {rate.currency} = {rate.rate} {functional} ({rate.date})"


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
