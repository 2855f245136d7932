"""The KPIs page: measures from the ledger before and after a baseline date."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.kpis import kpis
from ledgerbridge.web.users import Role

__all__ = ["kpis_router"]


def kpis_router(board: Dashboard) -> APIRouter:
    """The KPIs page."""
    router = APIRouter()

    @router.get("/kpis", response_class=HTMLResponse)
    def kpis_page(request: Request, baseline: dt.date | None = None, end: dt.date | None = None,
                  visit: Visit = Depends(board.auth.require(Role.VIEWER))  # noqa: B008
                  ) -> HTMLResponse:
        """The KPIs; by default the last 30 days against the 30 before."""
        end = end or dt.date.today()
        baseline = baseline or end - dt.timedelta(days=29)
        before, after, rows = kpis(board.ledger, baseline, end)
        return board.render(request, visit, "kpis.html", title="KPIs", baseline=baseline,
                            end=end, before=before, after=after, kpis=rows)

    return router
