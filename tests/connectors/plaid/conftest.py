"""Fixtures for the Plaid connector: the emulator on a real port, Items, connections."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ledgerbridge.api import create_app
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.plaid.emulator import CLIENT_ID, sandbox_app
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.store.tables import bank_lines
from ledgerbridge.sync.connections import ConnectionRecord, add_connection
from ledgerbridge.sync.worker import Worker

SECRET = "plaid-secret-0123456789"


@dataclass
class Bank:
    """One emulated Plaid Item, driven through the emulator's HTTP API."""

    url: str
    access_token: str
    item_id: str
    accounts: list[str]

    def call(self, path: str, **body: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.url}{path}", json={
            "client_id": CLIENT_ID, "secret": SECRET, "access_token": self.access_token,
            **body}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def add(self, amount: str, **spec: Any) -> str:
        """Add a transaction (amount as Plaid means it: positive is money out)."""
        return self.call("/_emulator/transactions/add", amount=amount,
                         **spec)["transaction"]["transaction_id"]

    def modify(self, txn_id: str, **changes: Any) -> None:
        self.call("/_emulator/transactions/modify", transaction_id=txn_id, changes=changes)

    def post(self, txn_id: str, *, link: bool = True, **changes: Any) -> str:
        return self.call("/_emulator/transactions/post", transaction_id=txn_id, link=link,
                         changes=changes)["transaction"]["transaction_id"]

    def remove(self, txn_id: str) -> None:
        self.call("/_emulator/transactions/remove", transaction_id=txn_id)

    def transactions(self) -> list[dict[str, Any]]:
        return self.call("/_emulator/transactions/list")["transactions"]

    def open_account(self, **spec: Any) -> str:
        return self.call("/_emulator/accounts/create", **spec)["account"]["account_id"]


def new_item(url: str) -> Bank:
    """A new Item, created the way Plaid's sandbox does (public token, then exchange)."""
    auth = {"client_id": CLIENT_ID, "secret": SECRET}
    public = httpx.post(f"{url}/sandbox/public_token/create", json={
        **auth, "institution_id": "ins_109508", "initial_products": ["transactions"]}).json()
    exchanged = httpx.post(f"{url}/item/public_token/exchange", json={
        **auth, "public_token": public["public_token"]}).json()
    accounts = httpx.post(f"{url}/accounts/get", json={
        **auth, "access_token": exchanged["access_token"]}).json()["accounts"]
    return Bank(url, exchanged["access_token"], exchanged["item_id"],
                [a["account_id"] for a in accounts])


def connect(ledger, bank: Bank, *, name: str = "plaid", accounts: dict | None = None,
            count: int = 500, **extra: Any) -> ConnectionRecord:
    """A plaid connection reading ``bank``; its checking account goes to 1010."""
    return add_connection(ledger.engine, name, "plaid", entity=ledger.entity.code, settings={
        "client_id": CLIENT_ID, "secret": SECRET, "access_token": bank.access_token,
        "item_id": bank.item_id, "base_url": bank.url, "count": count,
        "accounts": accounts if accounts is not None else {bank.accounts[0]: "1010"},
        **extra})


def book(ledger) -> list:
    """The bank book's lines, oldest first."""
    query = select(bank_lines).where(bank_lines.c.entity_id == ledger.entity.id)
    with ledger.engine.connect() as conn:
        return list(conn.execute(query.order_by(bank_lines.c.id)))


@pytest.fixture
def plaid_url() -> Iterator[str]:
    """Base URL of a Plaid emulator that sends no webhooks."""
    with serve_in_thread(sandbox_app(SandboxOptions(api_key=SECRET))) as url:
        yield url


@pytest.fixture
def bank(plaid_url: str) -> Bank:
    """A fresh Item on the emulator."""
    return new_item(plaid_url)


@dataclass
class Live:
    """The running pieces of an end-to-end test."""

    gateway: str
    url: str
    sandbox: Any  # the emulator's state, to sign webhooks as it does
    worker: Worker


@pytest.fixture
def live(ledger) -> Iterator[Live]:
    """The gateway, a Plaid emulator whose webhooks go to it, and a worker running."""
    stop = threading.Event()
    with serve_in_thread(create_app(ledger.engine)) as gateway:
        options = SandboxOptions(api_key=SECRET, webhook_url=f"{gateway}/webhooks/plaid")
        app = sandbox_app(options)
        with serve_in_thread(app) as url:
            worker = Worker(ledger.engine)
            thread = threading.Thread(target=worker.run, args=(stop,),
                                      kwargs={"idle_sleep": 0.05}, daemon=True)
            thread.start()
            try:
                yield Live(gateway, url, app.state.plaid, worker)
            finally:
                stop.set()
                thread.join(timeout=30)


@pytest.fixture
def live_plaid() -> Iterator[tuple[str, Any]]:
    """A Plaid emulator's URL and its state, to change Items directly (no webhooks)."""
    app = sandbox_app(SandboxOptions(api_key=SECRET))
    with serve_in_thread(app) as url:
        yield url, app.state.plaid
