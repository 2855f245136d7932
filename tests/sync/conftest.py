"""Fixtures for the sync engine: a connection, and the gateway on a real port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from ledgerbridge.api import create_app
from ledgerbridge.sync.connections import ConnectionRecord, add_connection

SECRET = "whsec_test_0123456789"


@pytest.fixture
def hook(ledger) -> ConnectionRecord:
    """A webhook connection named "hook" on the test ledger."""
    return add_connection(ledger.engine, "hook", "webhook", settings={"secret": SECRET})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway(ledger) -> Iterator[str]:
    """Base URL of the real gateway (uvicorn in a thread) on the test database."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ledger.engine), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/health", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
