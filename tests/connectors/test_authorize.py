"""``connections authorize`` over real HTTP: the emulators' consent pages, the local callback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import Engine, insert, select
from typer.testing import CliRunner, Result

from ledgerbridge.cli import app
from ledgerbridge.cli import authorize as authorize_cli
from ledgerbridge.connectors.base import Connector
from ledgerbridge.connectors.oauth import (
    TOKENS_SECRET,
    Tokens,
    TokenStore,
    code_challenge,
    code_verifier,
)
from ledgerbridge.connectors.quickbooks import QuickBooksConnector
from ledgerbridge.connectors.xero import XeroConnector
from ledgerbridge.connectors.xero.emulator import CLIENT_ID as XERO_CLIENT_ID
from ledgerbridge.connectors.xero.org import Organisation
from ledgerbridge.store.tables import connections, entities
from ledgerbridge.sync.connections import add_connection, get_connection
from tests.connectors.quickbooks.conftest import QuickBooks, settings_for
from tests.connectors.quickbooks.conftest import emulated as quickbooks_emulated
from tests.connectors.xero.conftest import CLIENT_SECRET as XERO_SECRET
from tests.connectors.xero.conftest import Xero
from tests.connectors.xero.conftest import emulated as xero_emulated

runner = CliRunner()


class Browser:
    """Plays the user's browser: opens the consent address and follows its redirect."""

    def __init__(self, tamper: Callable[[str], str] = lambda location: location) -> None:
        self.tamper = tamper
        self.opened: list[str] = []
        self.answers: list[httpx.Response] = []
        self._threads: list[threading.Thread] = []

    def open(self, url: str) -> bool:
        """What ``webbrowser.open`` does, in the background as a real browser would."""
        self.opened.append(url)
        thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return True

    def _visit(self, url: str) -> None:
        with httpx.Client(timeout=10) as http:
            consent = http.get(url)
            assert consent.is_redirect, consent.text
            self.answers.append(http.get(self.tamper(consent.headers["location"])))

    def join(self) -> None:
        """Wait for the visits to end."""
        for thread in self._threads:
            thread.join(timeout=10)


@pytest.fixture
def books(engine: Engine) -> Engine:
    """A clean database (SQLite, then PostgreSQL) with the default entity."""
    with engine.begin() as conn:
        conn.execute(insert(entities).values(code="default", name="Books",
                                             functional_currency="USD"))
    return engine


@pytest.fixture(scope="module")
def _shared_qbo() -> Iterator[QuickBooks]:
    with quickbooks_emulated() as company:
        yield company


@pytest.fixture
def qbo(_shared_qbo: QuickBooks) -> QuickBooks:
    """An emulated QuickBooks company, empty at the start of each test."""
    _shared_qbo.control("/reset")
    return _shared_qbo


@pytest.fixture(scope="module")
def xero() -> Iterator[Xero]:
    """An emulated Xero with one organisation (each test adds its own connection)."""
    with xero_emulated() as emulator:
        yield emulator


def _authorize(engine: Engine, browser: Browser, monkeypatch: pytest.MonkeyPatch, name: str,
               authorize_url: str, *extra: str, port: str | None = "0") -> Result:
    """Run the command with ``browser`` (``port`` None: on the connection's redirect_uri)."""
    monkeypatch.setattr(authorize_cli.webbrowser, "open", browser.open)
    listen = () if port is None else ("--port", port)
    result = runner.invoke(app, ["connections", "authorize", name, *listen,
                                 "--timeout", "10", "--authorize-url", authorize_url,
                                 "--db", engine.url.render_as_string(hide_password=False),
                                 *extra])
    browser.join()
    return result


def _said(result: Result) -> str:
    """What the command printed, its line breaks undone."""
    return " ".join(result.output.split())


def _raw_secrets(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(connections.c.secrets)
                                .where(connections.c.name == name)).scalar())


def _consented(result: Result, browser: Browser) -> dict[str, str]:
    """The consent address's parameters, after checking the run succeeded and printed it."""
    assert result.exit_code == 0, result.output
    assert browser.opened[0] in _said(result)
    assert browser.answers[0].status_code == 200
    return dict(parse_qsl(urlsplit(browser.opened[0]).query))


def _stored_encrypted(engine: Engine, name: str) -> Tokens:
    """The connection's tokens, checked to appear nowhere in the raw stored secrets."""
    tokens = TokenStore(engine, name).load()
    assert tokens is not None
    raw = _raw_secrets(engine, name)
    assert TOKENS_SECRET in raw
    assert tokens.access_token not in raw and tokens.refresh_token not in raw
    return tokens


def _connector(engine: Engine, name: str) -> Connector:
    with engine.connect() as conn:
        return get_connection(conn, name).connector()


def _settings(engine: Engine, name: str) -> dict[str, str]:
    with engine.connect() as conn:
        return get_connection(conn, name).settings


def _quickbooks(engine: Engine, qbo: QuickBooks, **extra: str) -> str:
    add_connection(engine, "books", "quickbooks", settings=settings_for(qbo, **extra))
    return f"{qbo.url}/connect/oauth2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_quickbooks_authorizes_stores_encrypted_and_calls_the_api(
        books: Engine, qbo: QuickBooks, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = Browser()
    redirect = f"http://localhost:{_free_port()}/oauth/quickbooks"
    result = _authorize(books, browser, monkeypatch, "books",
                        _quickbooks(books, qbo, redirect_uri=redirect), port=None)
    consent = _consented(result, browser)
    assert consent["redirect_uri"] == redirect
    assert consent["scope"] == "com.intuit.quickbooks.accounting"
    assert "code_challenge" not in consent
    assert _stored_encrypted(books, "books").access_token in qbo.company.access_tokens
    connector = _connector(books, "books")
    assert isinstance(connector, QuickBooksConnector)
    qbo.customer("Acme Corp")
    assert [c["DisplayName"] for c in connector.client.query("SELECT * FROM Customer")] == [
        "Acme Corp"]


def test_a_forged_state_is_refused_and_nothing_stored(
        books: Engine, qbo: QuickBooks, monkeypatch: pytest.MonkeyPatch) -> None:
    def forge(location: str) -> str:
        url = urlsplit(location)
        query = dict(parse_qsl(url.query)) | {"state": "forged-by-someone-else"}
        return url._replace(query=urlencode(query)).geturl()

    browser = Browser(forge)
    result = _authorize(books, browser, monkeypatch, "books", _quickbooks(books, qbo))
    assert result.exit_code == 1
    assert "state does not match" in _said(result)
    assert browser.answers[0].status_code == 400
    assert TOKENS_SECRET not in _raw_secrets(books, "books")


def test_a_used_code_is_refused_with_a_clear_message(
        books: Engine, qbo: QuickBooks, monkeypatch: pytest.MonkeyPatch) -> None:
    def spend(location: str) -> str:  # someone trades the code before the command does
        url = urlsplit(location)
        redirect = url._replace(query="").geturl()
        taken = httpx.post(f"{qbo.url}/oauth2/v1/tokens/bearer",
                           auth=(qbo.company.client_id, qbo.company.client_secret),
                           data={"grant_type": "authorization_code", "redirect_uri": redirect,
                                 "code": dict(parse_qsl(url.query))["code"]})
        assert taken.status_code == 200
        return location

    browser = Browser(spend)
    result = _authorize(books, browser, monkeypatch, "books", _quickbooks(books, qbo))
    assert result.exit_code == 1
    assert "authorization code was refused" in _said(result)
    assert "already used" in _said(result)
    assert TOKENS_SECRET not in _raw_secrets(books, "books")


def test_an_expired_code_is_refused(books: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with quickbooks_emulated(code_seconds=0) as hasty:
        result = _authorize(books, Browser(), monkeypatch, "books", _quickbooks(books, hasty))
    assert result.exit_code == 1
    assert "code was refused (invalid_grant: expired" in _said(result)
    assert TOKENS_SECRET not in _raw_secrets(books, "books")


def test_another_company_than_the_connections_is_refused(
        books: Engine, qbo: QuickBooks, monkeypatch: pytest.MonkeyPatch) -> None:
    add_connection(books, "other", "quickbooks", settings=settings_for(qbo, realm_id="42"))
    result = _authorize(books, Browser(), monkeypatch, "other", f"{qbo.url}/connect/oauth2")
    assert result.exit_code == 1
    assert "company 42" in _said(result)
    assert TOKENS_SECRET not in _raw_secrets(books, "other")


def _xero(engine: Engine, emulator: Xero) -> str:
    add_connection(engine, "xero", "xero", settings={
        "client_id": XERO_CLIENT_ID, "client_secret": XERO_SECRET, "base_url": emulator.url,
        "identity_url": emulator.url})
    return f"{emulator.url}/identity/connect/authorize"


def test_xero_authorizes_with_pkce_and_keeps_the_only_tenant(
        books: Engine, xero: Xero, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = Browser()
    result = _authorize(books, browser, monkeypatch, "xero", _xero(books, xero))
    consent = _consented(result, browser)
    assert consent["code_challenge_method"] == "S256"
    assert "offline_access" in consent["scope"].split()
    assert _settings(books, "xero")["tenant_id"] == xero.org.tenant_id
    _stored_encrypted(books, "xero")
    connector = _connector(books, "xero")
    assert isinstance(connector, XeroConnector)
    assert connector.client.list("Accounts")


def test_xero_with_several_tenants_asks_for_one_then_keeps_it(
        books: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = (Organisation("North Ltd"), Organisation("South Ltd", seed=1))
    with xero_emulated(tenants=tenants) as emulator:
        consent_page = _xero(books, emulator)
        asked = _authorize(books, Browser(), monkeypatch, "xero", consent_page)
        assert asked.exit_code == 1
        assert "North Ltd" in _said(asked) and "South Ltd" in _said(asked)
        assert "connections authorize xero --tenant" in _said(asked)
        assert "tenant_id" not in _settings(books, "xero")
        south = tenants[1].tenant_id
        chosen = _authorize(books, Browser(), monkeypatch, "xero", consent_page,
                            "--tenant", south.upper())
        assert chosen.exit_code == 0, chosen.output
        assert _settings(books, "xero")["tenant_id"] == south
        connector = _connector(books, "xero")
        assert isinstance(connector, XeroConnector)
        assert connector.client.tenant_id == south and connector.client.list("Accounts")


def test_the_xero_emulator_trades_a_code_only_with_its_verifier(xero: Xero) -> None:
    verifier = code_verifier()
    consent = xero.http.get(f"{xero.url}/identity/connect/authorize", params={
        "client_id": XERO_CLIENT_ID, "redirect_uri": "http://127.0.0.1:9/cb",
        "state": "s", "scope": "offline_access", "response_type": "code",
        "code_challenge": code_challenge(verifier), "code_challenge_method": "S256"})
    assert consent.is_redirect
    code = dict(parse_qsl(urlsplit(consent.headers["location"]).query))["code"]

    def trade(**form: str) -> httpx.Response:
        return xero.http.post(f"{xero.url}/connect/token",
                                  auth=(XERO_CLIENT_ID, XERO_SECRET), data={
                                      "grant_type": "authorization_code", "code": code,
                                      "redirect_uri": "http://127.0.0.1:9/cb", **form})

    assert trade().json() == {"error": "invalid_grant"}
    assert trade(code_verifier=code_verifier()).status_code == 400
    assert trade(code_verifier=verifier).status_code == 200
    assert trade(code_verifier=verifier).json() == {"error": "invalid_grant"}


def test_a_non_local_redirect_uri_needs_a_port(books: Engine, qbo: QuickBooks) -> None:
    add_connection(books, "books", "quickbooks", settings=settings_for(
        qbo, redirect_uri="https://books.example/callback"))
    result = runner.invoke(app, ["connections", "authorize", "books", "--no-browser",
                                 "--db", books.url.render_as_string(hide_password=False)])
    assert result.exit_code == 1
    assert "not a local http address" in _said(result)
    assert json.loads(_raw_secrets(books, "books")).get(TOKENS_SECRET) is None
