"""``GET /api/entries/{id}/audit``: the entry, its document, raw payload and connection."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import Engine

from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.sync.audit import audit_trail

__all__ = ["audit_router"]


def audit_router(engine: Engine) -> APIRouter:
    """Audit-trail routes bound to one database."""
    router = APIRouter(prefix="/api", tags=["audit"])

    @router.get("/entries/{entry_id}/audit")
    def entry_audit(entry_id: int, entity: str = "default") -> dict[str, Any]:
        """Walk GL entry -> canonical document -> raw payload -> connection."""
        try:
            return audit_trail(Ledger(engine, entity), entry_id).to_dict()
        except LedgerError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    return router
