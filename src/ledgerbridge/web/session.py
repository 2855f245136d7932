"""The signed session cookie: who is logged in, the CSRF token, a one-shot notice."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field, replace

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from ledgerbridge.store.tables import dashboard_secrets

__all__ = ["COOKIE", "MAX_AGE", "Session", "SessionCodec", "secret_key"]

COOKIE = "lb_session"
MAX_AGE = 12 * 3600  # seconds a login lasts
_KEY_NAME = "session_key"


def secret_key(engine: Engine) -> str:
    """``LEDGERBRIDGE_SECRET_KEY``, else a key generated once and kept in the database."""
    configured = os.environ.get("LEDGERBRIDGE_SECRET_KEY")
    if configured:
        return configured
    query = select(dashboard_secrets.c.value).where(dashboard_secrets.c.name == _KEY_NAME)
    with engine.begin() as conn:
        stored = conn.execute(query).scalar()
    if stored is not None:
        return stored
    try:
        with engine.begin() as conn:
            conn.execute(insert(dashboard_secrets).values(name=_KEY_NAME,
                                                          value=secrets.token_urlsafe(48)))
    except IntegrityError:  # another process stored one first: use theirs
        pass
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


@dataclass(frozen=True, slots=True)
class Session:
    """What the cookie holds: user (None before login), CSRF token, login time, notice."""

    user_id: int | None
    csrf: str
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    notice: str | None = None

    @classmethod
    def fresh(cls, user_id: int | None = None) -> Session:
        """A new session with a new CSRF token (a login gets one, against fixation)."""
        return cls(user_id, secrets.token_urlsafe(32))

    @property
    def expired(self) -> bool:
        """Whether it began longer ago than a login lasts."""
        return (dt.datetime.now(dt.UTC) - self.started).total_seconds() > MAX_AGE


class SessionCodec:
    """Signs sessions into cookies and reads them back."""

    def __init__(self, key: str) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="ledgerbridge.session")

    def read(self, request: Request) -> Session | None:
        """The request's session, or None when there is none or it is forged or expired."""
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not {"c", "t"} <= data.keys():
            return None  # signed by us, but not a session this version understands
        started = dt.datetime.fromtimestamp(data["t"], dt.UTC)
        session = Session(data.get("u"), data["c"], started, data.get("n"))
        return None if session.expired else session

    def write(self, request: Request, response: Response, session: Session) -> None:
        """Set the cookie: HttpOnly, SameSite=Lax, Secure when served over https."""
        value = self._serializer.dumps({"u": session.user_id, "c": session.csrf,
                                        "t": session.started.timestamp(),
                                        "n": session.notice})
        response.set_cookie(COOKIE, value, max_age=MAX_AGE, path="/", httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")

    def with_notice(self, request: Request, response: Response, session: Session,
                    notice: str | None) -> None:
        """Keep ``session`` with a notice to show on the next page (None clears it)."""
        self.write(request, response, replace(session, notice=notice))

    @staticmethod
    def clear(response: Response) -> None:
        """Forget the session (logout)."""
        response.delete_cookie(COOKIE, path="/")
