"""Log in and out."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge.web.auth import Visit, check_csrf, safe_next
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.session import Session
from ledgerbridge.web.users import authenticate, log_out

__all__ = ["login_router"]


def login_router(board: Dashboard) -> APIRouter:
    """The login page, the login and logout actions and the home redirect."""
    router = APIRouter()
    codec = board.auth.codec

    def login_page(request: Request, session: Session, next_path: str, error: str | None,
                   status_code: int = 200) -> Response:
        response = board.templates.TemplateResponse(
            request, "login.html", {"csrf": session.csrf, "next": next_path, "error": error,
                                    "user": None},
            status_code=status_code)
        codec.write(request, response, session)
        return response

    @router.get("/")
    def home(visit: Visit = Depends(board.auth.require())) -> RedirectResponse:  # noqa: B008
        """The dashboard opens on the connections page."""
        return RedirectResponse("/connections", status_code=303)

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002
        """The login form (it starts a session to carry the CSRF token)."""
        session = codec.read(request) or Session.fresh()
        return login_page(request, replace(session, user_id=None), safe_next(next), None)

    @router.post("/login")
    async def login(request: Request) -> Response:
        """Check the name and password; a new session on success."""
        session = codec.read(request) or Session.fresh()
        await check_csrf(request, session)
        form = await request.form()
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        target = safe_next(str(form.get("next", "/")))
        user = await run_in_threadpool(authenticate, board.engine, name, password)
        if user is None:
            return login_page(request, session, target, "Wrong name or password.", 401)
        response = RedirectResponse(target, status_code=303)
        codec.write(request, response, Session.fresh(user.id))
        return response

    @router.post("/logout")
    def logout(visit: Visit = Depends(board.auth.require())) -> Response:  # noqa: B008
        """End the user's sessions (on every device: a copied cookie stops working too)."""
        log_out(board.engine, visit.user.id)
        response = RedirectResponse("/login", status_code=303)
        codec.clear(response)
        return response

    return router
