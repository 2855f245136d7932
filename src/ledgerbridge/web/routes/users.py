"""Users (admins only): who has access, with which role; add a user."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge.web.auth import Visit
from ledgerbridge.web.context import Dashboard
from ledgerbridge.web.users import Role, UserError, add_user, list_users

__all__ = ["users_router"]


def users_router(board: Dashboard) -> APIRouter:
    """The users page and the add-user action."""
    router = APIRouter()
    admin = board.auth.require(Role.ADMIN)

    @router.get("/users", response_class=HTMLResponse)
    def users(request: Request, visit: Visit = Depends(admin)) -> HTMLResponse:  # noqa: B008
        """Every active user and their role."""
        with board.engine.connect() as conn:
            everyone = list_users(conn)
        return board.render(request, visit, "users.html", title="Users", users=everyone,
                            roles=list(Role))

    @router.post("/users")
    async def add(request: Request, name: str = Form(...), role: Role = Form(...),  # noqa: B008
                  password: str = Form(...),  # noqa: B008
                  visit: Visit = Depends(admin)) -> Response:  # noqa: B008
        """Add a user with a role and a first password."""
        try:
            user = await run_in_threadpool(add_user, board.engine, name, password, role)
        except UserError as exc:
            return board.back(request, visit, "/users", str(exc))
        return board.back(request, visit, "/users", f"Added {user.name} ({user.role.value})")

    return router
