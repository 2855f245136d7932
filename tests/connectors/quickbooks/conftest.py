"""An emulated QuickBooks company on a real port, and connections to it."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, insert

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors import registry
from ledgerbridge.connectors.quickbooks import QuickBooksConnector
from ledgerbridge.connectors.quickbooks.company import Company
from ledgerbridge.connectors.quickbooks.emulator import CLIENT_ID, REALM_ID, create_emulator
from ledgerbridge.connectors.quickbooks.wire import dumps, loads
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.store import make_engine
from ledgerbridge.store.tables import entities
from ledgerbridge.sync.connections import ConnectionRecord, add_connection, get_connection
from tests.sync.conftest import gateway  # noqa: F401  (the real gateway on the test database)

CLIENT_SECRET = "qbo-client-secret"
VERIFIER = "qbo-verifier-token"


@dataclass
class QuickBooks:
    """An emulated company: its URL, state, and what a user or a test can do to it."""

    url: str
    company: Company
    http: httpx.Client

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call a test-control route."""
        response = self.http.post(f"{self.url}/_emulator{path}", content=dumps(body or {}))
        response.raise_for_status()
        return loads(response.content)

    def save(self, entity: str, **fields: Any) -> dict[str, Any]:
        """Create or change an entity as a user in QuickBooks would."""
        return self.control(f"/entities/{entity}", fields)

    def invoice(self, customer: str, *amounts: str, number: str = "1001") -> dict[str, Any]:
        """An invoice of one sales line per amount."""
        lines = [{"DetailType": "SalesItemLineDetail", "Amount": loads(a),
                  "Description": f"Line {n}", "SalesItemLineDetail": {"Qty": 1}}
                 for n, a in enumerate(amounts, 1)]
        return self.save("Invoice", DocNumber=number, TxnDate="2026-11-02",
                         DueDate="2026-12-02", CustomerRef={"value": customer, "name": "Acme"},
                         CurrencyRef={"value": "USD"}, Line=lines)

    def customer(self, name: str = "Acme Corp") -> dict[str, Any]:
        """A customer."""
        return self.save("Customer", DisplayName=name,
                         PrimaryEmailAddr={"Address": "ap@acme.example"})


@pytest.fixture(scope="session", autouse=True)
def registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``quickbooks`` under the connectors entry point, until the package declares it."""
    if "quickbooks" in registry.available():
        yield
        return
    info = tmp_path_factory.mktemp("entry") / "ledgerbridge_quickbooks-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ledgerbridge-quickbooks\n"
                                   "Version: 0\n")
    (info / "entry_points.txt").write_text(
        f"[{registry.ENTRY_POINT_GROUP}]\n"
        "quickbooks = ledgerbridge.connectors.quickbooks:QuickBooksConnector\n")
    sys.path.append(str(info.parent))
    registry.available.cache_clear()
    registry.connector_class.cache_clear()
    yield
    sys.path.remove(str(info.parent))
    registry.available.cache_clear()
    registry.connector_class.cache_clear()


@contextmanager
def emulated(webhook_url: str | None = None, **options: Any) -> Iterator[QuickBooks]:
    """Serve an emulated company until the block ends."""
    sandbox = SandboxOptions(api_key=CLIENT_SECRET, webhook_url=webhook_url,
                             webhook_secret=VERIFIER)
    app = create_emulator(sandbox, **options)
    with serve_in_thread(app) as url, httpx.Client(timeout=30) as http:
        yield QuickBooks(url, app.state.company, http)


@pytest.fixture(scope="session")
def _shared_qbo() -> Iterator[QuickBooks]:
    with emulated(write_timeout=1.6) as company:
        yield company


@pytest.fixture
def qbo(_shared_qbo: QuickBooks) -> QuickBooks:
    """An emulated company that sends no webhooks, empty at the start of each test."""
    _shared_qbo.control("/reset")
    return _shared_qbo


@pytest.fixture
def pushing_qbo(request: pytest.FixtureRequest) -> Iterator[QuickBooks]:
    """An emulated company posting its webhooks to the gateway's "qbo" connection."""
    gateway_url = request.getfixturevalue("gateway")
    with emulated(webhook_url=f"{gateway_url}/webhooks/qbo") as company:
        yield company


def settings_for(qbo: QuickBooks, **extra: Any) -> dict[str, Any]:
    """Connection settings that reach the emulated company."""
    return {"realm_id": REALM_ID, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "verifier_token": VERIFIER, "base_url": qbo.url,
            "token_url": f"{qbo.url}/oauth2/v1/tokens/bearer", **extra}


def _with_entity(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.execute(insert(entities).values(code="default", name="Books",
                                             functional_currency="USD"))
    return engine


@pytest.fixture
def books(engine: Engine) -> Engine:
    """A database (SQLite, then PostgreSQL) with the default entity and no chart."""
    return _with_entity(engine)


@pytest.fixture
def local_books(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    """A SQLite database with the default entity, for behaviour no database changes."""
    shutil.copy(_sqlite_template, tmp_path / "books.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'books.db'}")
    yield _with_entity(engine)
    engine.dispose()


def connect(engine: Engine, qbo: QuickBooks, name: str = "qbo", **extra: Any
            ) -> ConnectionRecord:
    """A stored, authorized connection to the emulated company."""
    add_connection(engine, name, "quickbooks", settings=settings_for(qbo, **extra))
    with engine.connect() as conn:
        record = get_connection(conn, name)
    connector = record.connector()
    assert isinstance(connector, QuickBooksConnector)
    connector.authorize(qbo.control("/codes")["code"])
    with engine.connect() as conn:
        return get_connection(conn, name)


def connector_for(engine: Engine, qbo: QuickBooks, **extra: Any) -> QuickBooksConnector:
    """The connector of a stored, authorized connection."""
    connector = connect(engine, qbo, **extra).connector()
    assert isinstance(connector, QuickBooksConnector)
    return connector
