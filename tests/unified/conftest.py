"""The ledger with a "demo" source connection, the API with a token, emulated packages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from ledgerbridge.api import create_app
from ledgerbridge.documents import Document
from ledgerbridge.ledger import Ledger
from ledgerbridge.store.tables import dashboard_users
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.unified import LedgerAdapter
from ledgerbridge.web.users import Role, create_token
from tests.connectors.quickbooks.conftest import (  # noqa: F401  (fixtures)
    _shared_qbo,
    qbo,
    registered,
)
from tests.connectors.xero.conftest import _registered as _xero_registered  # noqa: F401
from tests.connectors.xero.conftest import xero  # noqa: F401
from tests.unified.demo_month import SOURCE


@pytest.fixture
def books(ledger: Ledger) -> Ledger:
    """The test ledger with the "demo" connection its documents come from."""
    add_connection(ledger.engine, SOURCE, "webhook", settings={"secret": "whsec_demo_0123456789"})
    return ledger


@pytest.fixture
def ours(books: Ledger) -> LedgerAdapter:
    """The ledger adapter on the test books."""
    return LedgerAdapter(books.engine)


def post_all(adapter: LedgerAdapter, documents: list[Document]) -> dict[str, str]:
    """Create each document in the ledger; record id by external id."""
    return {d.source.external_id: adapter.create(f"{d.type.replace('_', '-')}s", d).id
            for d in documents}


def _client(books: Ledger, role: Role) -> Iterator[TestClient]:
    # A user who only ever signs in with a token: no password to hash (hashing is slow).
    with books.engine.begin() as conn:
        conn.execute(insert(dashboard_users).values(name=role.value, password_hash="!",
                                                    role=role.value))
    token = create_token(books.engine, role.value)
    with TestClient(create_app(books.engine)) as client:
        client.headers["authorization"] = f"Bearer {token}"
        yield client


@pytest.fixture
def api(books: Ledger) -> Iterator[TestClient]:
    """The application, called with an accountant's API token."""
    yield from _client(books, Role.ACCOUNTANT)


@pytest.fixture
def viewer_api(books: Ledger) -> Iterator[TestClient]:
    """The application, called with a viewer's API token."""
    yield from _client(books, Role.VIEWER)


sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
"""For behaviour no database changes (HTTP, package calls): run it on SQLite alone."""
