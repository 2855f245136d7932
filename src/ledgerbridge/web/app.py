"""The dashboard application factory: one router per area, mounted at ``/``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from ledgerbridge.ledger import LedgerError
from ledgerbridge.web.auth import Auth, Forbidden, LoginRequired
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.routes.anomalies import anomalies_router
from ledgerbridge.web.routes.audit import audit_pages
from ledgerbridge.web.routes.categorize import categorize_router
from ledgerbridge.web.routes.connections import connections_router
from ledgerbridge.web.routes.documents import documents_router
from ledgerbridge.web.routes.exceptions import exceptions_router
from ledgerbridge.web.routes.forecast import forecast_router
from ledgerbridge.web.routes.kpis import kpis_router
from ledgerbridge.web.routes.login import login_router
from ledgerbridge.web.routes.quality import quality_router
from ledgerbridge.web.routes.reconcile import reconcile_router
from ledgerbridge.web.routes.reports import reports_router
from ledgerbridge.web.routes.users import users_router

__all__ = ["dashboard_app"]

STATIC = Path(__file__).with_name("static")
# No framing (a one-click accept must not be clickable through another site's page),
# scripts only from here, no sniffing, no referrer to other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def dashboard_app(engine: Engine, *, auth: Auth | None = None,
                  entity: str = "default") -> FastAPI:
    """The finance dashboard on one database, for one entity's ledger."""
    board = Dashboard(engine, entity, auth or Auth(engine))
    app = FastAPI(title="ledgerbridge dashboard", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (login_router, connections_router, exceptions_router, reconcile_router,
                   reports_router, audit_pages, kpis_router, users_router,
                   anomalies_router, forecast_router, quality_router, categorize_router,
                   documents_router):
        app.include_router(router(board))

    @app.middleware("http")
    async def security_headers(request: Request,
                               call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.exception_handler(LoginRequired)
    def to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(exc.login_url, status_code=303)

    def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return board.templates.TemplateResponse(
            request, "error.html", {"user": None, "title": title, "message": message},
            status_code=status)

    @app.exception_handler(Forbidden)
    def forbidden(request: Request, exc: Forbidden) -> HTMLResponse:
        return error_page(request, 403, "Not allowed", str(exc))

    @app.exception_handler(LedgerError)
    def ledger_error(request: Request, exc: LedgerError) -> HTMLResponse:
        return error_page(request, 400, "Cannot show this", str(exc))

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, exc: RequestValidationError) -> HTMLResponse:
        problems = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())
        return error_page(request, 400, "Cannot show this", problems)

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> HTMLResponse:
        return error_page(request, exc.status_code, "Not found" if exc.status_code == 404
                          else "Cannot show this", str(exc.detail))

    return app
