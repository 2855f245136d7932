"""The documents page: received supplier documents, upload, approve, post, open the file."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.intake import IntakeError, IntakeStore
from ledgerbridge.intake.upload import UploadError, read_upload
from ledgerbridge.ledger import LedgerError
from ledgerbridge.mapping import load_rules
from ledgerbridge.sync.errors import FatalError
from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.users import Role

__all__ = ["documents_router"]

# Shown in the browser; anything else is downloaded, never rendered from this site.
INLINE = ("application/pdf", "application/xml", "image/png", "image/jpeg", "image/gif",
          "image/tiff")


def documents_router(board: Dashboard) -> APIRouter:
    """The documents page, upload, approval, posting and the original files."""
    router = APIRouter()
    viewer, accountant = board.auth.require(Role.VIEWER), board.auth.require(Role.ACCOUNTANT)

    @router.get("/documents", response_class=HTMLResponse)
    def documents_page(request: Request, status: str | None = None,
                       visit: Visit = Depends(viewer)) -> HTMLResponse:  # noqa: B008
        """Every stored document, newest first, with its status, coding and approval."""
        docs = IntakeStore(board.ledger).list(status or None)
        return board.render(request, visit, "documents.html", title="Documents",
                            documents=docs[::-1], status=status or "")

    @router.post("/documents/upload")
    async def upload(request: Request,
                     visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Store an uploaded file; it is read, checked and coded, never posted."""
        try:
            content, name = await read_upload(request)
        except UploadError as exc:
            return board.back(request, visit, "/documents", f"Not uploaded: {exc}")
        added = await run_in_threadpool(IntakeStore(board.ledger).add, content, name)
        doc = added.document
        said = "stored" if added.new else "already stored"
        return board.back(request, visit, "/documents",
                          f"{name}: {said} as document {doc.id}, {doc.status}")

    @router.post("/documents/{document_id}/approve")
    def approve(document_id: int, request: Request,
                visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Approve a ready document for posting, as the logged-in user."""
        try:
            doc = IntakeStore(board.ledger).approve(document_id, visit.user.name)
        except IntakeError as exc:
            return board.back(request, visit, "/documents", str(exc))
        return board.back(request, visit, "/documents",
                          f"Document {doc.id} approved by {doc.approved_by}")

    @router.post("/documents/{document_id}/post")
    def post(document_id: int, request: Request,
             visit: Visit = Depends(accountant)) -> Response:  # noqa: B008
        """Post an approved document with the built-in posting rules."""
        store = IntakeStore(board.ledger)
        try:
            entry_id = store.post(document_id, load_rules(None), by=visit.user.name)
        except (IntakeError, LedgerError, FatalError) as exc:
            return board.back(request, visit, "/documents", f"Not posted: {exc}")
        return board.back(request, visit, "/documents",
                          f"Document {document_id} posted as entry {entry_id}")

    @router.get("/documents/{document_id}/file")
    def original(document_id: int, visit: Visit = Depends(viewer)) -> Response:  # noqa: B008
        """The file as it was received: shown inline when a browser shows it safely."""
        store = IntakeStore(board.ledger)
        try:
            doc = store.get(document_id)
        except IntakeError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        inline = doc.media_type in INLINE
        disposition = f"{'inline' if inline else 'attachment'}; filename*=UTF-8''"
        return Response(store.content(document_id),
                        media_type=doc.media_type if inline else "application/octet-stream",
                        headers={"Content-Disposition": disposition + quote(doc.file_name)})

    return router
