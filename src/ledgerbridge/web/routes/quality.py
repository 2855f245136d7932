"""The data quality page: audit findings and contact merge proposals; accept, undo."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.ledger import LedgerError
from ledgerbridge.quality import CHECKS, accept, audit, merges, resolve_contacts, undo
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.users import Role

__all__ = ["quality_router"]

_ACTIONS = {"accept": (accept, "accepted"), "undo": (undo, "undone")}


def quality_router(board: Dashboard) -> APIRouter:
    """The data quality page and its decisions."""
    router = APIRouter()
    viewer, accountant = board.auth.require(Role.VIEWER), board.auth.require(Role.ACCOUNTANT)

    @router.get("/quality", response_class=HTMLResponse)
    def quality_page(request: Request,
                     visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
        """Findings of the data audit, open merge proposals and accepted merges."""
        ledger = board.ledger
        findings = audit(ledger)
        counts = {check: sum(f.check == check for f in findings) for check in CHECKS}
        return board.render(request, visit, "quality.html", title="Data quality",
                            findings=findings, counts=counts, checks=CHECKS,
                            proposals=merges(ledger, "proposed"),
                            accepted=merges(ledger, "accepted"))

    @router.post("/quality/resolve")
    def resolve_page(request: Request,
                     visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Resolve contacts again and refresh the proposals."""
        result = resolve_contacts(board.ledger)
        return board.back(request, visit, "/quality",
                          f"{result.records} contacts form {result.clusters} companies; "
                          f"{result.proposals} merges proposed")

    @router.post("/quality/merges/{merge_id}/{action}")
    def decide(merge_id: int, action: str, request: Request,
               visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Accept or undo one merge."""
        if action not in _ACTIONS:
            return board.back(request, visit, "/quality", f"unknown action {action!r}")
        act, done = _ACTIONS[action]
        try:
            merge = act(board.ledger, merge_id)
        except LedgerError as exc:
            return board.back(request, visit, "/quality", str(exc))
        return board.back(request, visit, "/quality",
                          f"Merge {merge.id} {done} (contact {merge.contact_id})")

    return router
