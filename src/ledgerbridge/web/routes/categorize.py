"""The categorization review queue: lines below the threshold, top suggestions, one click."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.intelligence.categorize import CategorizeError
from ledgerbridge.intelligence.categorize.coding import code_line, suggest
from ledgerbridge.intelligence.categorize.versions import DEFAULT_THRESHOLD
from ledgerbridge.ledger import LedgerError
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.users import Role

__all__ = ["categorize_router"]


def categorize_router(board: Dashboard) -> APIRouter:
    """The review page and its decision: code a line to the account chosen."""
    router = APIRouter()
    viewer, accountant = board.auth.require(Role.VIEWER), board.auth.require(Role.ACCOUNTANT)

    @router.get("/categorize", response_class=HTMLResponse)
    def review_page(request: Request, threshold: float = DEFAULT_THRESHOLD,
                    visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
        """Open lines the model is not sure of, each with its three best accounts and why."""
        ledger = board.ledger
        threshold = min(max(threshold, 0.01), 1.0)
        try:
            stored, items = suggest(ledger)
        except CategorizeError as exc:
            stored, items, missing = None, [], str(exc)
        else:
            missing = None
        accounts = [(a.code, a.name) for a in ledger.accounts() if a.active]
        return board.render(request, visit, "categorize.html", title="Categorize",
                            queue=[i for i in items if not i.sure(threshold)],
                            sure=sum(1 for i in items if i.sure(threshold)),
                            version=stored.version if stored else None, missing=missing,
                            threshold=threshold, accounts=accounts,
                            currency=ledger.entity.functional_currency)

    @router.post("/categorize/{line_id}/code")
    def code(line_id: int, request: Request, account: str = Form(...),  # noqa: B008
             visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Code one line to the account chosen; it is remembered for the merchant."""
        try:
            coded = code_line(board.ledger, line_id, account)
        except (CategorizeError, LedgerError) as exc:
            return board.back(request, visit, "/categorize", str(exc))
        notice = (f"Bank line {line_id} coded to {account}" if coded else
                  f"Bank line {line_id} has a match proposal: see Reconcile")
        return board.back(request, visit, "/categorize", notice)

    return router
