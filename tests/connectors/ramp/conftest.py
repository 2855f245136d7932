"""Fixtures: the Ramp emulator on a real port, the gateway, a connection, receipt files."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ledgerbridge.api import create_app
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.ramp.emulator import CLIENT_ID, create_emulator
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.store.tables import accounts, journal_lines
from ledgerbridge.sync.connections import ConnectionRecord, add_connection
from ledgerbridge.sync.worker import Worker
from tests.intake.ubl_writer import SimpleLine, write_ubl

CLIENT_SECRET = "ramp_secret_test"
WEBHOOK_SECRET = "ramp-webhook-test-secret"


@dataclass
class Sandbox:
    """The running emulator and its test controls."""

    url: str
    gateway: str | None = None
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call an ``/_emulator`` route."""
        response = self.http.request(method, f"{self.url}/_emulator{path}", json=body)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def _emulator() -> Iterator[str]:
    options = SandboxOptions(api_key=CLIENT_SECRET, webhook_secret=WEBHOOK_SECRET)
    with serve_in_thread(create_emulator(options)) as url:
        yield url


@pytest.fixture
def sandbox(_emulator: str) -> Sandbox:
    """An emulator that sends no webhooks, empty for each test."""
    fresh = Sandbox(_emulator)
    fresh.control("POST", "/reset")
    fresh.control("PUT", "/config", {"webhook_url": None})
    return fresh


@pytest.fixture
def live(_emulator: str, ledger) -> Iterator[Sandbox]:
    """An emulator sending its webhooks to the real gateway's ``ramp`` connection."""
    with serve_in_thread(create_app(ledger.engine)) as gateway:
        fresh = Sandbox(_emulator, gateway)
        fresh.control("POST", "/reset")
        fresh.control("PUT", "/config", {"webhook_url": f"{gateway}/webhooks/ramp"})
        yield fresh
        fresh.control("PUT", "/config", {"webhook_url": None})


def connect(ledger, url: str, **settings: Any) -> ConnectionRecord:
    """A ``ramp`` connection to the emulator at ``url``."""
    return add_connection(ledger.engine, "ramp", "ramp", settings={
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "webhook_secret": WEBHOOK_SECRET, "base_url": url, **settings})


def work(ledger) -> None:
    """Run a worker until nothing is due."""
    Worker(ledger.engine).run_until_idle()


def balance(ledger, code: str, party: str | None = None) -> int:
    """The balance of account ``code`` (of one party, if given) in minor units."""
    query = (select(func.coalesce(func.sum(journal_lines.c.amount), 0))
             .join(accounts, accounts.c.id == journal_lines.c.account_id)
             .where(accounts.c.code == code, journal_lines.c.entity_id == ledger.entity.id))
    if party is not None:
        query = query.where(journal_lines.c.party == party)
    with ledger.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def receipt_file(merchant: str, cents: int, day: str, number: str = "R-1") -> bytes:
    """A receipt as a UBL document in USD: one zero-rated line of ``cents``, dated ``day``."""
    content = write_ubl(number, [SimpleLine("Receipt", Decimal(1), cents, Decimal(0))])
    return (content.replace(b"EUR", b"USD").replace("Leverandør A/S".encode(), merchant.encode())
            .replace(b"2026-01-31", day.encode()))
