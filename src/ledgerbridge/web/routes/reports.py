"""Reports with period pickers and a CSV download of the same Report."""

from __future__ import annotations

import datetime as dt
import io

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.ledger import LedgerError
from ledgerbridge.ledger.reports import general_ledger
from ledgerbridge.report import write_csv
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.report_view import REPORTS, Period, ReportKind, table_view
from ledgerbridge.web.users import Role

__all__ = ["reports_router"]

ACCOUNT_ROWS = 2000  # lines shown on an account's page; the rest by narrowing the dates


def _kind(name: str) -> ReportKind:
    kind = REPORTS.get(name)
    if kind is None:
        raise HTTPException(status_code=404, detail=f"no report {name!r}")
    return kind


def reports_router(board: Dashboard) -> APIRouter:
    """The report list, each report as a page and as CSV."""
    router = APIRouter()
    viewer = board.auth.require(Role.VIEWER)

    @router.get("/reports", response_class=HTMLResponse)
    def reports(request: Request, visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
        """The reports on offer."""
        return board.render(request, visit, "reports.html", title="Reports",
                            reports=REPORTS.values())

    @router.get("/reports/{name}.csv")
    def report_csv(name: str, start: dt.date | None = None, end: dt.date | None = None,
                   visit: Visit = Depends(viewer)) -> Response:  # noqa: B008
        """The report as CSV, exactly as ``ledgerbridge`` writes it."""
        out = io.StringIO()
        write_csv(_kind(name).build(board.ledger, Period.year_to_date(start, end)), out)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"'})

    @router.get("/reports/{name}", response_class=HTMLResponse)
    def report_page(name: str, request: Request, start: dt.date | None = None,
                    end: dt.date | None = None,
                    visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
        """One report for a period; accounts lead to their entries."""
        kind = _kind(name)
        period = Period.year_to_date(start, end)
        account_range = period.query("range" if kind.dates == "range" else "as_of")
        view = table_view(kind.build(board.ledger, period), account_range)
        return board.render(request, visit, "report.html", title=kind.title, kind=kind,
                            period=period, view=view,
                            csv_url=f"/reports/{name}.csv?{period.query(kind.dates)}")

    @router.get("/accounts/{code}", response_class=HTMLResponse)
    def account_entries(code: str, request: Request, start: dt.date | None = None,
                        end: dt.date | None = None,
                        visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
        """An account's lines with a running balance; each entry leads to its audit trail."""
        try:
            report = general_ledger(board.ledger, code, start=start, end=end)
            view = table_view(report, limit=ACCOUNT_ROWS)
        except LedgerError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        return board.render(request, visit, "account.html", title=f"Account {code}",
                            view=view)

    return router
