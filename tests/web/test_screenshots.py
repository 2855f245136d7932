"""The screenshots in docs/screenshots, taken on demand from the test books.

    LEDGERBRIDGE_SCREENSHOTS=1 .venv/bin/pytest tests/web/test_screenshots.py
"""

import datetime as dt
import os
from pathlib import Path

import pytest

from ledgerbridge.quality import accept
from tests.web.books import seed
from tests.web.conftest import needs_chromium, open_as, sqlite_only
from tests.web.intelligence_books import cash_history, something_on_every_page

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PAGES = {
    "connections": "/connections",
    "exceptions": "/exceptions",
    "reconcile": "/reconcile?account=1010",
    "reports": "/reports",
    "balance-sheet": "/reports/balance-sheet?end=2026-03-31",
    "income-statement": "/reports/income-statement?start=2026-01-01&end=2026-03-31",
    "cash-flow": "/reports/cash-flow?start=2026-01-01&end=2026-03-31",
    "account": "/accounts/1100?end=2026-03-31",
    "entry": "/entries/1",
    "kpis": "/kpis?baseline=2026-03-01&end=2026-03-31",
    "users": "/users",
}
# Taken after their books are added, so the pages above keep the books they had.
REVIEW_PAGES = {
    "quality": "/quality",
    "anomalies": "/anomalies",
    "forecast": "/forecast?account=1010&days=91",
    "categorize": "/categorize?threshold=0.5",
}
VIEWPORT = {"width": 1280, "height": 800}
pytestmark = [
    needs_chromium, sqlite_only,
    pytest.mark.skipif(not os.environ.get("LEDGERBRIDGE_SCREENSHOTS"),
                       reason="on demand: set LEDGERBRIDGE_SCREENSHOTS=1 to retake them"),
]


def test_take_a_screenshot_of_every_page(browser, site, ledger):
    seed(site, ledger)
    SHOTS.mkdir(exist_ok=True)
    login = browser.new_page(base_url=site, viewport=VIEWPORT)
    login.goto("/login")
    login.screenshot(path=SHOTS / "login.png")
    login.close()
    page = open_as(browser, site, "admin", "/connections", viewport=VIEWPORT)
    for name, path in PAGES.items():
        page.goto(path)
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    accept(ledger, something_on_every_page(ledger)["merge"])
    cash_history(ledger, dt.date.today())
    for name, path in REVIEW_PAGES.items():
        page.goto(path)
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    page.context.close()
