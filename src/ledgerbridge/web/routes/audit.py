"""Audit drill-down: an entry, its canonical document, raw payload and connection."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from ledgerbridge.ledger import LedgerError
from ledgerbridge.sync.audit import audit_trail
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.users import Role

__all__ = ["audit_pages"]


def _pretty(text: str) -> str:
    """JSON indented for reading; any other body as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def audit_pages(board: Dashboard) -> APIRouter:
    """The page behind any number: from an entry to the record it came from."""
    router = APIRouter()

    @router.get("/entries/{entry_id}", response_class=HTMLResponse)
    def entry_page(entry_id: int, request: Request,
                   visit: Visit = Depends(board.auth.require(Role.VIEWER))  # noqa: B008
                   ) -> HTMLResponse:
        """The entry's lines and lineage, its document and the raw payload."""
        try:
            trail = audit_trail(board.ledger, entry_id)
        except LedgerError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        return board.render(
            request, visit, "entry.html", title=f"Entry {entry_id}", trail=trail,
            document=None if trail.document is None else json.dumps(
                trail.document["data"], indent=2, ensure_ascii=False),
            raw_body=None if trail.raw is None else _pretty(trail.raw["body"]))

    return router
