"""The exceptions queue: what did not flow, why, and what to do."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ledgerbridge.connectors.ramp.attach import link_receipt
from ledgerbridge.intake import IntakeError
from ledgerbridge.ledger import LedgerError
from ledgerbridge.sync.errors import SyncError
from ledgerbridge.sync.inbox import replay
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.queue import (
    HELD_ADVICE,
    MISSING_ADVICE,
    REVIEW_ADVICE,
    dead_commands,
    dead_events,
    decide_review_line,
    held_receipts,
    missing_receipts,
    retry_command,
    review_lines,
)
from ledgerbridge.web.users import Role

__all__ = ["exceptions_router"]


def exceptions_router(board: Dashboard) -> APIRouter:
    """The exceptions page, its live table, replay, retry and review decisions."""
    router = APIRouter()
    accountant = board.auth.require(Role.ACCOUNTANT)

    def gather() -> dict:
        with board.engine.connect() as conn:
            return {"dead": dead_events(conn), "review": review_lines(conn, board.ledger),
                    "review_advice": REVIEW_ADVICE, "commands": dead_commands(conn),
                    "missing": missing_receipts(conn, board.ledger),
                    "missing_advice": MISSING_ADVICE, "held": held_receipts(conn, board.ledger),
                    "held_advice": HELD_ADVICE}

    board.live_page(router, "/exceptions", "Exceptions", gather)

    @router.post("/exceptions/events/{event_id}/replay")
    def replay_event(event_id: int, request: Request,
                     visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Queue one dead event again."""
        with board.engine.begin() as conn:
            count = replay(conn, event_id=event_id)
        notice = (f"Event {event_id} queued for replay" if count
                  else f"Event {event_id} is not waiting for a replay")
        return board.back(request, visit, "/exceptions", notice)

    @router.post("/exceptions/commands/{command_id}/retry")
    def retry(command_id: int, request: Request,
              visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Queue one dead outbox command again."""
        try:
            retry_command(board.engine, command_id)
        except LedgerError as exc:
            return board.back(request, visit, "/exceptions", str(exc))
        return board.back(request, visit, "/exceptions",
                          f"Outbox command {command_id} queued for retry")

    @router.post("/exceptions/receipts/{document_id}/{connection}/{transaction_id}")
    def link(document_id: int, connection: str, transaction_id: str, request: Request,
             visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Tie a receipt held for review to the card line a person picked."""
        try:
            link_receipt(board.ledger, document_id, connection, transaction_id,
                         by=visit.user.name)
        except (IntakeError, LedgerError, SyncError) as exc:
            return board.back(request, visit, "/exceptions", str(exc))
        return board.back(request, visit, "/exceptions", f"Document {document_id} is the "
                          f"receipt of {connection} transaction {transaction_id}")

    @router.post("/exceptions/bank-lines/{line_id}/{decision}")
    def decide(line_id: int, decision: str, request: Request,
               visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Keep or discard a bank line held as a probable duplicate."""
        if decision not in ("keep", "discard"):
            return board.back(request, visit, "/exceptions", f"unknown decision {decision!r}")
        try:
            decide_review_line(board.ledger, line_id, keep=decision == "keep")
        except LedgerError as exc:
            return board.back(request, visit, "/exceptions", str(exc))
        done = "kept for reconciliation" if decision == "keep" else "discarded as a duplicate"
        return board.back(request, visit, "/exceptions", f"Bank line {line_id} {done}")

    return router
