"""QuickBooks webhooks through the gateway and the worker to documents and settlement."""

from __future__ import annotations

import time
from decimal import Decimal
from importlib.metadata import entry_points

import httpx
import pytest

from ledgerbridge.connectors import registry
from ledgerbridge.connectors.oauth import TokenStore
from ledgerbridge.connectors.quickbooks import QuickBooksConnector
from ledgerbridge.connectors.quickbooks.emulator import REALM_ID
from ledgerbridge.connectors.quickbooks.wire import dumps, sign
from ledgerbridge.store import make_engine
from ledgerbridge.store.tables import inbox
from ledgerbridge.sync.settlement import invoice_state
from tests.connectors.hubspot.helpers import current, inbox_rows, work
from tests.connectors.quickbooks.conftest import VERIFIER, connect


def _payment(qbo, customer: str, invoice: str, amount: str) -> dict:
    return qbo.save("Payment", TxnDate="2026-11-20", CustomerRef={"value": customer},
                    TotalAmt=Decimal(amount),
                    Line=[{"Amount": Decimal(amount),
                           "LinkedTxn": [{"TxnId": invoice, "TxnType": "Invoice"}]}])


def test_notifications_become_documents_and_a_payment_settles_the_invoice(ledger,
                                                                          pushing_qbo):
    qbo = pushing_qbo
    record = connect(ledger.engine, qbo)
    customer = qbo.customer()
    invoice = qbo.invoice(customer["Id"], "300.00", "100.00", number="1001")
    work(ledger)
    assert current(ledger, "invoice")[invoice["Id"]]["total"] == "400.00"
    assert current(ledger, "contact")[customer["Id"]]["name"] == "Acme Corp"
    key = (record.id, invoice["Id"])
    with ledger.engine.connect() as conn:
        assert invoice_state(conn, key).status == "open"
    _payment(qbo, customer["Id"], invoice["Id"], "150.00")
    work(ledger)
    with ledger.engine.connect() as conn:
        assert invoice_state(conn, key).status == "partially_paid"
    _payment(qbo, customer["Id"], invoice["Id"], "250.00")
    work(ledger)
    with ledger.engine.connect() as conn:
        state = invoice_state(conn, key)
    assert state.status == "paid"
    assert {row.status for row in inbox_rows(ledger)} <= {"posted", "ignored"}


def test_a_wrong_signature_is_refused_and_nothing_stored(ledger, gateway, qbo):
    connect(ledger.engine, qbo)
    body = (b'{"eventNotifications":[{"realmId":"9130357000000001","dataChangeEvent":'
            b'{"entities":[{"name":"Invoice","id":"1","operation":"Create",'
            b'"lastUpdated":"2026-11-02T10:00:00Z"}]}}]}')
    answer = httpx.post(f"{gateway}/webhooks/qbo", content=body,
                        headers={"intuit-signature": "bm90IHRoZSBzaWduYXR1cmU="})
    assert answer.status_code == 401
    with ledger.engine.connect() as conn:
        assert conn.execute(inbox.select()).first() is None


def test_a_redelivered_notification_is_stored_once_and_fetches_the_latest(ledger, gateway,
                                                                         qbo):
    connect(ledger.engine, qbo)
    customer = qbo.customer()
    body = dumps({"eventNotifications": [{"realmId": REALM_ID, "dataChangeEvent": {
        "entities": [{"name": "Customer", "id": customer["Id"], "operation": "Create",
                      "lastUpdated": customer["MetaData"]["LastUpdatedTime"]}]}}]}).encode()
    headers = {"intuit-signature": sign(body, VERIFIER), "content-type": "application/json"}
    answers = [httpx.post(f"{gateway}/webhooks/qbo", content=body, headers=headers)
               for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 200]
    qbo.save("Customer", Id=customer["Id"], SyncToken="0", sparse=True, DisplayName="New")
    work(ledger)
    assert current(ledger, "contact")[customer["Id"]]["name"] == "New"


def test_the_package_declares_the_entry_point():
    points = entry_points(group=registry.ENTRY_POINT_GROUP, name="quickbooks")
    if not any(point.dist and point.dist.name == "ledgerbridge" for point in points):
        pytest.skip("pyproject.toml does not declare the quickbooks entry point yet")
    assert registry.connector_class("quickbooks") is QuickBooksConnector


def test_the_worker_refreshes_expired_access_and_the_rotated_token_is_stored(ledger,
                                                                            pushing_qbo):
    qbo = pushing_qbo
    connect(ledger.engine, qbo)
    customer = qbo.customer()
    qbo.control("/expire")  # an hour passes
    work(ledger)
    assert current(ledger, "contact")[customer["Id"]]["name"] == "Acme Corp"
    assert qbo.company.refreshes == 1
    url = ledger.engine.url.render_as_string(hide_password=False)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # on SQLite it is stored once the batch commits
        fresh = make_engine(url)
        tokens = TokenStore(fresh, "qbo").load()
        fresh.dispose()
        if tokens.refresh_token in qbo.company.refresh_tokens:
            break
        time.sleep(0.05)
    assert tokens.refresh_token in qbo.company.refresh_tokens
