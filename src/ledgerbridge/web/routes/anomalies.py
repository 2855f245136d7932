"""The anomalies page: open flags with their reasons, a scan button, one-click dismiss."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.intelligence.anomalies import FlagStatus, dismiss, list_flags, scan
from ledgerbridge.ledger import LedgerError
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.users import Role

__all__ = ["anomalies_router"]

DISMISSED_SHOWN = 50  # most recent dismissals listed under the open flags


def anomalies_router(board: Dashboard) -> APIRouter:
    """The anomalies page, a scan and the dismissal of one flag."""
    router = APIRouter()
    viewer, accountant = board.auth.require(Role.VIEWER), board.auth.require(Role.ACCOUNTANT)

    @router.get("/anomalies", response_class=HTMLResponse)
    def anomalies_page(request: Request,
                       visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
        """Open flags, highest score first, and the latest dismissed ones."""
        entity_id = board.ledger.entity.id
        with board.engine.connect() as conn:
            open_flags = list_flags(conn, entity_id, status=FlagStatus.OPEN)
            dismissed = list_flags(conn, entity_id, status=FlagStatus.DISMISSED)
        return board.render(request, visit, "anomalies.html", title="Anomalies",
                            flags=open_flags, dismissed=dismissed[:DISMISSED_SHOWN])

    @router.post("/anomalies/scan")
    def scan_now(request: Request, visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Check the whole books now."""
        result = scan(board.ledger)
        return board.back(request, visit, "/anomalies",
                          f"{result.outflows} outflows checked: {result.flags} flags, "
                          f"{result.new} of them new")

    @router.post("/anomalies/{flag_id}/dismiss")
    def dismiss_flag(flag_id: int, request: Request,
                     visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Dismiss a flag as a false alarm; it stays dismissed when found again."""
        try:
            with board.engine.begin() as conn:
                flag = dismiss(conn, board.ledger.entity.id, flag_id, visit.user.name)
        except LedgerError as exc:
            return board.back(request, visit, "/anomalies", str(exc))
        return board.back(request, visit, "/anomalies", f"Flag {flag.id} ({flag.kind}) dismissed")

    return router
