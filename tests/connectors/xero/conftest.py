"""A Xero emulator on a real port, a stored connection to it, and the real gateway."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors import registry
from ledgerbridge.connectors.xero import XeroConnector
from ledgerbridge.connectors.xero.emulator import CLIENT_ID, XeroEmulator, create_emulator
from ledgerbridge.connectors.xero.org import Organisation
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.sync.connections import add_connection
from tests.sync.conftest import gateway  # noqa: F401  (the real gateway on the test database)

CLIENT_SECRET = "xero-client-secret-0123456789"
WEBHOOK_KEY = "xero-webhook-key-abcdefghijklmnop"
NAME = "xero"


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The connector under its entry point name, whether or not it is installed yet."""
    real = registry.entry_points

    def with_xero(**query: Any) -> list[EntryPoint]:
        found = list(real(**query))
        if query.get("name", "xero") == "xero" and not any(p.name == "xero" for p in found):
            found.append(EntryPoint("xero", "ledgerbridge.connectors.xero:XeroConnector",
                                    registry.ENTRY_POINT_GROUP))
        return found
    monkeypatch.setattr(registry, "entry_points", with_xero)
    registry.connector_class.cache_clear()
    registry.available.cache_clear()
    yield
    registry.connector_class.cache_clear()
    registry.available.cache_clear()


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A migrated SQLite database, for tests of the vendor API rather than of storage."""
    path = tmp_path / "ledger.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


@dataclass
class Xero:
    """An emulated Xero: its URL, its state and what a user or Xero itself can do."""

    url: str
    state: XeroEmulator
    http: httpx.Client

    @property
    def org(self) -> Organisation:
        """The first (usually only) organisation."""
        return next(iter(self.state.tenants.values()))

    def control(self, path: str, body: Any = None, **params: Any) -> Any:
        """Call a test-control route."""
        response = self.http.post(f"{self.url}/_emulator{path}", json=body, params=params)
        response.raise_for_status()
        return response.json()

    def user(self, collection: str, **fields: Any) -> dict[str, Any]:
        """Create or change a record as someone working in Xero would."""
        return self.control(f"/records/{collection}", fields)

    def invoice(self, total_lines: tuple[tuple[str, str, str], ...] = (
            ("Consulting", "2", "150.00"),), **fields: Any) -> dict[str, Any]:
        """An authorised sales invoice to Acme (lines: description, quantity, unit)."""
        values = {"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "Date": "2026-11-02",
                  "DueDate": "2026-12-02", "Status": "AUTHORISED",
                  "LineItems": [{"Description": d, "Quantity": q, "UnitAmount": u,
                                 "AccountCode": "200"} for d, q, u in total_lines], **fields}
        return self.user("Invoices", **values)

    def token(self) -> str:
        """A fresh access token for the emulated app (what a user's consent gives)."""
        refresh = self.control("/consent")["refresh_token"]
        answer = self.http.post(f"{self.url}/connect/token", auth=(CLIENT_ID, CLIENT_SECRET),
                                data={"grant_type": "refresh_token", "refresh_token": refresh})
        return answer.json()["access_token"]

    def api(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        """A raw API call for the first tenant."""
        headers = {"authorization": f"Bearer {token}", "xero-tenant-id": self.org.tenant_id,
                   "accept": "application/json", **kwargs.pop("headers", {})}
        return self.http.request(method, f"{self.url}/api.xro/2.0{path}", headers=headers,
                                 **kwargs)


@contextmanager
def emulated(webhook_url: str | None = None,
             tenants: tuple[Organisation, ...] | None = None) -> Iterator[Xero]:
    """A Xero emulator served on a free port."""
    options = SandboxOptions(api_key=CLIENT_SECRET, webhook_url=webhook_url,
                             webhook_secret=WEBHOOK_KEY)
    app = create_emulator(options, tenants)
    with serve_in_thread(app) as url, httpx.Client(timeout=30) as http:
        yield Xero(url, app.state.xero, http)


@pytest.fixture
def xero() -> Iterator[Xero]:
    """An emulated Xero that sends no webhooks."""
    with emulated() as emulator:
        yield emulator


@pytest.fixture
def pushing_xero(request: pytest.FixtureRequest) -> Iterator[Xero]:
    """An emulated Xero posting its webhooks to the gateway's "xero" connection."""
    with emulated(f"{request.getfixturevalue('gateway')}/webhooks/{NAME}") as emulator:
        yield emulator


def settings(emulator: Xero, **overrides: Any) -> dict[str, Any]:
    """Connection settings for the emulated app, with a refresh token from a consent."""
    values = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "refresh_token": emulator.control("/consent")["refresh_token"],
              "webhook_key": WEBHOOK_KEY, "base_url": emulator.url,
              "identity_url": emulator.url, **overrides}
    return {k: v for k, v in values.items() if v is not None}


def connect(ledger, emulator: Xero, name: str = NAME, **overrides: Any) -> XeroConnector:
    """A stored Xero connection to the emulator, and its connector (bound to the database)."""
    record = add_connection(ledger.engine, name, "xero", settings=settings(emulator,
                                                                            **overrides))
    connector = record.connector()
    assert isinstance(connector, XeroConnector)
    # Trade the consent's refresh token now: on SQLite a refresh cannot be stored
    # from inside the worker's write transaction (see docs/connectors/xero.md).
    connector.client.session.access_token()
    return connector
