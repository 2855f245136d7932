"""Fixtures for the dashboard: users of each role, the app on a real port, a browser."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import httpx
import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, Page, sync_playwright

from ledgerbridge.api import create_app
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.web import users as users_module
from ledgerbridge.web.users import Role, add_user

PASSWORD = "correct horse battery"
# For tests of HTTP behaviour alone: what touches the database runs on both.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                                    reason=f"Debian's chromium is not installed at {CHROMIUM}")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(url: str, name: str, password: str = PASSWORD) -> httpx.Client:
    """A client with a logged-in session (redirects are not followed)."""
    client = httpx.Client(base_url=url, timeout=10)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"name": name, "password": password,
                                         "csrf_token": token, "next": "/connections"})
    assert answer.status_code == 303, answer.text
    return client


def post_form(client: httpx.Client, page: str, action: str, **data: str) -> httpx.Response:
    """POST a form the way the browser does: with the CSRF token of ``page``."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **data})


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch) -> None:
    """Argon2 with small costs: real hashes, without a second per login."""
    monkeypatch.setattr(users_module, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def users(ledger) -> None:
    """One user of each role, named after it."""
    for role in Role:
        add_user(ledger.engine, role.value, PASSWORD, role)


@pytest.fixture
def site(ledger, users) -> Iterator[str]:
    """Base URL of the whole application (gateway, API, dashboard) on the test database."""
    with serve_in_thread(create_app(ledger.engine)) as url:
        yield url


@pytest.fixture
def accountant(site) -> Iterator[httpx.Client]:
    """An accountant's logged-in client."""
    client = log_in(site, "accountant")
    yield client
    client.close()


@pytest.fixture
def viewer(site) -> Iterator[httpx.Client]:
    """A viewer's logged-in client."""
    client = log_in(site, "viewer")
    yield client
    client.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, shared by every browser test."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


def open_as(browser: Browser, site: str, name: str, path: str, **context: object) -> Page:
    """A page in a new browser context: ``path`` asks for a login, ``name`` logs in."""
    page = browser.new_context(base_url=site, accept_downloads=True, **context).new_page()
    page.set_default_timeout(5000)
    page.clock.install()
    page.goto(path)
    assert page.url.startswith(f"{site}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}{path}")
    return page
