"""Who may see and change what: login sessions, roles, CSRF, API bearer tokens.

Every dashboard route depends on :meth:`Auth.require`: without a valid session it
raises :class:`LoginRequired` (answered with a redirect to the login page), with
too small a role :class:`Forbidden` (403), and on a POST it also checks the
session's CSRF token, sent as the ``csrf_token`` form field or the
``X-CSRF-Token`` header. The REST API takes ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import quote

from fastapi import HTTPException, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ledgerbridge.web.session import Session, SessionCodec, secret_key
from ledgerbridge.web.users import Role, User, get_user, user_for_token

__all__ = ["Auth", "Forbidden", "LoginRequired", "Visit"]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """No valid session: the visitor is sent to the login page, then back to ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def login_url(self) -> str:
        """The login page, remembering where the visitor was going."""
        return f"/login?next={quote(self.next_path, safe='/')}"


class Forbidden(Exception):
    """The user's role does not allow this, or the CSRF token is wrong (403)."""


@dataclass(frozen=True, slots=True)
class Visit:
    """A logged-in request: the user and their session."""

    user: User
    session: Session


def safe_next(path: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


class Auth:
    """The dashboard's sessions and permission checks on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @cached_property
    def codec(self) -> SessionCodec:
        """The cookie signer (its key is read or made on first use)."""
        return SessionCodec(secret_key(self.engine))

    def _user(self, session: Session | None) -> User | None:
        if session is None or session.user_id is None:
            return None
        with self.engine.connect() as conn:
            return get_user(conn, session.user_id, since=session.started)

    def require(self, role: Role = Role.VIEWER) -> Callable[[Request], Awaitable[Visit]]:
        """A dependency admitting users with ``role`` or higher (and, on POST, a CSRF token)."""
        async def visit(request: Request) -> Visit:
            session = self.codec.read(request)
            user = await run_in_threadpool(self._user, session)
            if user is None or session is None:
                path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                raise LoginRequired(path if request.method == "GET" else "/")
            if not user.can(role):
                raise Forbidden(f"this needs the {role.value} role; you are a {user.role.value}")
            if request.method == "POST":
                await check_csrf(request, session)
            return Visit(user, session)

        return visit

    async def api_user(self, request: Request) -> User:
        """The user of a REST API call: a bearer token, or a session for reading."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            user = await run_in_threadpool(user_for_token, self.engine, token.strip())
        elif request.method == "GET":
            user = await run_in_threadpool(self._user, self.codec.read(request))
        else:
            user = None
        if user is None:
            raise HTTPException(status_code=401, detail="an API token is needed",
                                headers={"WWW-Authenticate": "Bearer"})
        return user


async def check_csrf(request: Request, session: Session) -> None:
    """Refuse a POST whose CSRF token is not the session's."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf):
        raise Forbidden("the form is out of date or forged (CSRF token mismatch): reload the page")
