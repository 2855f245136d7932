"""Fixtures for the sync engine: a connection, and the gateway on a real port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledgerbridge.api import create_app
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.sync.connections import ConnectionRecord, add_connection

SECRET = "whsec_test_0123456789"


@pytest.fixture
def hook(ledger) -> ConnectionRecord:
    """A webhook connection named "hook" on the test ledger."""
    return add_connection(ledger.engine, "hook", "webhook", settings={"secret": SECRET})


@pytest.fixture
def gateway(ledger) -> Iterator[str]:
    """Base URL of the real gateway (uvicorn in a thread) on the test database."""
    with serve_in_thread(create_app(ledger.engine)) as url:
        yield url
