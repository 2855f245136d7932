"""The emulated Gusto OAuth2 server: authorization codes, expiring access tokens, rotation.

``POST /oauth/token`` takes the client id and secret (and the redirect URI) as form
fields, like Gusto's. An authorization code is traded once for an access token (two
hours unless told otherwise) and a refresh token. Each refresh token works once:
refreshing answers a new pair, and the spent refresh token is refused from then on
with ``invalid_grant``. An expired or unknown access token gets 401.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading

from ledgerbridge.connectors.gusto.company import GustoError

__all__ = ["ACCESS_SECONDS", "TokenIssuer"]

ACCESS_SECONDS = 7200
"""Gusto's access tokens last two hours."""


class TokenError(GustoError):
    """A refused token request: 400 or 401 with an OAuth2 error code."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(status, error)
        self.error = error


class TokenIssuer:
    """Codes and tokens of one OAuth application (client id and secret)."""

    def __init__(self, client_id: str, client_secret: str, *,
                 access_seconds: int = ACCESS_SECONDS) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.access_seconds = access_seconds
        self.refreshes = 0
        """How many refresh grants were answered (tests count them)."""
        self._codes: set[str] = set()
        self._refresh: set[str] = set()
        self._access: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def authorize(self, client_id: str) -> str:
        """A one-time code for the admin's consent."""
        if client_id != self.client_id:
            raise TokenError(400, "invalid_client")
        code = secrets.token_urlsafe(24)
        self._codes.add(code)
        return code

    def token(self, form: dict[str, str]) -> dict[str, object]:
        """The token endpoint: ``authorization_code`` or ``refresh_token`` grants."""
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id,
                                                                  self.client_secret):
            raise TokenError(401, "invalid_client")
        with self._lock:
            kind = form.get("grant_type")
            if kind == "authorization_code":
                spent, pool = form.get("code", ""), self._codes
            elif kind == "refresh_token":
                spent, pool = form.get("refresh_token", ""), self._refresh
            else:
                raise TokenError(400, "unsupported_grant_type")
            if spent not in pool:
                raise TokenError(400, "invalid_grant")
            pool.discard(spent)
            self.refreshes += kind == "refresh_token"
            refresh, access = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
            self._refresh.add(refresh)
            self._access[access] = (dt.datetime.now(dt.UTC)
                                    + dt.timedelta(seconds=self.access_seconds))
        return {"access_token": access, "token_type": "bearer", "refresh_token": refresh,
                "expires_in": self.access_seconds,
                "created_at": int(dt.datetime.now(dt.UTC).timestamp())}

    def valid(self, access_token: str) -> bool:
        """Whether ``access_token`` was issued here and has not expired."""
        expires = self._access.get(access_token)
        return expires is not None and expires > dt.datetime.now(dt.UTC)

    def expire_access(self) -> None:
        """Expire every access token (refresh tokens keep working)."""
        with self._lock:
            self._access.clear()

    def revoke_refresh(self) -> None:
        """Revoke every refresh token (the admin disconnected the application)."""
        with self._lock:
            self._refresh.clear()

    def issue(self) -> str:
        """A refresh token for a fresh consent (what a connection can be set up with)."""
        answer = self.token({"grant_type": "authorization_code",
                             "code": self.authorize(self.client_id),
                             "client_id": self.client_id, "client_secret": self.client_secret})
        return str(answer["refresh_token"])
