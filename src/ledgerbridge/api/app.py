"""The FastAPI application factory: one router per area."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from sqlalchemy import Engine, text

from ledgerbridge.api.audit import audit_router
from ledgerbridge.api.documents import documents_api
from ledgerbridge.api.unified import install_unified_api
from ledgerbridge.api.webhooks import webhook_router
from ledgerbridge.web import Auth, dashboard_app

__all__ = ["create_app"]


def create_app(engine: Engine) -> FastAPI:
    """The ledgerbridge web application on one database; the dashboard is served at ``/``.

    The webhook gateway and health are open (webhooks carry their own signatures);
    the REST API needs a bearer token, the dashboard a login.
    """
    app = FastAPI(title="ledgerbridge", version="0.1.0",
                  description="Webhook gateway and API of the ledgerbridge ledger.")
    auth = Auth(engine)
    app.include_router(webhook_router(engine))
    app.include_router(audit_router(engine), dependencies=[Depends(auth.api_user)])
    app.include_router(documents_api(engine, auth))
    install_unified_api(app, engine, auth)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness and database reachability."""
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.mount("/", dashboard_app(engine, auth=auth))  # last: it answers every other path
    return app
