"""Cash forecast: daily balance bands per bank account and in total, from the books."""

from ledgerbridge.intelligence.forecast.components import STAGE_PROBABILITIES, stage_probability
from ledgerbridge.intelligence.forecast.history import load_history, open_deals
from ledgerbridge.intelligence.forecast.model import (
    BankFlow,
    DayBand,
    Deal,
    Forecast,
    History,
    PartyLine,
    Rate,
    Series,
)
from ledgerbridge.intelligence.forecast.report import Chart, chart, forecast_report, rate_text
from ledgerbridge.intelligence.forecast.simulate import TOTAL, ForecastError, forecast, naive

__all__ = [
    "STAGE_PROBABILITIES",
    "TOTAL",
    "BankFlow",
    "Chart",
    "DayBand",
    "Deal",
    "Forecast",
    "ForecastError",
    "History",
    "PartyLine",
    "Rate",
    "Series",
    "chart",
    "forecast",
    "forecast_report",
    "load_history",
    "naive",
    "open_deals",
    "rate_text",
    "stage_probability",
]
