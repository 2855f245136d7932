"""An emulated org on a real port, a way to act on it, and a connection to it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.exact_json import dumps, loads
from ledgerbridge.connectors.registry import build
from ledgerbridge.connectors.salesforce import SalesforceConnector
from ledgerbridge.connectors.salesforce.emulator import create_emulator
from ledgerbridge.sync.connections import ConnectionRecord, add_connection

CLIENT_ID = "lb-client"
CLIENT_SECRET = "sf-secret-0123"
REFRESH_TOKEN = "sf-refresh-0123"


class Control:
    """The test-control side of the emulator: what a user does in Salesforce."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}/_emulator{path}",
                                 content=dumps(body or {}),
                                 headers={"content-type": "application/json"})
        response.raise_for_status()
        return loads(response.content)

    def create(self, sobject: str, **fields: Any) -> str:
        return self._send("POST", f"/records/{sobject}", fields)["id"]

    def change(self, sobject: str, record_id: str, **fields: Any) -> dict[str, Any]:
        return self._send("PATCH", f"/records/{sobject}/{record_id}", fields)

    def close(self, record_id: str, *, won: bool = True) -> dict[str, Any]:
        return self._send("POST", f"/opportunities/{record_id}/close", {"won": won})

    def freeze(self, now: dt.datetime | None) -> None:
        self._send("POST", "/clock", {"now": None if now is None else now.isoformat()})

    def expire_sessions(self) -> None:
        self._send("POST", "/sessions/expire")

    def limit(self, remaining: int | None) -> None:
        self._send("POST", "/limits", {"remaining": remaining})

    def opportunity(self, name: str, *, account: str | None = None, stage: str = "Prospecting",
                    lines: tuple[tuple[str, str], ...] = (("1", "100.00"),),
                    **fields: Any) -> str:
        """An opportunity with line items given as (quantity, unit price) pairs."""
        opportunity = self.create("Opportunity", Name=name, AccountId=account,
                                  StageName=stage, CloseDate="2026-12-15", **fields)
        for n, (quantity, price) in enumerate(lines, start=1):
            self.create("OpportunityLineItem", OpportunityId=opportunity, Name=f"Line {n}",
                        Quantity=Decimal(quantity), UnitPrice=Decimal(price), SortOrder=n)
        return opportunity


def emulator() -> Any:
    """A new, empty emulated org answering in batches of two records."""
    return create_emulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           refresh_token=REFRESH_TOKEN, batch_size=2)


class Swap:
    """An ASGI app forwarding to the current test's emulator: one server for the session."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _server() -> Iterator[tuple[Swap, str]]:
    swap = Swap(emulator())
    with serve_in_thread(swap) as url:
        yield swap, url


@pytest.fixture
def org_url(_server: tuple[Swap, str]) -> str:
    """Base URL of a fresh emulated org (see ``emulator``)."""
    swap, url = _server
    swap.app = emulator()
    return url


@pytest.fixture
def org(org_url: str) -> Control:
    return Control(org_url)


def settings(url: str, **overrides: Any) -> dict[str, Any]:
    """Connection settings for the emulated org."""
    return {"login_url": url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "org_currency": "USD", "lookback_seconds": 60, **overrides}


@pytest.fixture
def connection(ledger, org_url: str) -> ConnectionRecord:
    """A Salesforce connection named "crm" on the test ledger."""
    return add_connection(ledger.engine, "crm", "salesforce", settings=settings(org_url))


@pytest.fixture
def connector(org_url: str) -> SalesforceConnector:
    """A connector for the emulated org, without a database."""
    return build("salesforce", "crm", settings(org_url))
