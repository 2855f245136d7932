"""The cash forecast command: daily balance bands as a table, CSV or JSON."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from ledgerbridge.cli.common import (
    DbOption,
    EntityOption,
    Format,
    FormatOption,
    OutputOption,
    fail,
    open_ledger,
)
from ledgerbridge.cli.ledger import emit
from ledgerbridge.intelligence.forecast import (
    TOTAL,
    ForecastError,
    forecast,
    forecast_report,
    load_history,
)

__all__ = ["forecast_command"]


def forecast_command(
    days: Annotated[int, typer.Option(min=1, max=366, help="Days ahead.")] = 91,
    account: Annotated[str, typer.Option(
        help="Bank account code, or 'total' for all bank accounts.")] = TOTAL,
    as_of: Annotated[dt.datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Forecast from the end of this day (default: today).")] = None,
    simulations: Annotated[int, typer.Option(min=10, help="Simulated paths.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same forecast.")] = 0,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Forecast daily bank balances with a P10-P90 band, per account or in total.

    Each account is in its own currency; the total is in the functional currency,
    at the latest rate the ledger knows for each other currency.
    """
    ledger = open_ledger(db, entity)
    day = as_of.date() if as_of else dt.date.today()
    try:
        result = forecast(load_history(ledger, day), days, simulations=simulations, seed=seed)
        report = forecast_report(result, account)
    except (ForecastError, KeyError) as exc:
        raise fail(str(exc).strip('"')) from None
    emit(report, fmt, output)
