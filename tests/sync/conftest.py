"""Fixtures for the sync engine: a connection, and the gateway on a real port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def serve(app) -> Iterator[str]:  # noqa: ANN001
    """Serve an ASGI app with uvicorn on a free local port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def gateway(ledger) -> Iterator[str]:
    """Base URL of the real gateway (uvicorn in a thread) on the test database."""
    with serve(create_app(ledger.engine)) as url:
        yield url
