"""End to end: card transactions and reimbursements from the emulator, receipts matched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
from sqlalchemy import select

from ledgerbridge.connectors.ramp.attach import attach_receipts, missing_receipts
from ledgerbridge.connectors.ramp.signature import sign
from ledgerbridge.intake import IntakeStore
from ledgerbridge.store.tables import documents, inbox
from ledgerbridge.sync.audit import audit_trail
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.ramp.conftest import (
    WEBHOOK_SECRET,
    balance,
    connect,
    receipt_file,
    work,
)

TODAY = dt.date.today()


def _day(days_ago: int) -> str:
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


def _current_expense(ledger, external_id: str):
    with ledger.engine.connect() as conn:
        return conn.execute(select(documents).where(
            documents.c.type == "expense", documents.c.external_id == external_id,
            documents.c.status == "current")).one()


def test_a_receipt_file_and_a_card_transaction_arrive_match_and_post(ledger, live):
    connect(ledger, live.url)
    stored = IntakeStore(ledger).add(
        receipt_file("Blue Bottle Coffee", 4200, _day(1)), "receipt.xml").document
    assert stored.status == "ready"  # no card line yet

    meal = live.control("POST", "/transactions", {
        "amount": "50.00", "merchant_name": "BLUE BOTTLE COFFEE #12",
        "merchant_category_code": "5814", "card_holder": "Ada Byron",
        "user_transaction_time": f"{_day(0)}T12:00:00+00:00", "state": "CLEARED"})
    old = live.control("POST", "/transactions", {
        "amount": "120.00", "merchant_name": "Delta Air Lines", "merchant_category_code": "3058",
        "user_transaction_time": f"{_day(12)}T09:00:00+00:00"})
    live.control("POST", f"/transactions/{old['id']}/clear")
    live.control("POST", "/transactions", {"amount": "9.99", "merchant_name": "Pending Inc"})
    work(ledger)  # posts the card lines, then matches the receipt waiting for the meal

    assert balance(ledger, "6350") == 5000 + 12000  # meals and travel
    assert balance(ledger, "2100") == -17000  # owed on the company card
    assert IntakeStore(ledger).get(stored.id).status == "matched"
    row = _current_expense(ledger, meal["id"])
    trail = audit_trail(ledger, row.entry_id)
    assert trail.document["data"]["receipt"] == f"intake:{stored.sha256}"
    assert trail.document["receipt_file"]["file_name"] == "receipt.xml"
    assert trail.entry.lineage.external_id == meal["id"]
    assert attach_receipts(ledger, "ramp").matches == ()  # linked once

    missing = missing_receipts(ledger, "ramp", older_than_days=7, today=TODAY)
    assert [r["transaction"] for r in missing.rows] == [old["id"]]
    assert missing.meta["count"] == 1
    assert missing_receipts(ledger, "ramp", older_than_days=7, today=TODAY,
                            over=Decimal("120.00")).rows == []  # the policy's threshold


def test_a_reimbursement_is_owed_to_the_employee_until_ramp_pays_it(ledger, sandbox):
    ramp = connect(ledger, sandbox.url, page_size=2)
    claims = [sandbox.control("POST", "/reimbursements", {
        "amount": amount, "merchant": "Yellow Cab", "user_id": "u-7",
        "user_full_name": "Grace Hopper", "transaction_date": _day(3)})
        for amount in ("25.50", "14.00", "3.25", "99.00")]
    for claim in claims[:3]:
        sandbox.control("POST", f"/reimbursements/{claim['id']}/approve")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    assert all(r.error is None for r in poll_connection(ledger.engine, ramp, since=since))
    work(ledger)
    assert balance(ledger, "2350", "Grace Hopper") == -4275  # the unapproved claim: nothing
    assert balance(ledger, "6900") == 4275  # no category: the default expense account

    sandbox.control("POST", f"/reimbursements/{claims[0]['id']}/pay")
    assert all(r.error is None for r in poll_connection(ledger.engine, ramp))
    work(ledger)
    assert balance(ledger, "2350", "Grace Hopper") == -1725
    assert balance(ledger, "1010") == -2550
    with ledger.engine.connect() as conn:
        assert set(conn.execute(select(inbox.c.status)).scalars()) <= {"posted", "ignored"}


def test_a_webhook_with_a_bad_signature_is_refused(ledger, live):
    connect(ledger, live.url)
    body = b'{"id": "e-1", "type": "transactions.cleared", "object": {"id": "t-1"}}'
    app_url = live.gateway
    good = {"content-type": "application/json", "x-ramp-signature": sign(body, WEBHOOK_SECRET)}
    bad = good | {"x-ramp-signature": sign(body, "another secret")}
    assert httpx.post(f"{app_url}/webhooks/ramp", content=body, headers=bad).status_code == 401
    assert httpx.post(f"{app_url}/webhooks/ramp", content=body, headers=good).status_code < 300
