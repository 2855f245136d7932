"""The forecast page: a chart of the balance band and the figures behind it."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from ledgerbridge.intelligence.forecast import (
    TOTAL,
    ForecastError,
    chart,
    forecast,
    load_history,
    rate_text,
)
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.users import Role

__all__ = ["forecast_router"]

WEEK = 7  # the table under the chart shows one day a week


def forecast_router(board: Dashboard) -> APIRouter:
    """The forecast page."""
    router = APIRouter()
    viewer = board.auth.require(Role.VIEWER)

    @router.get("/forecast", response_class=HTMLResponse)
    def forecast_page(request: Request, account: str = TOTAL,
                      days: int = Query(91, ge=7, le=366),  # noqa: B008
                      visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
        """Daily balance with its P10-P90 band, for one bank account or all of them."""
        ledger = board.ledger
        try:
            result = forecast(load_history(ledger, dt.date.today()), days)
            series = result.of(account)
        except ForecastError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=str(exc).strip('"')) from None
        return board.render(request, visit, "forecast.html", title="Forecast", result=result,
                            series=series, account=account, days=days,
                            weekly=series.days[WEEK - 1::WEEK], chart=chart(result, account),
                            currency=series.currency,
                            rates=[rate_text(r, result.currency) for r in result.rates])

    return router
