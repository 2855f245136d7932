"""The FastAPI application factory: one router per area."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine, text

from ledgerbridge.api.audit import audit_router
from ledgerbridge.api.webhooks import webhook_router

__all__ = ["create_app"]


def create_app(engine: Engine) -> FastAPI:
    """The ledgerbridge web application on one database."""
    app = FastAPI(title="ledgerbridge", version="0.1.0",
                  description="Webhook gateway and API of the ledgerbridge ledger.")
    app.include_router(webhook_router(engine))
    app.include_router(audit_router(engine))

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness and database reachability."""
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app
