"""The exceptions page lists dead write-backs, card lines missing a receipt and receipts
that fit several card lines, each with its reason and action; one click each in Chromium.
"""

from __future__ import annotations

import datetime as dt

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ledgerbridge.intake import IntakeStore
from ledgerbridge.store.tables import outbox
from ledgerbridge.sync.apply import Command
from ledgerbridge.sync.outbox import deliver_due, enqueue
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.web.users import create_token
from tests.connectors.ramp.conftest import _emulator, connect, receipt_file, sandbox, work
from tests.web.conftest import needs_chromium, open_as, sqlite_only

__all__ = ["_emulator", "sandbox"]  # fixtures this module uses

TODAY = dt.date.today()


def _swipe(sandbox, amount: str, merchant: str, days_ago: int) -> dict:
    day = TODAY - dt.timedelta(days=days_ago)
    return sandbox.control("POST", "/transactions", {
        "amount": amount, "merchant_name": merchant, "merchant_category_code": "5999",
        "user_transaction_time": f"{day}T12:00:00+00:00", "state": "CLEARED"})


def _books(ledger, sandbox) -> dict:
    """A Ramp connection with a card line 10 days without receipt, a receipt fitting two
    card lines, and a contact push the target refused for good."""
    ramp = connect(ledger, sandbox.url)
    old = _swipe(sandbox, "80.00", "Hotel Example", 10)
    twins = [_swipe(sandbox, "12.00", "Joe's Diner", 0) for _ in range(2)]
    poll_connection(ledger.engine, ramp, since=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    work(ledger)
    held = IntakeStore(ledger).add(receipt_file("Joe's Diner", 1200, TODAY.isoformat()),
                                   "joe.xml").document
    with ledger.engine.begin() as conn:
        enqueue(conn, Command("ramp", "push_contact", {"name": "Acme"}, "push:acme"))
    deliver_due(ledger.engine)  # Ramp takes no write-backs: dead at once
    return {"old": old, "twins": twins, "held": held}


def _table(page: Page):
    return page.locator("#exceptions")


@needs_chromium
@sqlite_only
def test_an_accountant_sees_each_exception_and_acts_on_it(browser, site, ledger, sandbox):
    books = _books(ledger, sandbox)
    page = open_as(browser, site, "accountant", "/exceptions")

    command = _table(page).locator("tr[data-command]")
    expect(command).to_contain_text("push_contact")
    expect(command).to_contain_text("ramp supports no write-back")
    with page.expect_navigation():
        command.get_by_role("button", name="Retry").click()
    expect(page.locator(".notice")).to_contain_text("queued for retry")
    with ledger.engine.connect() as conn:
        assert conn.execute(select(outbox.c.status)).scalar_one() == "pending"

    missing = _table(page).locator(f"tr[data-card-line='{books['old']['id']}']")
    expect(missing).to_contain_text("no receipt after 10 days (policy: 7 days)")
    expect(missing).to_contain_text("Hotel Example")
    with page.expect_navigation():
        missing.get_by_role("link", name="Open card line").click()
    expect(page.locator("body")).to_contain_text("2100")  # the card line's entry
    page.go_back()

    held = _table(page).locator(f"tr[data-held-receipt='{books['held'].id}']")
    expect(held).to_contain_text("pick the pairing by hand")
    first = books["twins"][0]["id"]
    with page.expect_navigation():
        held.get_by_role("button", name=f"Link {first}").click()
    expect(page.locator(".notice")).to_contain_text(f"receipt of ramp transaction {first}")
    doc = IntakeStore(ledger).get(books["held"].id)
    assert doc.status == "matched" and doc.matched.by == "accountant"
    expect(_table(page).locator("tr[data-held-receipt]")).to_have_count(0)


@needs_chromium
@sqlite_only
def test_a_viewer_sees_the_exceptions_but_no_buttons(browser, site, ledger, sandbox):
    _books(ledger, sandbox)
    page = open_as(browser, site, "viewer", "/exceptions")
    expect(_table(page).locator("tr[data-command]")).to_contain_text("push_contact")
    expect(_table(page).locator("tr[data-held-receipt]")).to_contain_text("joe.xml")
    expect(_table(page).get_by_role("button")).to_have_count(0)


def test_a_receipt_uploaded_through_the_api_is_matched_on_arrival(ledger, site, accountant,
                                                                  sandbox):
    ramp = connect(ledger, sandbox.url)
    txn = _swipe(sandbox, "19.99", "STAPLES 0123", 0)
    poll_connection(ledger.engine, ramp, since=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    work(ledger)
    api = httpx.Client(base_url=site, headers={
        "Authorization": f"Bearer {create_token(ledger.engine, 'accountant')}"})
    answer = api.post("/api/documents", files={
        "file": ("staples.xml", receipt_file("Staples", 1999, TODAY.isoformat()))})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "matched"
    assert (body["matched"]["transaction_id"], body["matched"]["by"]) == (txn["id"], "auto")
    page = accountant.get("/documents", params={"status": "matched"}).text
    assert f"receipt of ramp transaction {txn['id']}" in page
    assert 'action="/documents/1/approve"' not in page  # evidence, not a bill
