"""The dashboard in headless Chromium: what a person does with a keyboard and a mouse."""

import re
import shutil
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from ledgerbridge.store.tables import reconciliations
from tests.web.books import dead_event, seed
from tests.web.conftest import PASSWORD, sqlite_only

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None,
                       reason="Debian's chromium is not installed at /usr/bin/chromium"),
    sqlite_only,  # the HTTP tests cover both databases
]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def books(ledger, site):
    return seed(site, ledger)


def open_as(browser, site, name, path):
    page = browser.new_context(base_url=site, accept_downloads=True).new_page()
    page.clock.install()
    page.goto(path)
    assert page.url.startswith(f"{site}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}{path}")
    return page


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
