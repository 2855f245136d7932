"""Gusto's OAuth2 tokens over real HTTP: expiry, rotation, concurrent refreshes, authorize."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.cli import app
from ledgerbridge.cli import authorize as authorize_cli
from ledgerbridge.connectors.gusto import GustoSettings
from ledgerbridge.connectors.gusto.emulator import (
    COMPANY_UUID,
    SANDBOX_CLIENT_ID,
    create_emulator,
)
from ledgerbridge.connectors.gusto.tokens import TokenIssuer
from ledgerbridge.connectors.oauth import TOKENS_SECRET, TokenStore
from ledgerbridge.sandbox.emulators import SandboxOptions, emulator_app
from ledgerbridge.store import make_engine
from ledgerbridge.sync.connections import add_connection, get_connection
from ledgerbridge.sync.errors import FatalError
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.gusto.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN,
    balances,
    control,
    oauth_settings,
    sample_company,
    work,
)
from tests.connectors.test_authorize import Browser, runner

BASE = f"/v1/companies/{COMPANY_UUID}"
MONTHS = [{"start_date": f"2026-0{m}-01", "end_date": f"2026-0{m}-15",
           "check_date": f"2026-0{m}-20"} for m in (1, 2, 3)]


@pytest.fixture
def oauth_connection(ledger, emulator, issuer):
    """A Gusto connection through the OAuth app (seeded with a refresh token)."""
    return add_connection(ledger.engine, "gusto", "gusto",
                          settings=oauth_settings(emulator, issuer))


def connector_of(engine, name="gusto"):
    with engine.connect() as conn:
        return get_connection(conn, name).connector()


def test_the_emulator_expires_access_tokens_and_spends_refresh_tokens_once():
    issuer = TokenIssuer(CLIENT_ID, CLIENT_SECRET)
    app = create_emulator(SandboxOptions(TOKEN), sample_company(), issuer=issuer)
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as http:
        seed = issuer.issue()
        form = {"grant_type": "refresh_token", "refresh_token": seed,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        answer = http.post("/oauth/token", data=form).json()
        assert answer["expires_in"] == 7200 and answer["refresh_token"] != seed
        bearer = {"authorization": f"Bearer {answer['access_token']}"}
        assert http.get(f"{BASE}/employees", headers=bearer).status_code == 200
        spent = http.post("/oauth/token", data=form)
        assert (spent.status_code, spent.json()) == (400, {"error": "invalid_grant"})
        wrong = http.post("/oauth/token", data=form | {"client_secret": "nope"})
        assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
        http.post("/_emulator/oauth/expire")
        assert http.get(f"{BASE}/employees", headers=bearer).status_code == 401
        assert http.get(f"{BASE}/employees", headers={
            "authorization": f"Bearer {TOKEN}"}).status_code == 200  # the fixed token


def test_the_sandbox_has_an_oauth_application():
    options = SandboxOptions()
    with serve_in_thread(emulator_app("gusto", options)) as url, httpx.Client(base_url=url) as http:
        consent = http.get("/oauth/authorize", params={
            "client_id": SANDBOX_CLIENT_ID, "redirect_uri": "http://127.0.0.1:9/cb",
            "state": "st4te"})
        back = dict(parse_qsl(urlsplit(consent.headers["location"]).query))
        assert back["state"] == "st4te"
        answer = http.post("/oauth/token", data={
            "grant_type": "authorization_code", "code": back["code"],
            "client_id": SANDBOX_CLIENT_ID, "client_secret": options.api_key})
        bearer = {"authorization": f"Bearer {answer.json()['access_token']}"}
        assert http.get(f"{BASE}/contractors", headers=bearer).json() == []


def test_a_poll_across_an_expiry_refreshes_once_and_goes_on(ledger, emulator, issuer):
    record = add_connection(ledger.engine, "gusto", "gusto",
                            settings={**oauth_settings(emulator, issuer), "page_size": 1})
    for month in MONTHS:
        control(emulator, "payrolls", **month)
    connector = connector_of(ledger.engine)
    pages = connector.read(connector.stream("payrolls"), None)
    first = next(pages)
    refreshed = issuer.refreshes  # the seed refresh token was traded for the first call
    control(emulator, "oauth/expire")
    rest = list(pages)
    assert len(first.events) + sum(len(p.events) for p in rest) == 3
    assert issuer.refreshes == refreshed + 1

    control(emulator, "oauth/expire")  # and through the scheduler and worker
    poll_connection(ledger.engine, record)
    work(ledger)
    assert issuer.refreshes == refreshed + 2
    assert balances(ledger)["6020"] > 0  # the three payrolls posted
    stored = secrets_of(ledger.engine, "gusto")
    assert TOKENS_SECRET in stored and "refresh_token" not in stored  # the seed was dropped


def secrets_of(engine, name):
    """The connection's stored secrets, as the database holds them."""
    with engine.connect() as conn:
        return get_connection(conn, name).secrets


def test_two_workers_refreshing_at_once_do_not_lock_the_connection_out(ledger,
                                                                       oauth_connection,
                                                                       emulator, issuer):
    connector_of(ledger.engine).client.employees()  # tokens stored
    control(emulator, "oauth/expire")
    before = issuer.refreshes
    url = ledger.engine.url.render_as_string(hide_password=False)
    start = threading.Barrier(2)
    found: list[int] = []
    failed: list[BaseException] = []

    def worker() -> None:  # as separate processes: own engine, own connector
        engine = make_engine(url)
        try:
            connector = connector_of(engine)
            start.wait()
            found.append(len(connector.client.employees()))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failed.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed and found == [3, 3]
    assert issuer.refreshes == before + 1
    assert len(connector_of(ledger.engine).client.employees()) == 3  # still authorized


def test_a_spent_refresh_token_is_a_clear_error_naming_the_connection(ledger,
                                                                      oauth_connection,
                                                                      emulator):
    connector_of(ledger.engine).client.employees()
    control(emulator, "oauth/revoke")
    control(emulator, "oauth/expire")
    with pytest.raises(FatalError, match="connections authorize gusto") as caught:
        connector_of(ledger.engine).client.employees()
    assert caught.value.connection == "gusto" and "invalid_grant" in str(caught.value)
    assert CLIENT_SECRET not in str(caught.value)


def test_the_stored_tokens_are_refreshed_before_they_expire(ledger, oauth_connection,
                                                            issuer):
    connector_of(ledger.engine).client.employees()
    store = TokenStore(ledger.engine, "gusto")
    tokens = store.load()
    store.save(replace(tokens, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)))
    before = issuer.refreshes
    connector_of(ledger.engine).client.employees()
    assert issuer.refreshes == before + 1  # within the five-minute margin: refreshed first


def test_connections_authorize_stores_gusto_tokens(ledger, emulator, issuer, monkeypatch):
    add_connection(ledger.engine, "payroll", "gusto", settings={
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "company_uuid": COMPANY_UUID, "base_url": emulator})
    browser = Browser()
    monkeypatch.setattr(authorize_cli.webbrowser, "open", browser.open)
    result = runner.invoke(app, [
        "connections", "authorize", "payroll", "--port", "0", "--timeout", "10",
        "--db", ledger.engine.url.render_as_string(hide_password=False)])
    browser.join()
    assert result.exit_code == 0, result.output
    assert browser.opened[0].startswith(f"{emulator}/oauth/authorize?client_id={CLIENT_ID}")
    tokens = TokenStore(ledger.engine, "payroll").load()
    assert tokens is not None
    assert tokens.access_token not in str(secrets_of(ledger.engine, "payroll"))
    assert len(connector_of(ledger.engine, "payroll").client.employees()) == 3
    assert issuer.refreshes == 0


def test_a_fixed_token_connection_cannot_be_authorized(ledger, connection):
    result = runner.invoke(app, [
        "connections", "authorize", "gusto", "--port", "0", "--timeout", "1",
        "--db", ledger.engine.url.render_as_string(hide_password=False)])
    assert result.exit_code != 0
    assert "fixed access_token" in " ".join(result.output.split())


def test_the_worker_refreshes_while_it_posts_a_webhook_event(ledger, oauth_connection,
                                                             emulator, issuer):
    connector_of(ledger.engine).client.employees()
    control(emulator, "oauth/expire")
    before = issuer.refreshes
    ada = control(emulator, "contractors", first_name="Ada", last_name="Byron",
                  department="Engineering")
    control(emulator, "contractor_payments", contractor_uuid=ada["uuid"], date="2026-03-10",
            wage="500.00")
    work(ledger)  # fetches the payment inside its batch: the token is refreshed there
    assert balances(ledger)["6450"] == 50000 and issuer.refreshes == before + 1
    control(emulator, "contractor_payments", contractor_uuid=ada["uuid"], date="2026-03-11",
            wage="100.00")
    work(ledger)  # the refreshed token was kept: no second refresh
    assert balances(ledger)["6450"] == 60000 and issuer.refreshes == before + 1


def test_credentials_are_secrets_and_one_way_of_calling_is_required(ledger, emulator, issuer):
    record = add_connection(ledger.engine, "gusto", "gusto",
                            settings=oauth_settings(emulator, issuer))
    assert {"client_secret", "refresh_token"} <= set(record.secrets)
    assert CLIENT_SECRET not in str(record.settings)
    with pytest.raises(ValueError, match="client_id and client_secret"):
        GustoSettings(company_uuid=COMPANY_UUID, client_id=CLIENT_ID)
