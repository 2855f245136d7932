"""The shared OAuth2 token store: encrypted at rest, rotated tokens kept, one refresh at a time."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import httpx
import pytest
from sqlalchemy import insert, select

from ledgerbridge.connectors.oauth import (
    OAuthEndpoint,
    OAuthSession,
    Tokens,
    TokenStore,
    authorization_url,
    exchange_code,
)
from ledgerbridge.store import make_engine
from ledgerbridge.store.bulk import take_write_lock
from ledgerbridge.store.tables import connections, entities
from ledgerbridge.sync.connections import add_connection, get_connection
from ledgerbridge.sync.errors import FatalError

ENDPOINT = OAuthEndpoint("https://idp.example/token", "client", "s3cret",
                         "https://app.example/callback", "https://idp.example/authorize")


class RotatingServer:
    """A token endpoint that rotates refresh tokens and refuses a spent one."""

    def __init__(self, delay: float = 0.0) -> None:
        self.valid = {"seed-refresh"}
        self.codes = {"code-1"}
        self.grants: list[str] = []
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        if request.headers["authorization"] != httpx.BasicAuth("client", "s3cret")._auth_header:
            return httpx.Response(401, json={"error": "invalid_client"})
        time.sleep(self.delay)
        with self._lock:
            spent = form.get("refresh_token") or form.get("code")
            if spent not in self.valid | self.codes:
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.valid.discard(spent)
            self.codes.discard(spent)
            n = len(self.grants) + 1
            self.grants.append(form["grant_type"])
            self.valid.add(f"refresh-{n}")
        return httpx.Response(200, json={"access_token": f"access-{n}",
                                         "refresh_token": f"refresh-{n}", "expires_in": 3600,
                                         "x_refresh_token_expires_in": 8726400})


@pytest.fixture
def stored(engine):
    """A stored connection (any system keeps tokens the same way); no chart needed."""
    with engine.begin() as conn:
        conn.execute(insert(entities).values(code="default", name="Books",
                                             functional_currency="USD"))
    add_connection(engine, "books", "webhook", settings={"secret": "whsec_x"})
    return engine


def _http(server: RotatingServer) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(server))


def _raw_secrets(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(select(connections.c.secrets)
                            .where(connections.c.name == "books")).scalar_one()


def test_exchanged_tokens_are_stored_encrypted(stored, monkeypatch):
    monkeypatch.delenv("LEDGERBRIDGE_SECRET_KEY", raising=False)
    server = RotatingServer()
    tokens = exchange_code(stored, "books", ENDPOINT, "code-1", http=_http(server))
    raw = _raw_secrets(stored)
    assert tokens.access_token == "access-1" and "access-1" not in raw
    assert "refresh-1" not in raw and "whsec_x" in raw  # other secrets are untouched
    assert TokenStore(stored, "books").load() == tokens
    assert "access" not in repr(tokens)
    with stored.connect() as conn:
        assert "refresh-1" not in repr(get_connection(conn, "books"))


def test_a_different_key_cannot_read_the_tokens(stored, monkeypatch):
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", "first key")
    exchange_code(stored, "books", ENDPOINT, "code-1", http=_http(RotatingServer()))
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", "second key")
    with pytest.raises(FatalError, match="do not decrypt"):
        TokenStore(stored, "books").load()


def test_each_rotation_is_persisted_and_a_seed_token_dropped(stored):
    with stored.begin() as conn:
        secrets = json.loads(_raw_secrets(stored))
        conn.execute(connections.update().where(connections.c.name == "books")
                     .values(secrets=json.dumps({**secrets, "refresh_token": "seed-refresh"})))
    server = RotatingServer()
    session = OAuthSession(TokenStore(stored, "books"), ENDPOINT, _http(server))
    assert session.access_token() == "access-1"
    assert "seed-refresh" not in _raw_secrets(stored)
    assert session.refresh("access-1") == "access-2"  # the API said 401
    # a fresh process reads the rotated refresh token, which is the only valid one
    again = OAuthSession(TokenStore(stored, "books"), ENDPOINT, _http(server))
    assert again.refresh("access-2") == "access-3"
    assert server.grants == ["refresh_token"] * 3


def test_tokens_are_refreshed_shortly_before_they_expire(stored):
    server = RotatingServer()
    exchange_code(stored, "books", ENDPOINT, "code-1", http=_http(server))
    now = dt.datetime.now(dt.UTC)
    session = OAuthSession(TokenStore(stored, "books"), ENDPOINT, _http(server),
                           clock=lambda: now + dt.timedelta(minutes=54))
    assert session.access_token() == "access-1"
    later = OAuthSession(TokenStore(stored, "books"), ENDPOINT, _http(server),
                         clock=lambda: now + dt.timedelta(minutes=56))
    assert later.access_token() == "access-2"


def test_concurrent_refreshes_spend_the_refresh_token_once(stored):
    server = RotatingServer(delay=0.05)
    exchange_code(stored, "books", ENDPOINT, "code-1", http=_http(server))
    got: list[str] = []

    def worker() -> None:  # as separate processes: own engine, own session
        engine = make_engine(stored.url.render_as_string(hide_password=False))
        session = OAuthSession(TokenStore(engine, "books"), ENDPOINT, _http(server))
        got.append(session.refresh("access-1"))
        engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["access-2"] * 6
    assert server.grants == ["authorization_code", "refresh_token"]
    assert TokenStore(stored, "books").load().refresh_token == "refresh-2"


def test_a_refused_refresh_is_fatal_and_keeps_the_stored_tokens(stored):
    server = RotatingServer()
    exchange_code(stored, "books", ENDPOINT, "code-1", http=_http(server))
    server.valid.clear()
    with pytest.raises(FatalError, match="400"):
        OAuthSession(TokenStore(stored, "books"), ENDPOINT, _http(server)).refresh("access-1")
    assert TokenStore(stored, "books").load().refresh_token == "refresh-1"


def test_unauthorized_connection_and_authorization_url(stored):
    session = OAuthSession(TokenStore(stored, "books"), ENDPOINT, _http(RotatingServer()))
    with pytest.raises(FatalError, match="not authorized"):
        session.access_token()
    url = authorization_url(ENDPOINT, "com.intuit.quickbooks.accounting", "st4te")
    assert url.startswith("https://idp.example/authorize?client_id=client&response_type=code")
    assert "redirect_uri=https%3A%2F%2Fapp.example%2Fcallback" in url


def test_token_answers_without_tokens_are_fatal():
    with pytest.raises(FatalError):
        Tokens.from_answer({"access_token": "a"})


def test_a_refresh_while_sqlite_is_write_locked_is_used_then_stored(stored):
    if stored.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks the connection's row, not the database")
    server = RotatingServer()
    exchange_code(stored, "books", ENDPOINT, "code-1", http=_http(server))
    with stored.begin() as batch:  # a worker's batch holds the write lock meanwhile
        take_write_lock(batch)
        session = OAuthSession(TokenStore(stored, "books"), ENDPOINT, _http(server))
        assert session.refresh("access-1") == "access-2"
        other = OAuthSession(TokenStore(stored, "books"), ENDPOINT, _http(server))
        assert other.access_token() == "access-2"  # not a second refresh with a spent token
    deadline = time.monotonic() + 10
    while "refresh-2" not in _stored_refresh_tokens(stored) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stored_refresh_tokens(stored) == "refresh-2"
    assert server.grants == ["authorization_code", "refresh_token"]


def _stored_refresh_tokens(engine) -> str:
    """The refresh token as the database has it (decrypted by a new process)."""
    store = TokenStore(make_engine(engine.url.render_as_string(hide_password=False)), "books")
    tokens = store.load()
    store.engine.dispose()
    return tokens.refresh_token if tokens else ""
