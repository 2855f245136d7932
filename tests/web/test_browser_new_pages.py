"""Data quality, anomalies, forecast and categorization in headless Chromium, one click each."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import Table, func, select
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.intelligence.categorize.coding import train
from ledgerbridge.ledger import Ledger
from ledgerbridge.money import Money
from ledgerbridge.store.tables import anomaly_flags, bank_lines, contact_aliases, contact_merges
from tests.intelligence.categorize.books import coded_history
from tests.quality.books import dirty_books
from tests.reconcile.test_reconcile import line_status
from tests.web.conftest import needs_chromium, open_as, sqlite_only
from tests.web.intelligence_books import (
    cash_history,
    double_payment,
    something_on_every_page,
    unsure_line,
)

pytestmark = [needs_chromium, sqlite_only]  # the HTTP tests of each page cover both databases


def aliases_of(ledger: Ledger, merge_id: int) -> list[str]:
    """The record keys and names a merge made aliases of its contact."""
    with ledger.engine.connect() as conn:
        return sorted(conn.execute(select(contact_aliases.c.value).where(
            contact_aliases.c.merge_id == merge_id)).scalars())


def count(ledger: Ledger, table: Table, *where: object) -> int:
    """Rows of ``table`` that match ``where``."""
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def click_and_wait(page: Page, button: Locator) -> None:
    """Click a form's button and wait for the page the POST redirects to."""
    with page.expect_navigation():
        button.click()


def test_accountant_accepts_a_contact_merge_and_undoes_it(browser, site, ledger):
    dirty_books(ledger)
    page = open_as(browser, site, "accountant", "/quality")
    expect(page.locator("#checks")).to_contain_text("invalid_iban")
    click_and_wait(page, page.get_by_role("button", name="Find duplicate contacts"))
    expect(page.locator(".notice")).to_contain_text("merges proposed")
    proposal = page.locator("#proposals tr[data-merge]").first
    merge_id = int(proposal.get_attribute("data-merge"))
    keys = proposal.locator("td").nth(2).locator(".muted").all_inner_texts()  # crm:aws-1 ...
    assert keys and aliases_of(ledger, merge_id) == []

    click_and_wait(page, proposal.get_by_role("button", name="Accept"))
    expect(page.locator(".notice")).to_contain_text(f"Merge {merge_id} accepted")
    expect(page.locator(f'#proposals tr[data-merge="{merge_id}"]')).to_have_count(0)
    accepted = page.locator(f'#accepted tr[data-merge="{merge_id}"]')
    expect(accepted).to_have_count(1)
    assert set(keys) < set(aliases_of(ledger, merge_id))  # every record key, and the names

    click_and_wait(page, accepted.get_by_role("button", name="Undo"))
    expect(page.locator(".notice")).to_contain_text(f"Merge {merge_id} undone")
    expect(page.locator(f'#accepted tr[data-merge="{merge_id}"]')).to_have_count(0)
    assert aliases_of(ledger, merge_id) == []
    with ledger.engine.connect() as conn:
        assert conn.execute(select(contact_merges.c.status).where(
            contact_merges.c.id == merge_id)).scalar_one() == "undone"
    page.context.close()


def test_a_dismissed_flag_stays_dismissed_after_a_reload_and_a_new_scan(browser, site, ledger):
    double_payment(ledger)
    page = open_as(browser, site, "accountant", "/anomalies")
    expect(page.locator("#flags")).to_contain_text("No open flags.")
    click_and_wait(page, page.get_by_role("button", name="Scan now"))
    flag = page.locator("#flags tr[data-flag]")
    expect(flag).to_have_count(1)
    expect(flag).to_contain_text("990.00 USD paid to Acme Corp twice")
    flag_id = int(flag.get_attribute("data-flag"))

    click_and_wait(page, flag.get_by_role("button", name="Dismiss"))
    expect(page.locator(".notice")).to_have_text(f"Flag {flag_id} (duplicate_payment) dismissed")
    page.reload()
    expect(page.locator("#flags tr[data-flag]")).to_have_count(0)
    expect(page.locator("#dismissed")).to_contain_text("accountant")
    click_and_wait(page, page.get_by_role("button", name="Scan now"))  # found again
    expect(page.locator(".notice")).to_contain_text("0 of them new")
    expect(page.locator("#flags tr[data-flag]")).to_have_count(0)
    assert count(ledger, anomaly_flags, anomaly_flags.c.status == "open") == 0
    page.context.close()


def minor(text: str) -> int:
    """Minor units of a USD amount as the JSON report writes it."""
    return Money.parse(text, "USD").minor


def points(page: Page, shape: str) -> list[tuple[int, int]]:
    """The (x, y) points of the chart's polygon or polyline."""
    text = page.locator(f"#forecast-chart {shape}").get_attribute("points")
    return [tuple(map(int, pair.split(","))) for pair in text.split()]


def test_forecast_chart_draws_the_band_and_median_of_the_cli_forecast(browser, site, ledger,
                                                                       db_url):
    today = dt.date.today()
    cash_history(ledger, today)
    cli = CliRunner().invoke(app, ["forecast", "--days", "28", "--account", "1010",
                                   "--format", "json", "--db", db_url])
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.output)
    rows = expected["rows"]
    page = open_as(browser, site, "viewer", "/forecast?account=1010&days=28")
    svg = page.locator("#forecast-chart")
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box["width"] > 600 and box["height"] > 150
    assert page.locator("#forecast-chart polygon").bounding_box()["height"] > 10  # a band

    start = minor(expected["start_balance"])
    lows, medians, highs = ([minor(r[k]) for r in rows] for k in ("low", "median", "high"))
    top, bottom = max(*highs, start), min(*lows, start)
    height = int(page.locator("#forecast-chart line").first.get_attribute("y2"))  # the y axis

    def y(balance: int) -> int:
        return round((top - balance) * height / (top - bottom))

    line = points(page, "polyline")
    assert line[0] == (0, y(start)) and [v for _, v in line[1:]] == list(map(y, medians))
    band = points(page, "polygon")
    assert len(band) == 2 * len(rows) + 1
    upper, lower = band[1:len(rows) + 1], band[len(rows) + 1:][::-1]
    for (x, high), (x_low, low), (x_median, median) in zip(upper, lower, line[1:], strict=True):
        assert x == x_low == x_median and high <= median <= low  # the line inside the band

    weeks = page.locator("#weeks tbody tr")
    expect(weeks).to_have_count(4)
    for i, row in enumerate(rows[6::7]):
        expect(weeks.nth(i)).to_have_text(
            f"{row['date']} {row['low']} {row['median']} {row['high']}", use_inner_text=True)
    expect(page.locator("main > p").first).to_contain_text(
        f"From {expected['start_balance']} USD on {expected['as_of']}: median "
        f"{rows[-1]['median']} on {rows[-1]['date']}")
    page.context.close()


def test_accountant_codes_an_unsure_bank_line_with_one_click(browser, site, ledger):
    coded_history(ledger)
    train(ledger)
    odd = unsure_line(ledger)
    page = open_as(browser, site, "accountant", "/categorize?threshold=0.5")
    row = page.locator(f'#queue tr[data-line="{odd}"]')
    suggestion = row.locator("[data-suggestion]").first
    account = suggestion.get_attribute("data-suggestion")
    click_and_wait(page, suggestion.get_by_role("button"))
    expect(page.locator(".notice")).to_have_text(f"Bank line {odd} coded to {account}")
    expect(page.locator(f'#queue tr[data-line="{odd}"]')).to_have_count(0)
    assert line_status(ledger, odd) == "reconciled"
    page.context.close()


def post_from_page(page: Page, action: str) -> int:
    """POST ``action`` with the page's own CSRF token, as a crafted button would."""
    return page.evaluate("""async (action) => {
        const csrf = document.querySelector("main").dataset.csrf;
        const answer = await fetch(action, {method: "POST", headers: {"X-CSRF-Token": csrf},
                                            body: new URLSearchParams({account: "6300"})});
        return answer.status;
    }""", action)


@pytest.fixture
def everything(ledger) -> dict[str, int]:
    return something_on_every_page(ledger)


def test_a_viewer_sees_no_buttons_and_a_crafted_post_is_refused(browser, site, ledger,
                                                                everything):
    page = open_as(browser, site, "viewer", "/quality")
    expect(page.locator("#proposals tr[data-merge]").first).to_be_visible()
    for path, rows, action in (
            ("/quality", "#proposals tr[data-merge]",
             f"/quality/merges/{everything['merge']}/accept"),
            ("/anomalies", "#flags tr[data-flag]", f"/anomalies/{everything['flag']}/dismiss"),
            ("/categorize?threshold=0.5", "#queue tr[data-line]",
             f"/categorize/{everything['line']}/code")):
        page.goto(path)
        expect(page.locator(rows).first).to_be_visible()
        assert page.locator(f"{rows} button").count() == 0, path
        assert post_from_page(page, action) == 403, action
    assert aliases_of(ledger, everything["merge"]) == []
    assert count(ledger, anomaly_flags, anomaly_flags.c.status == "dismissed") == 0
    assert count(ledger, bank_lines, bank_lines.c.id == everything["line"],
                 bank_lines.c.status == "unreconciled") == 1
    page.context.close()
