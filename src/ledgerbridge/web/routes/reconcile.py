"""The reconciliation workspace: suggested matches per bank line; accept, reject, undo."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.ledger import LedgerError
from ledgerbridge.reconcile import accept, reject, run, undo
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.users import Role
from ledgerbridge.web.workspace import bank_accounts, workspace

__all__ = ["reconcile_router"]


def _accepted(entry_id: int | None) -> str:
    return f"accepted; posted entry {entry_id}" if entry_id else "accepted"


def _undone(entry_id: int | None) -> str:
    return f"undone; reversal entry {entry_id}" if entry_id else "undone"


_ACTIONS = {"accept": (accept, _accepted), "reject": (reject, lambda _: "rejected"),
            "undo": (undo, _undone)}


def reconcile_router(board: Dashboard) -> APIRouter:
    """The workspace page and its one-click decisions."""
    router = APIRouter()
    viewer, accountant = board.auth.require(Role.VIEWER), board.auth.require(Role.ACCOUNTANT)

    def back(request: Request, visit: Visit, account: str, notice: str) -> Response:
        return board.back(request, visit, f"/reconcile?account={quote(account)}", notice)

    @router.get("/reconcile", response_class=HTMLResponse)
    def reconcile_page(request: Request, account: str | None = None,
                       visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
        """Unreconciled lines of one bank account with their suggestions."""
        ledger = board.ledger
        with board.engine.connect() as conn:
            choices = bank_accounts(conn, ledger)
            chosen = account or (choices[0][0] if choices else "")
            view = workspace(conn, ledger, chosen)
        return board.render(request, visit, "reconcile.html", title="Reconciliation",
                            accounts=choices, view=view,
                            currency=ledger.entity.functional_currency)

    @router.post("/reconcile/run")
    def run_matcher(request: Request, account: str = Form(...),  # noqa: B008
                    visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Propose matches for the account's open lines (the sure ones are accepted)."""
        try:
            result = run(board.ledger, account=account)
        except LedgerError as exc:
            return back(request, visit, account, str(exc))
        return back(request, visit, account,
                    f"{result.bank_lines} bank lines: {result.auto_accepted} reconciled "
                    f"automatically, {result.suggested} suggested, {result.unmatched} "
                    "without a match")

    @router.post("/reconcile/{reconciliation_id}/{action}")
    def decide(reconciliation_id: int, action: str, request: Request,
               account: str = Form(...),  # noqa: B008
               visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Accept, reject or undo one reconciliation."""
        if action not in _ACTIONS:
            return back(request, visit, account, f"unknown action {action!r}")
        act, says = _ACTIONS[action]
        try:
            outcome = act(board.ledger, reconciliation_id)
        except LedgerError as exc:
            return back(request, visit, account, str(exc))
        return back(request, visit, account,
                    f"Reconciliation {reconciliation_id} {says(outcome)}")

    return router
