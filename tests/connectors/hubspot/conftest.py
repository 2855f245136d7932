"""A HubSpot emulator on a real port, and a handle on its test-control routes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.hubspot import HubSpotConnector, HubSpotSettings
from ledgerbridge.connectors.hubspot.emulator import SEARCH_CAP, create_emulator
from ledgerbridge.connectors.hubspot.portal import Portal
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.sync.connections import ConnectionRecord, add_connection
from tests.sync.conftest import gateway  # noqa: F401  (the real gateway on the test database)

TOKEN = "pat-na1-test-token"
CLIENT_SECRET = "hubspot-client-secret"


@dataclass
class HubSpot:
    """An emulated HubSpot account: its URL and what a user or a test can do to it."""

    url: str
    portal: Portal
    http: httpx.Client

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call a test-control route."""
        response = self.http.request(method, f"{self.url}/_emulator{path}", json=body)
        response.raise_for_status()
        return response.json()

    def create(self, object_type: str, associations: dict[str, list[str]] | None = None,
               **properties: Any) -> str:
        """Create a record as a user would; returns its id."""
        body = {"properties": properties, "associations": associations or {}}
        return self.control("POST", f"/objects/{object_type}", body)["id"]

    def change(self, object_type: str, object_id: str, **properties: Any) -> None:
        """Change a record as a user would."""
        self.control("PATCH", f"/objects/{object_type}/{object_id}",
                     {"properties": properties})

    def move(self, deal_id: str, stage: str) -> None:
        """Move a deal to another stage."""
        self.control("POST", f"/deals/{deal_id}/stage", {"stage": stage})

    def deal(self, **properties: Any) -> str:
        """A deal with one company, one contact and two line items."""
        company = self.create("companies", name="Acme Corp", domain="acme.example",
                              city="Austin", state="TX", country="US")
        contact = self.create("contacts", {"companies": [company]}, firstname="Ada",
                              lastname="Lovelace", email="ada@acme.example",
                              associatedcompanyid=company)
        values = {"dealname": "Acme renewal", "amount": "1250.00",
                  "dealstage": "contractsent", "pipeline": "default",
                  "closedate": "2026-11-20T00:00:00.000Z", "deal_currency_code": "USD",
                  "payment_terms": "Net 30", **properties}
        deal = self.create("deals", {"companies": [company], "contacts": [contact]}, **values)
        self.create("line_items", {"deals": [deal]}, name="Licence", quantity="10",
                    price="100.00", hs_discount_percentage="10", hs_product_id="77",
                    hs_position_on_quote="0")
        self.create("line_items", {"deals": [deal]}, name="Onboarding", quantity="1",
                    price="350.00", hs_position_on_quote="1")
        return deal


@contextmanager
def _emulated(webhook_url: str | None = None, search_cap: int = SEARCH_CAP
              ) -> Iterator[HubSpot]:
    options = SandboxOptions(api_key=TOKEN, webhook_url=webhook_url,
                             webhook_secret=CLIENT_SECRET)
    app = create_emulator(options, search_cap=search_cap)
    with serve_in_thread(app) as url, httpx.Client(timeout=30) as http:
        yield HubSpot(url, app.state.portal, http)


@pytest.fixture
def hubspot() -> Iterator[HubSpot]:
    """An emulated HubSpot account that sends no webhooks."""
    with _emulated() as hub:
        yield hub


@pytest.fixture
def small_hubspot() -> Iterator[HubSpot]:
    """An emulated HubSpot account whose searches stop after 5 results."""
    with _emulated(search_cap=5) as hub:
        yield hub


@pytest.fixture
def pushing_hubspot(request: pytest.FixtureRequest) -> Iterator[HubSpot]:
    """An emulated HubSpot account that posts webhooks to the gateway's "hs" connection."""
    gateway_url = request.getfixturevalue("gateway")
    with _emulated(webhook_url=f"{gateway_url}/webhooks/hs") as hub:
        yield hub


def connect(ledger, hub: HubSpot, name: str = "hs", mapping: str | None = None,
            **settings: Any) -> ConnectionRecord:
    """A hubspot connection to the emulated account (private-app token by default)."""
    values = {"access_token": TOKEN, "client_secret": CLIENT_SECRET, "base_url": hub.url,
              **settings}
    return add_connection(ledger.engine, name, "hubspot", mapping=mapping,
                          settings={k: v for k, v in values.items() if v is not None})


def hubspot_connector(hub: HubSpot, **settings: Any) -> HubSpotConnector:
    """A connector for the emulated account, without a stored connection."""
    values = {"access_token": TOKEN, "client_secret": CLIENT_SECRET, "base_url": hub.url,
              **settings}
    return HubSpotConnector("hs", HubSpotSettings(**values))
