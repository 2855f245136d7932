"""Fixtures: the Stripe emulator sending webhooks to the real gateway, and a connection."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.stripe.account import Account
from ledgerbridge.connectors.stripe.emulator import create_emulator
from ledgerbridge.ledger.reports import trial_balance
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.sync.connections import ConnectionRecord, add_connection
from ledgerbridge.sync.worker import Worker
from tests.sync.conftest import gateway  # noqa: F401  (the real gateway, shared)

API_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_test_0a1b2c3d4e5f"
NAME = "stripe-us"


@pytest.fixture
def account() -> Account:
    """The emulated Stripe account (inspected directly for independent totals)."""
    return Account(seed=7)


@pytest.fixture
def emulator(request, account) -> Iterator[str]:
    """Base URL of the Stripe emulator, sending its webhooks to the gateway."""
    hooks = f"{request.getfixturevalue('gateway')}/webhooks/{NAME}"
    options = SandboxOptions(API_KEY, hooks, WEBHOOK_SECRET, seed=7)
    with serve_in_thread(create_emulator(options, account)) as url:
        yield url


@pytest.fixture
def client(emulator) -> stripe.StripeClient:
    """The official Stripe SDK pointed at the emulator."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": emulator},
                               max_network_retries=0)


@pytest.fixture
def connection(ledger, emulator) -> ConnectionRecord:
    """A Stripe connection on the test ledger, reading from the emulator."""
    return add_connection(ledger.engine, NAME, "stripe", settings={
        "api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET, "base_url": emulator})


def control(emulator: str, path: str, **data: object) -> dict:
    """Call one of the emulator's test controls (a dispute, a bank's answer ...)."""
    response = httpx.post(f"{emulator}/_emulator/{path}", data=data,
                          headers={"authorization": f"Bearer {API_KEY}"})
    response.raise_for_status()
    return response.json()


def work(ledger) -> None:
    """Process every due event."""
    Worker(ledger.engine).run_until_idle()


def balances(ledger) -> dict[str, int]:
    """Net balance (debit positive, minor units) of every account with lines."""
    return {row["account"]: row["debit"] - row["credit"]
            for row in trial_balance(ledger).rows if row["debit"] != row["credit"]}
