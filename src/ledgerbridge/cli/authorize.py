"""``ledgerbridge connections authorize``: the OAuth2 authorization-code flow from a terminal.

The command listens once on 127.0.0.1 (the connection's ``redirect_uri``, or
``--port``), prints the vendor's consent address (and opens a browser), and waits
for the redirect. The redirect must carry the random ``state`` this run sent, or
nothing is stored; Xero is asked with a PKCE challenge as well. Gusto's consent page
is its API's ``/oauth/authorize`` (the connection's ``base_url``). The code is traded
through :func:`~ledgerbridge.connectors.oauth.exchange_code`, so the tokens land
encrypted in the connection's secrets. For Xero the organisations the consent
reaches are listed from ``/connections`` and the chosen one is saved as the
connection's ``tenant_id``.
"""

from __future__ import annotations

import json
import operator
import secrets
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

import typer
from rich.table import Table
from sqlalchemy import Engine, update

from ledgerbridge.cli.common import DbOption, console, fail
from ledgerbridge.connectors.oauth import (
    OAuthConnector,
    OAuthEndpoint,
    authorization_url,
    code_challenge,
    code_verifier,
    exchange_code,
)
from ledgerbridge.connectors.registry import build
from ledgerbridge.ledger import LedgerError
from ledgerbridge.store import make_engine
from ledgerbridge.store.tables import connections
from ledgerbridge.sync.connections import ConnectionRecord, get_connection
from ledgerbridge.sync.errors import SyncError

__all__ = ["connections_authorize"]


@dataclass(frozen=True, slots=True)
class _Vendor:
    """How one system's consent is asked for."""

    scope: str | None = None
    authorize_url: str | None = None
    pkce: bool = False
    tenants: bool = False
    """Whether the consent may reach several organisations (Xero's ``/connections``)."""
    endpoint: Callable[[Any], OAuthEndpoint] = operator.methodcaller("endpoint")


_VENDORS = {
    "quickbooks": _Vendor(scope="com.intuit.quickbooks.accounting"),
    "xero": _Vendor(scope="offline_access accounting.transactions accounting.contacts "
                    "accounting.settings.read", authorize_url=(
                        "https://login.xero.com/identity/connect/authorize"),
                    pkce=True, tenants=True,
                    endpoint=lambda connector: connector.client.session.endpoint),
    "gusto": _Vendor(scope="companies:read employees:read payrolls:read departments:read "
                     "contractors:read"),
}

_PAGE = ("<!doctype html><title>ledgerbridge</title><p>{}</p>"
         "<p>You can close this window and return to the terminal.</p>")


class _CallbackServer(HTTPServer):
    """Answers the one redirect to the callback path and keeps its query parameters."""

    def __init__(self, host: str, port: int, path: str, state: str) -> None:
        super().__init__((host, port), _Callback)
        self.callback_path, self.state = path, state
        self.answer: dict[str, str] | None = None


class _Callback(BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        """Take the redirect; anything else (a favicon) is 404 and the wait goes on."""
        url = urlsplit(self.path)
        if url.path != self.server.callback_path:
            self.send_error(404)
            return
        answer = dict(parse_qsl(url.query))
        self.server.answer = answer
        if "error" in answer:
            status, text = 400, f"Authorization was refused: {answer['error']}."
        elif not secrets.compare_digest(answer.get("state", ""), self.server.state):
            status, text = 400, "This redirect does not belong to the authorization started."
        else:
            status, text = 200, "ledgerbridge received the authorization."
        body = _PAGE.format(text).encode()
        self.send_response(status)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Keep the terminal quiet."""


def _listen_address(record: ConnectionRecord, configured: str | None,
                    port: int | None) -> tuple[str, int, str]:
    """Host, port and path of the local redirect (``--port`` 0: any free port)."""
    url = urlsplit(configured or "")
    local = url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost")
    if port is not None:
        return (url.hostname if local else "127.0.0.1"), port, (url.path or "/callback")
    if not configured:
        raise fail(f"connection {record.name} has no redirect_uri: pass --port, and register "
                   "http://127.0.0.1:PORT/callback with the vendor")
    if not local:
        raise fail(f"connection {record.name}: redirect_uri {configured} is not a local http "
                   "address this command can listen on; pass --port")
    return str(url.hostname), url.port or 80, url.path or "/"


def _wait(server: _CallbackServer, redirect_uri: str, timeout: float) -> dict[str, str]:
    """The redirect's query parameters, once it arrives with the right state."""
    deadline = time.monotonic() + timeout
    while server.answer is None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise fail(f"no redirect reached {redirect_uri} within {timeout:g} s; "
                       "nothing was stored")
        server.timeout = left
        server.handle_request()
    answer = server.answer
    if "error" in answer:
        raise fail(f"the vendor refused the authorization: {answer['error']} "
                   f"{answer.get('error_description', '')}".rstrip())
    if not secrets.compare_digest(answer.get("state", ""), server.state):
        raise fail("the redirect's state does not match the one sent (a forged or stale "
                   "redirect); nothing was stored")
    if not answer.get("code"):
        raise fail("the redirect carries no authorization code; nothing was stored")
    return answer


def _exchange(engine: Engine, record: ConnectionRecord, endpoint: OAuthEndpoint, code: str,
              verifier: str | None) -> None:
    try:
        exchange_code(engine, record.name, endpoint, code, verifier=verifier)
    except SyncError as exc:
        if "invalid_grant" in str(exc):
            raise fail(f"connection {record.name}: the authorization code was refused "
                       "(invalid_grant: expired, already used, or not issued for this "
                       f"redirect); run `ledgerbridge connections authorize {record.name}` "
                       "again") from None
        raise fail(str(exc)) from None


def _choose_tenant(engine: Engine, name: str, wanted: str | None) -> dict[str, Any]:
    """The organisation to keep: ``wanted``, or the consent's only one."""
    with engine.connect() as conn:
        connector = get_connection(conn, name).connector()
    try:
        found = [t for t in connector.client.connections()
                 if t.get("tenantType") == "ORGANISATION"]
    except SyncError as exc:
        raise fail(f"cannot list the organisations: {exc}") from None
    if wanted is not None:
        chosen = [t for t in found if str(t["tenantId"]).lower() == wanted.lower()]
    else:
        chosen = found if len(found) == 1 else []
    if chosen:
        return chosen[0]
    table = Table("tenant id", "organisation", title="Organisations this consent reaches")
    for t in found:
        table.add_row(str(t["tenantId"]), str(t["tenantName"]))
    console.print(table)
    if wanted is not None:
        raise fail(f"connection {name}: tenant {wanted} is not among these organisations")
    if not found:
        raise fail(f"connection {name}: the consent reaches no organisation")
    raise fail(f"connection {name}: the consent reaches {len(found)} organisations (its "
               "tokens are stored); pick one with "
               f"`ledgerbridge connections authorize {name} --tenant TENANT_ID`")


def _save_tenant(engine: Engine, record: ConnectionRecord, tenant_id: str) -> None:
    """Keep ``tenant_id`` in the connection's settings (validated by the connector)."""
    settings = {**record.settings, "tenant_id": tenant_id}
    build(record.system, record.name, {**settings, **record.secrets})
    with engine.begin() as conn:
        conn.execute(update(connections).where(connections.c.name == record.name)
                     .values(settings=json.dumps(settings)))


def connections_authorize(
    name: Annotated[str, typer.Argument(help="Connection to authorize.")],
    no_browser: Annotated[bool, typer.Option(
        "--no-browser", help="Only print the address to open.")] = False,
    port: Annotated[int | None, typer.Option(
        min=0, max=65535, help="Listen on this local port (0: any free one) instead of the "
        "connection's redirect_uri; the vendor must accept the resulting redirect.")] = None,
    tenant: Annotated[str | None, typer.Option(
        help="Xero: the organisation (tenant id) to keep when the consent reaches several.")
    ] = None,
    timeout: Annotated[float, typer.Option(
        min=1, help="Seconds to wait for the redirect.")] = 300,
    scope: Annotated[str | None, typer.Option(
        help="Scopes to ask for (default: the connector's).")] = None,
    authorize_url: Annotated[str | None, typer.Option(
        help="The vendor's consent page (default: the connector's; e.g. an emulator).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Authorize a connection (QuickBooks, Xero, Gusto) in a browser; keep its tokens encrypted."""
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            record = get_connection(conn, name)
        connector = record.connector()
        vendor = _VENDORS.get(record.system, _Vendor())
        if not isinstance(connector, OAuthConnector):
            raise fail(f"connection {name} ({record.system}) does not use OAuth2")
        endpoint = vendor.endpoint(connector)
    except (LedgerError, SyncError) as exc:
        raise fail(str(exc)) from None
    if tenant is not None and not vendor.tenants:
        raise fail(f"--tenant: connection {name} ({record.system}) has no tenants to pick")
    scope = scope or vendor.scope
    target = authorize_url or vendor.authorize_url or endpoint.authorize_url
    if scope is None or target is None:
        raise fail(f"connection {name} ({record.system}): pass --scope and --authorize-url")
    host, wanted_port, path = _listen_address(record, endpoint.redirect_uri, port)
    state = secrets.token_urlsafe(32)
    try:
        server = _CallbackServer(host, wanted_port, path, state)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{wanted_port}: {exc.strerror or exc}") from None
    with server:
        redirect_uri = f"http://{host}:{server.server_address[1]}{path}"
        endpoint = replace(endpoint, redirect_uri=redirect_uri, authorize_url=target)
        verifier = code_verifier() if vendor.pkce else None
        url = authorization_url(endpoint, scope, state,
                                challenge=code_challenge(verifier) if verifier else None)
        console.print(f"Open this address to authorize {name}; waiting for the redirect to "
                      f"{redirect_uri}:", highlight=False)
        console.print(url, soft_wrap=True, markup=False, highlight=False)
        if not no_browser:
            webbrowser.open(url)
        answer = _wait(server, redirect_uri, timeout)
    realm = record.settings.get("realm_id")
    if realm is not None and answer.get("realmId", realm) != realm:
        raise fail(f"connection {name} is for QuickBooks company {realm}, but the consent "
                   f"was for company {answer['realmId']}; nothing was stored")
    _exchange(engine, record, endpoint, answer["code"], verifier)
    console.print(f"Connection {name} authorized; tokens stored encrypted.")
    if vendor.tenants:
        chosen = _choose_tenant(engine, name, tenant)
        _save_tenant(engine, record, str(chosen["tenantId"]))
        console.print(f"Organisation {chosen['tenantName']} ({chosen['tenantId']}) saved as "
                      f"tenant_id of {name}.", highlight=False)
