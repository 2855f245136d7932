"""OAuth2 tokens of one connection, encrypted in its stored secrets and refreshed in turn.

Vendors such as Intuit and Xero rotate refresh tokens: each refresh answers a new
one and the old one soon stops working, so a rotated token that is not stored at
once locks the connection out. Here a refresh happens under a lock on the
connection's row (one refresh at a time, across threads and processes), reads the
tokens again inside that lock (someone else may just have refreshed), and stores
the answer in the same transaction.

On SQLite a worker holds the database write lock while it normalizes a batch; a
refresh made then (the lock does not come within a second) is used at once and
stored by a background thread as soon as the batch commits; until then every
session of the process uses it, so the spent refresh token is not sent again.

Tokens are kept as one Fernet token under the ``oauth_tokens`` secret, keyed from
``LEDGERBRIDGE_SECRET_KEY`` or else the key the dashboard generated once and keeps
in the database, so the database alone does not reveal them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import OperationalError

from ledgerbridge.connectors.base import Connector, Settings
from ledgerbridge.connectors.http import request
from ledgerbridge.store.tables import connections
from ledgerbridge.sync.errors import FatalError

__all__ = [
    "TOKENS_SECRET",
    "OAuthConnector",
    "OAuthEndpoint",
    "OAuthSession",
    "OAuthSettings",
    "TokenStore",
    "Tokens",
    "authorization_url",
    "code_challenge",
    "code_verifier",
    "exchange_code",
]

TOKENS_SECRET = "oauth_tokens"
"""The secret (in the connection's stored secrets) holding the encrypted tokens."""

_SEED_SECRET = "refresh_token"
_INFO = b"ledgerbridge oauth tokens"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Tokens:
    """An access token with its expiry, and the refresh token that renews it."""

    access_token: str
    refresh_token: str
    expires_at: dt.datetime
    refresh_expires_at: dt.datetime | None = None

    @classmethod
    def from_answer(cls, body: Mapping[str, Any], now: dt.datetime | None = None) -> Tokens:
        """Tokens from a token endpoint's JSON answer (``expires_in`` in seconds)."""
        now = now or _now()
        refresh_in = body.get("x_refresh_token_expires_in")
        try:
            return cls(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_at=now + dt.timedelta(seconds=int(body.get("expires_in", 3600))),
                refresh_expires_at=(None if refresh_in is None
                                    else now + dt.timedelta(seconds=int(refresh_in))),
            )
        except (KeyError, TypeError, ValueError):
            raise FatalError("token answer has no access_token and refresh_token") from None

    def expiring(self, margin: dt.timedelta, now: dt.datetime | None = None) -> bool:
        """Whether the access token expires within ``margin``."""
        return self.expires_at - margin <= (now or _now())

    def _dump(self) -> bytes:
        return json.dumps({
            "access_token": self.access_token, "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "refresh_expires_at": (self.refresh_expires_at.isoformat()
                                   if self.refresh_expires_at else None),
        }).encode()

    @classmethod
    def _load(cls, data: bytes) -> Tokens:
        raw = json.loads(data)
        later = raw.get("refresh_expires_at")
        return cls(raw["access_token"], raw["refresh_token"],
                   dt.datetime.fromisoformat(raw["expires_at"]),
                   dt.datetime.fromisoformat(later) if later else None)

    def __repr__(self) -> str:
        return f"Tokens(expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True, slots=True)
class OAuthEndpoint:
    """A vendor's OAuth2 endpoints and this application's client credentials.

    ``credentials_in_body``: the token endpoint takes the client id and secret (and
    the redirect URI, on refreshes too) as form fields instead of HTTP basic auth.
    """

    token_url: str
    client_id: str
    client_secret: str
    redirect_uri: str | None = None
    authorize_url: str | None = None
    credentials_in_body: bool = False

    def _auth(self) -> httpx.BasicAuth | None:
        if self.credentials_in_body:
            return None
        return httpx.BasicAuth(self.client_id, self.client_secret)

    def _form(self, form: dict[str, str]) -> dict[str, str]:
        if not self.credentials_in_body:
            return form
        sent = {"client_id": self.client_id, "client_secret": self.client_secret}
        if self.redirect_uri:
            sent["redirect_uri"] = self.redirect_uri
        return sent | form


def authorization_url(endpoint: OAuthEndpoint, scope: str, state: str, *,
                      challenge: str | None = None) -> str:
    """Where to send the user to grant access (the code comes back to ``redirect_uri``).

    ``challenge`` (from :func:`code_challenge`) asks for PKCE: the code is then
    exchanged only together with its verifier.
    """
    if endpoint.authorize_url is None or endpoint.redirect_uri is None:
        raise FatalError("the endpoint has no authorize_url or redirect_uri")
    query = {"client_id": endpoint.client_id, "response_type": "code",
             "scope": scope, "redirect_uri": endpoint.redirect_uri, "state": state}
    if challenge is not None:
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{endpoint.authorize_url}?{urlencode(query)}"


def code_verifier() -> str:
    """A fresh PKCE code verifier (RFC 7636: 43 to 128 unreserved characters)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    """The S256 PKCE challenge of ``verifier``: unpadded base64url of its SHA-256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _fernet(engine: Engine) -> Fernet:
    secret = os.environ.get("LEDGERBRIDGE_SECRET_KEY")
    if not secret:
        from ledgerbridge.web.session import secret_key  # the dashboard's stored key

        secret = secret_key(engine)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


_LOCKS: dict[tuple[int, str], threading.RLock] = {}
_PENDING: dict[tuple[int, str], Tokens] = {}
"""Tokens refreshed while SQLite was write-locked by this process, not yet stored."""
_GUARD = threading.Lock()
_SQLITE_WAIT_MS = 1000  # then the write lock is taken to be ours (a worker's batch)


class _Busy(Exception):
    """SQLite's write lock is held, most likely by a transaction of this very process."""


class TokenStore:
    """The encrypted tokens of one connection in its stored secrets."""

    def __init__(self, engine: Engine, connection: str) -> None:
        self.engine = engine
        self.connection = connection
        self._key = (id(engine), connection)
        self._fernet = _fernet(engine)
        with _GUARD:
            self._lock = _LOCKS.setdefault(self._key, threading.RLock())

    def load(self, conn: Connection | None = None) -> Tokens | None:
        """The stored tokens (None before the first authorization)."""
        with _GUARD:
            pending = _PENDING.get(self._key)
        if pending is not None:
            return pending
        if conn is None:
            with self.engine.connect() as fresh:
                return self.load(fresh)
        stored = self._secrets(conn).get(TOKENS_SECRET)
        if stored is None:
            return None
        try:
            return Tokens._load(self._fernet.decrypt(stored.encode()))
        except InvalidToken:
            raise FatalError("stored OAuth tokens do not decrypt (was the secret key changed?)",
                             connection=self.connection) from None

    def seed(self, conn: Connection) -> str | None:
        """A refresh token given in plain settings, before any tokens were stored."""
        return self._secrets(conn).get(_SEED_SECRET)

    def save(self, tokens: Tokens, conn: Connection | None = None) -> None:
        """Store ``tokens`` encrypted (a plain seed refresh token is dropped)."""
        if conn is None:
            with self.locked() as locked:
                self.save(tokens, locked)
            return
        self._write(tokens, conn)
        with _GUARD:  # a refresh starts from pending tokens, so these are newer
            _PENDING.pop(self._key, None)

    def _write(self, tokens: Tokens, conn: Connection) -> None:
        secrets = self._secrets(conn)
        secrets.pop(_SEED_SECRET, None)
        secrets[TOKENS_SECRET] = self._fernet.encrypt(tokens._dump()).decode()
        conn.execute(update(connections).where(connections.c.name == self.connection)
                     .values(secrets=json.dumps(secrets)))

    @contextmanager
    def locked(self, *, patient: bool = True) -> Iterator[Connection]:
        """A transaction holding the connection's row (and this process's lock).

        Not ``patient``: on SQLite, give up with ``_Busy`` after a second.
        """
        with self._lock, self.engine.begin() as conn:
            quick = not patient and conn.dialect.name == "sqlite"
            if quick:
                usual = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {_SQLITE_WAIT_MS}")
            try:
                held = self._hold(conn)
            except OperationalError as exc:
                if quick and "locked" in str(exc):
                    raise _Busy from None
                raise
            finally:
                if quick:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(usual)}")
            if not held:
                raise FatalError("no such connection", connection=self.connection)
            yield conn

    def _hold(self, conn: Connection) -> bool:
        """A no-op write: the row lock on PostgreSQL, the write lock on SQLite."""
        done = conn.execute(update(connections).where(connections.c.name == self.connection)
                            .values(name=connections.c.name))
        return done.rowcount == 1

    def save_later(self, tokens: Tokens) -> None:
        """Keep ``tokens`` in this process and store them once the database lets us."""
        with _GUARD:
            _PENDING[self._key] = tokens
        threading.Thread(target=self._store_pending, daemon=True).start()

    def _store_pending(self) -> None:
        while True:
            try:
                with self.engine.begin() as conn:
                    self._hold(conn)  # the write lock first, then look
                    with _GUARD:
                        tokens = _PENDING.get(self._key)
                    if tokens is None:
                        return
                    self._write(tokens, conn)
            except OperationalError:  # still locked: keep them and try again
                time.sleep(0.2)
                continue
            with _GUARD:
                if _PENDING.get(self._key) is tokens:
                    del _PENDING[self._key]
                    return

    def _secrets(self, conn: Connection) -> dict[str, Any]:
        row = conn.execute(select(connections.c.secrets)
                           .where(connections.c.name == self.connection)).scalar()
        if row is None:
            raise FatalError("no such connection", connection=self.connection)
        return dict(json.loads(row))


class OAuthSession:
    """Hands out a valid access token, refreshing shortly before expiry or after a 401."""

    def __init__(self, store: TokenStore, endpoint: OAuthEndpoint, http: httpx.Client, *,
                 margin: dt.timedelta = dt.timedelta(minutes=5),
                 clock: Callable[[], dt.datetime] = _now) -> None:
        self.store = store
        self.endpoint = endpoint
        self.margin = margin
        self._http = http
        self._clock = clock
        self._tokens: Tokens | None = None

    def access_token(self) -> str:
        """A token valid for at least ``margin`` (refreshed first when it is not)."""
        tokens = self._tokens or self.store.load()
        if tokens is None or tokens.expiring(self.margin, self._clock()):
            return self.refresh(None if tokens is None else tokens.access_token)
        self._tokens = tokens
        return tokens.access_token

    def refresh(self, rejected: str | None) -> str:
        """A new access token after ``rejected`` failed or expired.

        If another thread or process refreshed meanwhile, its token is used and the
        refresh token is not spent twice.
        """
        store = self.store
        with store._lock:
            try:
                with store.locked(patient=False) as conn:
                    tokens, renewed = self._renew(store.load(conn), rejected, conn)
                    if renewed:
                        store.save(tokens, conn)
            except _Busy:  # SQLite, inside a transaction of ours: store the tokens after it
                with store.engine.connect() as conn:
                    tokens, renewed = self._renew(store.load(conn), rejected, conn)
                if renewed:
                    store.save_later(tokens)
        self._tokens = tokens
        return tokens.access_token

    def _renew(self, current: Tokens | None, rejected: str | None,
               conn: Connection) -> tuple[Tokens, bool]:
        """The tokens to use, and whether they are new (and so must be stored)."""
        if (current is not None and current.access_token != rejected
                and not current.expiring(self.margin, self._clock())):
            return current, False
        refresh_token = current.refresh_token if current else self.store.seed(conn)
        if refresh_token is None:
            raise FatalError("not authorized yet: exchange an authorization code first",
                             connection=self.store.connection)
        return _grant(self._http, self.endpoint, self.store.connection, self._clock(),
                      grant_type="refresh_token", refresh_token=refresh_token), True


def _grant(http: httpx.Client, endpoint: OAuthEndpoint, connection: str, now: dt.datetime,
           **form: str) -> Tokens:
    response = request(http, "POST", endpoint.token_url, connection=connection,
                       data=endpoint._form(form), auth=endpoint._auth(),
                       headers={"accept": "application/json"})
    try:
        return Tokens.from_answer(response.json(), now)
    except (ValueError, AttributeError):
        raise FatalError("token answer is not a JSON object", connection=connection) from None


def exchange_code(engine: Engine, connection: str, endpoint: OAuthEndpoint, code: str, *,
                  http: httpx.Client | None = None, verifier: str | None = None) -> Tokens:
    """Trade an authorization code for tokens and store them for ``connection``.

    ``verifier`` is the PKCE code verifier when the authorization asked with a challenge.
    """
    store = TokenStore(engine, connection)
    form = {"grant_type": "authorization_code", "code": code}
    if endpoint.redirect_uri:
        form["redirect_uri"] = endpoint.redirect_uri
    if verifier is not None:
        form["code_verifier"] = verifier
    client = http or httpx.Client(timeout=30)
    try:
        with store.locked() as conn:
            tokens = _grant(client, endpoint, connection, _now(), **form)
            store.save(tokens, conn)
    finally:
        if http is None:
            client.close()
    return tokens


class OAuthSettings(Settings):
    """Settings every OAuth2 connector shares; extend with the vendor's own."""

    client_id: str
    client_secret: SecretStr
    redirect_uri: str | None = None
    refresh_token: SecretStr | None = None
    """A refresh token to start from (e.g. from a vendor's playground), instead of a code."""
    oauth_tokens: SecretStr | None = None
    """Kept by :class:`TokenStore`; never set by hand."""


class OAuthConnector(Connector):
    """A connector whose calls need the connection's OAuth tokens from the database.

    ``database`` is bound when the connector is built from a stored connection.
    """

    secret_fields: ClassVar[tuple[str, ...]] = ("client_secret", "refresh_token", TOKENS_SECRET)
    database: Engine | None = None

    def token_store(self) -> TokenStore:
        """The token store of this connection."""
        if self.database is None:
            raise FatalError("connector is not bound to a database", connection=self.connection)
        return TokenStore(self.database, self.connection)

    def endpoint(self) -> OAuthEndpoint:
        """The vendor's OAuth endpoint for this connection's app."""
        raise FatalError(f"{self.system} names no OAuth endpoint", connection=self.connection)

    def authorize(self, code: str) -> Tokens:
        """Store tokens for an authorization code (what the CLI and dashboard call)."""
        store = self.token_store()
        return exchange_code(store.engine, self.connection, self.endpoint(), code)
