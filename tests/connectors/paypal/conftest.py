"""Fixtures: the PayPal emulator on a real port, PayPal's own SDK pointed at it, a connection."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from paypalserversdk.configuration import Configuration
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.money import Money
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient
from sqlalchemy import func, select

from ledgerbridge.api import create_app
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.paypal.emulator import WEBHOOK_ID, create_emulator
from ledgerbridge.store.tables import accounts, inbox, journal_lines
from ledgerbridge.sync.connections import ConnectionRecord, add_connection
from ledgerbridge.sync.worker import Worker, WorkerStats

CLIENT_ID = "AeTestClient0001"
CLIENT_SECRET = "EHtestSecret0001"
WEBHOOK_SECRET = "paypal-webhook-test-key"


class _EmulatorConfiguration(Configuration):
    """The SDK's configuration with the base URI of the emulator instead of PayPal's."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url

    def get_base_uri(self, server: Any = None) -> str:
        return self.base_url


def sdk_client(base_url: str, client_id: str = CLIENT_ID,
               secret: str = CLIENT_SECRET) -> PaypalServersdkClient:
    """PayPal's official SDK, authenticating with client credentials against ``base_url``."""
    credentials = ClientCredentialsAuthCredentials(o_auth_client_id=client_id,
                                                   o_auth_client_secret=secret)
    return PaypalServersdkClient(config=_EmulatorConfiguration(
        base_url, client_credentials_auth_credentials=credentials))


@dataclass
class Sandbox:
    """The running emulator: its URL, the SDK and the test-control routes."""

    url: str
    sdk: PaypalServersdkClient
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call a ``/test`` route."""
        response = self.http.request(method, f"{self.url}/test{path}", json=body)
        response.raise_for_status()
        return response.json()

    def checkout(self, value: str, currency: str = "USD", **unit: str) -> dict[str, Any]:
        """Create and capture an order through the SDK; the capture as JSON."""
        request = OrderRequest(intent=CheckoutPaymentIntent.CAPTURE, purchase_units=[
            PurchaseUnitRequest(amount=AmountWithBreakdown(currency_code=currency, value=value),
                                **unit)])
        order = self.sdk.orders.create_order({"body": request,
                                              "paypal_request_id": str(uuid.uuid4())})
        assert order.status_code == 201, order.text
        captured = self.sdk.orders.capture_order({"id": order.body.id,
                                                  "paypal_request_id": str(uuid.uuid4())})
        assert captured.status_code == 201, captured.text
        capture = captured.body.purchase_units[0].payments.captures[0]
        return json.loads(self.sdk.payments.get_captured_payment({"capture_id": capture.id}).text)

    def refund(self, capture_id: str, value: str | None = None,
               currency: str = "USD") -> dict[str, Any]:
        """Refund a capture through the SDK, in full or ``value``."""
        body = RefundRequest(amount=Money(currency_code=currency, value=value)) if value \
            else RefundRequest()
        response = self.sdk.payments.refund_captured_payment(
            {"capture_id": capture_id, "body": body, "paypal_request_id": str(uuid.uuid4())})
        assert response.status_code == 201, response.text
        return json.loads(response.text)


@pytest.fixture(scope="module")
def _quiet_emulator() -> Iterator[str]:
    app = create_emulator(CLIENT_ID, CLIENT_SECRET, webhook_secret=WEBHOOK_SECRET)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def sandbox(_quiet_emulator: str) -> Sandbox:
    """An emulator that keeps its webhooks (sends none), empty for each test."""
    fresh = Sandbox(_quiet_emulator, sdk_client(_quiet_emulator))
    fresh.control("POST", "/reset")  # the SDK's token goes with it: the SDK is new too
    return fresh


@pytest.fixture
def gateway(ledger) -> Iterator[str]:
    """The real webhook gateway on the test database."""
    with serve_in_thread(create_app(ledger.engine)) as url:
        yield url


@pytest.fixture
def live(_quiet_emulator: str, gateway: str) -> Sandbox:
    """An emulator sending its webhooks to the gateway's ``paypal`` connection."""
    fresh = Sandbox(_quiet_emulator, sdk_client(_quiet_emulator))
    fresh.control("POST", "/reset")
    fresh.control("PUT", "/config", {"webhook_url": f"{gateway}/webhooks/paypal"})
    return fresh


def connect(ledger, url: str, **settings: Any) -> ConnectionRecord:
    """A ``paypal`` connection to the emulator at ``url``."""
    return add_connection(ledger.engine, "paypal", "paypal", settings={
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "webhook_id": WEBHOOK_ID,
        "base_url": url, **settings})


def work(ledger) -> WorkerStats:
    """Run a worker until nothing is due."""
    worker = Worker(ledger.engine)
    worker.run_until_idle()
    return worker.stats


def balance(ledger, code: str) -> int:
    """The balance of account ``code`` in the functional currency's minor units."""
    query = (select(func.coalesce(func.sum(journal_lines.c.amount), 0))
             .join(accounts, accounts.c.id == journal_lines.c.account_id)
             .where(accounts.c.code == code, journal_lines.c.entity_id == ledger.entity.id))
    with ledger.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def inbox_statuses(ledger) -> list[str]:
    """The status of every inbox event, oldest first."""
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(inbox.c.status).order_by(inbox.c.id)).scalars())
