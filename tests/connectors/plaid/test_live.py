"""End to end: a change at Plaid -> signed webhook -> gateway -> worker -> bank book -> matched."""

import datetime as dt
import time

import httpx
import pytest
from sqlalchemy import func, select

from ledgerbridge.ledger import Entry, Line, Lineage
from ledgerbridge.money import Money
from ledgerbridge.store.tables import accounts, inbox, journal_lines
from tests.connectors.plaid.conftest import book, connect, new_item


def wait_for(check, timeout=15.0):
    """Poll ``check`` until it is true; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"not true after {timeout} s: {check.__doc__ or check}")


def receivable(ledger, party):
    query = select(func.coalesce(func.sum(journal_lines.c.amount), 0)).join(
        accounts, accounts.c.id == journal_lines.c.account_id).where(
        accounts.c.entity_id == ledger.entity.id, accounts.c.code == "1100",
        journal_lines.c.party == party)
    with ledger.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def inbox_count(ledger):
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(inbox)).scalar_one()


def deliveries(url):
    return httpx.get(f"{url}/_emulator/state").json()["webhooks"]


@pytest.fixture
def item(ledger, live):
    bank = new_item(live.url)
    connect(ledger, bank)
    return bank


def test_a_payment_at_the_bank_reconciles_its_invoice_within_seconds(ledger, live, item):
    usd = Money.parse("1250.00", "USD")
    ledger.post(Entry(date=dt.date(2026, 11, 20), memo="Invoice INV-1001",
                      lineage=Lineage(document_id="INV-1001"),
                      lines=(Line("1100", usd, party="Acme Corp"), Line("4010", -usd))))
    start = time.monotonic()
    txn = item.add("-1250.00", date="2026-11-21", name="ACME CORP PAYMENT",
                   original_description="PAYMENT INV-1001 ACME CORP")
    (sent,) = deliveries(item.url)
    assert sent["status"] == 202 and '"webhook_code": "SYNC_UPDATES_AVAILABLE"' in sent["body"]

    def reconciled():
        """the bank line is reconciled"""
        return [(r.bank_reference, r.status) for r in book(ledger)] == [(txn, "reconciled")]

    wait_for(reconciled)
    assert time.monotonic() - start < 5
    assert receivable(ledger, "Acme Corp") == 0


def test_pending_then_posted_is_one_line(ledger, item):
    pending = item.add("42.00", date="2026-11-20", pending=True, name="HARDWARE STORE")
    wait_for(lambda: [r.pending for r in book(ledger)] == [True])
    posted = item.post(pending, date="2026-11-22")
    wait_for(lambda: [(r.bank_reference, r.pending) for r in book(ledger)] == [(posted, False)])


def test_modified_and_removed_at_the_bank(ledger, item):
    txn = item.add("20.00", date="2026-11-20", pending=True, name="DINER")
    other = item.add("3.50", date="2026-11-20", name="COFFEE")
    wait_for(lambda: len(book(ledger)) == 2)
    item.modify(txn, amount="23.00", name="DINER TIP")
    wait_for(lambda: {r.bank_reference: r.amount for r in book(ledger)}[txn] == -2300)
    item.remove(txn)
    wait_for(lambda: [r.bank_reference for r in book(ledger)] == [other])


def test_a_duplicate_delivery_adds_nothing(ledger, live, item):
    gateway = live.gateway
    item.add("9.99", date="2026-11-20")
    wait_for(lambda: len(book(ledger)) == 1)
    sent = deliveries(item.url)[-1]
    before = inbox_count(ledger)
    again = httpx.post(f"{gateway}/webhooks/plaid", content=sent["body"].encode(),
                       headers=sent["headers"])
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    assert inbox_count(ledger) == before
    # a new delivery of the same news: read again, nothing new
    fired = item.call("/sandbox/item/fire_webhook", webhook_code="SYNC_UPDATES_AVAILABLE")
    assert fired["webhook_fired"] is True
    time.sleep(0.5)
    assert [r.amount for r in book(ledger)] == [-999]


def test_a_forged_or_stale_webhook_gets_401_and_is_not_stored(ledger, live, item):
    gateway = live.gateway
    item.add("1.00", date="2026-11-20")
    wait_for(lambda: len(book(ledger)) == 1)
    sent = deliveries(live.url)[-1]
    before = inbox_count(ledger)
    tampered = sent["body"].replace("SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE").encode()
    response = httpx.post(f"{gateway}/webhooks/plaid", content=tampered, headers=sent["headers"])
    assert response.status_code == 401 and "request_body_sha256" in response.text
    stale = httpx.post(f"{gateway}/webhooks/plaid", content=sent["body"].encode(), headers={
        **sent["headers"],
        "plaid-verification": live.sandbox.sign(sent["body"].encode(),
                                                iat=int(time.time()) - 360)})
    assert stale.status_code == 401 and "5 minutes" in stale.text
    unsigned = httpx.post(f"{gateway}/webhooks/plaid", content=sent["body"].encode(),
                          headers={"content-type": "application/json"})
    assert unsigned.status_code == 401
    assert inbox_count(ledger) == before
