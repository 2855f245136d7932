"""Connections: health, last sync, lag, pending and failed events; replay dead letters."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ledgerbridge.ledger import LedgerError
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.inbox import replay
from ledgerbridge.sync.status import connection_statuses
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.users import Role

__all__ = ["connections_router"]

LAGGING_AFTER = 900  # seconds an event may wait before its connection shows as lagging


def connections_router(board: Dashboard) -> APIRouter:
    """The connections page, its live table and the replay action."""
    router = APIRouter()
    accountant = board.auth.require(Role.ACCOUNTANT)

    def gather() -> dict:
        with board.engine.connect() as conn:
            return {"statuses": connection_statuses(conn), "lagging_after": LAGGING_AFTER}

    board.live_page(router, "/connections", "Connections", gather)

    @router.post("/connections/{name}/replay")
    def replay_dead(name: str, request: Request,
                    visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Queue the connection's dead and failed events again; workers post them."""
        try:
            with board.engine.begin() as conn:
                count = replay(conn, connection_id=get_connection(conn, name).id)
        except LedgerError as exc:
            return board.back(request, visit, "/connections", str(exc))
        return board.back(request, visit, "/connections",
                          f"Queued {count} events of {name} for replay")

    return router
