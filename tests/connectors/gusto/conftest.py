"""A Gusto emulator on a real port sending its webhooks to the real gateway, and a connection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.gusto.company import CompanyState
from ledgerbridge.connectors.gusto.emulator import COMPANY_UUID, create_emulator
from ledgerbridge.connectors.gusto.tokens import TokenIssuer
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.sync.connections import ConnectionRecord, add_connection
from tests.connectors.stripe.conftest import balances, work  # noqa: F401  (shared helpers)
from tests.sync.conftest import gateway  # noqa: F401  (the real gateway on the test database)

TOKEN = "gusto-access-token-0123"
VERIFICATION_TOKEN = "6590f590-3dba-495e-9bea-c361e1e2efc0"
NAME = "gusto"
CLIENT_ID, CLIENT_SECRET = "gusto-app-client", "gusto-app-secret-0123"


def sample_company() -> CompanyState:
    """Engineering and Sales; one on 401(k) and medical insurance, one on 401(k)."""
    company = CompanyState(COMPANY_UUID, seed=3)
    company.add_employee("Ada", "Lovelace", "Engineering", "5200.00", k401_percent="5",
                         medical=True)
    company.add_employee("Grace", "Hopper", "Engineering", "4800.00")
    company.add_employee("Dale", "Carnegie", "Sales", "3900.00", k401_percent="4")
    return company


@pytest.fixture
def company() -> CompanyState:
    """The emulated company, inspected directly for independent figures."""
    return sample_company()


@pytest.fixture
def issuer() -> TokenIssuer:
    """The emulator's OAuth2 server (two-hour access tokens, rotating refresh tokens)."""
    return TokenIssuer(CLIENT_ID, CLIENT_SECRET)


@pytest.fixture
def emulator(request, company, issuer) -> Iterator[str]:
    """Base URL of the Gusto emulator, sending signed webhooks to the gateway."""
    hooks = f"{request.getfixturevalue('gateway')}/webhooks/{NAME}"
    options = SandboxOptions(TOKEN, hooks, VERIFICATION_TOKEN)
    with serve_in_thread(create_emulator(options, company, issuer=issuer)) as url:
        yield url


@pytest.fixture
def connection(ledger, emulator) -> ConnectionRecord:
    """A Gusto connection on the test ledger, reading from the emulator."""
    return add_connection(ledger.engine, NAME, "gusto", settings={
        "access_token": TOKEN, "company_uuid": COMPANY_UUID,
        "verification_token": VERIFICATION_TOKEN, "base_url": emulator})


def control(emulator: str, path: str, **body: Any) -> dict[str, Any]:
    """Call one of the emulator's test controls (run a payroll, reverse one ...)."""
    response = httpx.post(f"{emulator}/_emulator/{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def oauth_settings(emulator: str, issuer: TokenIssuer) -> dict[str, str]:
    """Settings of a connection using the OAuth app, seeded with a fresh refresh token."""
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "refresh_token": issuer.issue(), "company_uuid": COMPANY_UUID,
            "verification_token": VERIFICATION_TOKEN, "base_url": emulator}
