"""Fixtures for the Shopify connector: the emulator on a real port, a connection to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ledgerbridge.api import create_app
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.shopify.emulator import SHOP_DOMAIN, create_emulator
from ledgerbridge.ledger import Account
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.store.tables import accounts, journal_lines
from ledgerbridge.sync.connections import add_connection

TOKEN = "shpat_test_token"
SECRET = "shpss_test_secret"
TAX_MAPPING = """
tax:
  jurisdictions:
    US-CA: "2210"
    US-NY: "2220"
    DE: "2200"
"""


@dataclass
class Emulator:
    """A running emulator: its base URL and its in-memory shop."""

    url: str
    app: Any

    @property
    def shop(self) -> Any:
        """The emulated shop's state (orders, transactions, balance, payouts)."""
        return self.app.state.shop

    def control(self, path: str, body: dict | None = None) -> dict:
        """POST to a test-control route."""
        response = httpx.post(f"{self.url}/_control/{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()


def serve_emulator(webhook_url: str | None = None, **kwargs: Any):  # noqa: ANN201
    """Serve an emulator that sends its webhooks to ``webhook_url``."""
    app = create_emulator(SandboxOptions(api_key=TOKEN, webhook_url=webhook_url,
                                         webhook_secret=SECRET), **kwargs)
    return app, serve_in_thread(app)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator that sends no webhooks."""
    app, served = serve_emulator()
    with served as url:
        yield Emulator(url, app)


def shop_settings(url: str, **extra: Any) -> dict:
    """Connection settings pointing at an emulator."""
    return {"shop": SHOP_DOMAIN, "base_url": url, "access_token": TOKEN, "api_secret": SECRET,
            "page_size": 2, **extra}


@pytest.fixture
def gateway(ledger) -> Iterator[str]:
    """The real webhook gateway on the test database."""
    with serve_in_thread(create_app(ledger.engine)) as url:
        yield url


@pytest.fixture
def shop_options() -> dict:
    """Extra settings of the "shop" connection (parametrize to change them)."""
    return {}


@pytest.fixture
def shop_connection(ledger, gateway, shop_options):
    """A Shopify connection "shop" whose emulator posts webhooks to the gateway."""
    app, served = serve_emulator(f"{gateway}/webhooks/shop")
    with served as url:
        ledger.add_accounts([
            Account("2210", "Sales Tax Payable - California", "liability", "tax", "2200"),
            Account("2220", "Sales Tax Payable - New York", "liability", "tax", "2200"),
        ])
        record = add_connection(ledger.engine, "shop", "shopify", mapping=TAX_MAPPING,
                                settings=shop_settings(url, **shop_options))
        yield record, Emulator(url, app)


def by_code(ledger) -> dict[str, int]:
    """Balance per account code in minor units (debit positive), zero balances left out."""
    query = (select(accounts.c.code, func.sum(journal_lines.c.amount))
             .join(accounts, accounts.c.id == journal_lines.c.account_id)
             .where(journal_lines.c.entity_id == ledger.entity.id)
             .group_by(accounts.c.code))
    with ledger.engine.connect() as conn:
        return {code: int(total) for code, total in conn.execute(query) if int(total)}
