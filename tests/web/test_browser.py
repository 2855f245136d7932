"""The dashboard in headless Chromium: what a person does with a keyboard and a mouse."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ledgerbridge.store.tables import inbox, reconciliations
from ledgerbridge.sync.worker import Worker
from tests.web.books import dead_event, invoice_body, seed
from tests.web.conftest import needs_chromium, open_as, sqlite_only

pytestmark = [needs_chromium, sqlite_only]  # the HTTP tests cover both databases


@pytest.fixture
def books(ledger, site):
    return seed(site, ledger)


def test_accountant_sees_live_connections_and_accepts_a_match_with_the_keyboard(
        browser, site, ledger, books):
    page = open_as(browser, site, "accountant", "/connections")
    row = page.locator('tr[data-connection="shop"]')
    assert "Replay 1 dead" in row.inner_text()
    page.evaluate("window.sameDocument = true")
    dead_event(ledger, 1, event_id="evt-later")
    page.clock.run_for(6000)  # the table refreshes itself
    expect(row).to_contain_text("Replay 2 dead")
    assert page.evaluate("window.sameDocument")  # without a reload

    page.goto("/reconcile")
    rows = page.locator("tr[data-row]")
    assert rows.count() == 3 and "focused" in rows.nth(0).get_attribute("class")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("j")
    chosen = int(page.locator("tr.focused").get_attribute("data-reconciliation"))
    with page.expect_navigation():
        page.keyboard.press("a")
    assert re.search(rf"Reconciliation {chosen} accepted", page.locator(".notice").inner_text())
    with ledger.engine.connect() as conn:
        status = conn.execute(select(reconciliations.c.status).where(
            reconciliations.c.id == chosen)).scalar_one()
    assert status == "accepted"
    assert page.locator("tr[data-row]").count() == 1  # the line's other suggestion is gone
    page.context.close()


def test_report_csv_downloads_from_the_report_page(browser, site, books):
    page = open_as(browser, site, "viewer", "/reports/balance-sheet?end=2026-03-31")
    with page.expect_download() as download:
        page.click("#csv")
    text = Path(download.value.path()).read_bytes().decode("utf-8")
    assert download.value.suggested_filename == "balance-sheet.csv"
    assert text.startswith("section,kind,depth,code,name,amount")
    expected = httpx.get(f"{site}/reports/balance-sheet.csv?end=2026-03-31",
                         cookies={c["name"]: c["value"] for c in page.context.cookies()})
    assert text == expected.text
    page.context.close()


def test_viewer_sees_no_accept_button_and_a_forged_post_is_403(browser, site, ledger, books):
    page = open_as(browser, site, "viewer", "/reconcile")
    assert page.locator("tr[data-row]").count() == 3
    assert page.locator("button[data-action=accept]").count() == 0
    page.keyboard.press("a")  # nothing to press
    status = page.evaluate("""async () => {
        const csrf = document.querySelector("main").dataset.csrf;
        const answer = await fetch("/reconcile/1/accept", {method: "POST",
            headers: {"X-CSRF-Token": csrf}, body: new URLSearchParams({account: "1010"})});
        return answer.status;
    }""")
    assert status == 403
    with ledger.engine.connect() as conn:
        assert "accepted" not in set(conn.execute(select(reconciliations.c.status)).scalars())
    page.context.close()


def test_drill_from_a_profit_and_loss_number_to_the_raw_payload(browser, site, books):
    page = open_as(browser, site, "viewer",
                   "/reports/income-statement?start=2026-01-01&end=2026-03-31")
    page.get_by_role("link", name="100.00", exact=True).click()  # INV-1's consulting
    page.wait_for_url(re.compile(r"/accounts/\d+\?start=2026-01-01&end=2026-03-31$"))
    entries = page.locator("table.report a[href^='/entries/']")
    expect(entries).to_have_count(1)
    entries.click()
    page.wait_for_url(re.compile(r"/entries/\d+$"))
    expect(page.locator("#document")).to_contain_text('"number": "INV-1"')
    expect(page.locator("#raw")).to_contain_text('"description": "Consulting"')
    page.get_by_text("Headers (credentials redacted)").click()
    expect(page.locator("details pre")).to_contain_text("x-ledgerbridge-signature")
    page.context.close()


def test_a_dead_letter_replayed_from_the_exceptions_page_gets_posted(
        browser, site, ledger, books):
    dead = dead_event(ledger, 1, event_id="evt-fixed", body=invoice_body("INV-7", "2026-03-02"))
    page = open_as(browser, site, "accountant", "/exceptions")
    row = page.locator(f'tr[data-event="{dead}"]')
    expect(row).to_contain_text("Add the account to the chart")
    with page.expect_navigation():
        row.get_by_role("button", name="Replay").click()
    expect(page.locator(".notice")).to_have_text(f"Event {dead} queued for replay")
    expect(row).to_have_count(0)

    page.goto("/connections")
    shop = page.locator('tr[data-connection="shop"]')
    expect(shop.locator("td").nth(6)).to_have_text("1")  # pending
    Worker(ledger.engine).run_until_idle()
    page.clock.run_for(6000)  # the table refreshes itself
    expect(shop.locator("td").nth(6)).to_have_text("0")
    expect(shop.locator("td").nth(9)).to_have_text("2")  # posted: INV-1 and now INV-7
    with ledger.engine.connect() as conn:
        assert conn.execute(select(inbox.c.status).where(inbox.c.id == dead)).scalar_one() == (
            "posted")
    page.context.close()
