"""The emulated Xero identity service: authorization codes, rotating tokens, connections.

An authorization code is exchanged once for an access token (30 minutes) and a
refresh token. Each refresh token works once: refreshing returns a new one and the
old one is refused from then on (``invalid_grant``), as Xero rotates them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass, field

from ledgerbridge.connectors.xero.org import Organisation, XeroError

__all__ = ["ACCESS_SECONDS", "Grant", "Identity"]

ACCESS_SECONDS = 1800


@dataclass
class Grant:
    """What one consent gave: the tenants reachable and the tokens issued for them."""

    tenants: tuple[Organisation, ...]
    auth_event_id: str
    refresh_token: str = ""
    access: dict[str, dt.datetime] = field(default_factory=dict)


def _grant_error(kind: str) -> XeroError:
    return XeroError(400, {"error": kind})


class Identity:
    """Codes, tokens and connections for one app (client id and secret)."""

    def __init__(self, client_id: str, client_secret: str,
                 tenants: tuple[Organisation, ...]) -> None:
        self.client_id, self.client_secret, self.tenants = client_id, client_secret, tenants
        self._codes: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self._grants: list[Grant] = []
        self._lock = threading.Lock()

    def authorize(self, client_id: str) -> str:
        """A one-time code for a user's consent to every tenant."""
        if client_id != self.client_id:
            raise _grant_error("unauthorized_client")
        code = secrets.token_urlsafe(24)
        grant = Grant(self.tenants, secrets.token_hex(16))
        self._codes[code] = grant
        self._grants.append(grant)
        return code

    def token(self, form: dict[str, str], client_id: str, client_secret: str) -> dict:
        """The token endpoint: ``authorization_code`` or ``refresh_token`` grants."""
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            raise _grant_error("invalid_client")
        with self._lock:
            kind = form.get("grant_type")
            if kind == "authorization_code":
                grant = self._codes.pop(form.get("code", ""), None)
            elif kind == "refresh_token":
                grant = self._refresh.pop(form.get("refresh_token", ""), None)
            else:
                raise _grant_error("unsupported_grant_type")
            if grant is None:
                raise _grant_error("invalid_grant")
            grant.refresh_token = secrets.token_urlsafe(32)
            self._refresh[grant.refresh_token] = grant
            access = secrets.token_urlsafe(48)
            grant.access[access] = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ACCESS_SECONDS)
        return {"access_token": access, "expires_in": ACCESS_SECONDS, "token_type": "Bearer",
                "refresh_token": grant.refresh_token,
                "scope": "offline_access accounting.transactions accounting.contacts"}

    def grant_of(self, authorization: str) -> Grant:
        """The grant an unexpired ``Bearer`` access token belongs to; 401 otherwise."""
        token = authorization.removeprefix("Bearer ").strip()
        now = dt.datetime.now(dt.UTC)
        for grant in self._grants:
            expires = grant.access.get(token)
            if expires is not None and expires > now:
                return grant
        raise XeroError(401, {"Type": None, "Title": "Unauthorized", "Status": 401,
                              "Detail": "AuthenticationUnsuccessful"},
                        {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    def expire_access(self) -> None:
        """Expire every access token (refresh tokens keep working)."""
        for grant in self._grants:
            grant.access.clear()

    def issue(self) -> str:
        """A refresh token for a fresh consent (what a connection is set up with)."""
        code = self.authorize(self.client_id)
        return self.token({"grant_type": "authorization_code", "code": code},
                          self.client_id, self.client_secret)["refresh_token"]
