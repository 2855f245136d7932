"""``POST /api/documents``: upload a supplier document into the document store.

The raw bytes are always kept, whatever they turn out to be: an unreadable file is
stored as ``unreadable`` with the reason, like ``ledgerbridge documents add``.
``POST /api/documents/{id}/approve`` approves one, as ``documents approve`` does (a
document held by its findings or by anomaly flags gets 409 with the reasons). Errors
are RFC 7807 problem documents.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from ledgerbridge.intake import IntakeError, IntakeStore
from ledgerbridge.intake.upload import UploadError, read_upload
from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.web.auth import Auth
from ledgerbridge.web.users import Role, User

__all__ = ["documents_api"]

PROBLEM = "application/problem+json"


def _problem(request: Request, status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status,
                         "detail": detail, "instance": request.url.path},
                        status_code=status, media_type=PROBLEM)


def documents_api(engine: Engine, auth: Auth) -> APIRouter:
    """The document upload and approval routes, behind an accountant's or admin's token."""
    router = APIRouter(prefix="/api", tags=["documents"])

    @router.post("/documents", status_code=201)
    async def upload_document(request: Request, entity: str = "default",
                              user: User = Depends(auth.api_user)  # noqa: B008
                              ) -> Any:
        """Store an uploaded file (field ``file``), read, check and code it.

        201 with the document when it is new, 200 with the stored one when the same
        bytes were uploaded before.
        """
        if not user.can(Role.ACCOUNTANT):
            return _problem(request, 403, "Forbidden", f"uploading needs the accountant role; "
                            f"{user.name} is a {user.role.value}")
        try:
            content, name = await read_upload(request)
            store = IntakeStore(Ledger(engine, entity))
            added = await run_in_threadpool(store.add, content, name)
        except UploadError as exc:
            return _problem(request, exc.status, "Bad upload", str(exc))
        except LedgerError as exc:
            return _problem(request, 404, "Unknown entity", str(exc))
        return JSONResponse(added.document.to_dict() | {"new": added.new},
                            status_code=201 if added.new else 200)

    @router.post("/documents/{document_id}/approve")
    async def approve_document(request: Request, document_id: int, entity: str = "default",
                               allow_duplicate: bool = False,
                               user: User = Depends(auth.api_user)  # noqa: B008
                               ) -> Any:
        """Approve a document for posting as the token's user; 409 says what holds it.

        ``allow_duplicate`` approves one flagged only as a possible repeat of another.
        """
        if not user.can(Role.ACCOUNTANT):
            return _problem(request, 403, "Forbidden", f"approving needs the accountant role; "
                            f"{user.name} is a {user.role.value}")
        try:
            store = IntakeStore(Ledger(engine, entity))
            await run_in_threadpool(store.get, document_id)
        except (IntakeError, LedgerError) as exc:
            return _problem(request, 404, "Not found", str(exc))
        try:
            doc = await run_in_threadpool(store.approve, document_id, user.name,
                                          allow_duplicate=allow_duplicate)
        except IntakeError as exc:
            return _problem(request, 409, "Not approved", str(exc))
        return doc.to_dict()

    return router
