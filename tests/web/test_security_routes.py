"""Every route the dashboard declares needs a login, and every change the accountant role.

The routes are read from the app's own OpenAPI description (as the CSRF test in
test_security.py does), so a page added later is held to this without a new case;
free text from the newer pages' data and parameters comes back escaped.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import httpx

from ledgerbridge.quality import resolve_contacts
from ledgerbridge.web import dashboard_app
from tests.intelligence.anomalies.test_scan import add_debits
from tests.quality.books import connect, contact, store
from tests.web.conftest import csrf_of, log_in, sqlite_only
from tests.web.test_security import HTML, PAYLOADS, shown, snapshot

OPEN = {"/login"}  # the one page (and form) a visitor without a session may use
ESCAPED = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"


def routes(engine, method: str) -> list[str]:  # noqa: ANN001 - an engine
    """The dashboard's routes for ``method``, parameters filled in."""
    paths = dashboard_app(engine).openapi()["paths"]
    return [re.sub(r"\{[^}]+\}", "1", path) for path, ops in paths.items()
            if method in ops and path not in OPEN]


@sqlite_only
def test_without_a_session_every_route_sends_to_login_and_shows_nothing(ledger, site):
    anonymous = httpx.Client(base_url=site)
    pages, actions = routes(ledger.engine, "get"), routes(ledger.engine, "post")
    assert {"/quality", "/anomalies", "/forecast", "/categorize"} <= set(pages)
    assert {"/quality/merges/1/1", "/anomalies/1/dismiss", "/categorize/1/code"} <= set(actions)
    for path in pages:
        answer = anonymous.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/login?next={quote(path, safe='/')}", path
        assert answer.text == "", path
    for path in actions:
        answer = anonymous.post(path, data={"account": "6300"})
        assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=/"), path
        assert answer.text == "", path


@sqlite_only
def test_a_viewer_with_a_valid_token_changes_nothing_anywhere(ledger, site):
    viewer = log_in(site, "viewer")
    token = csrf_of(viewer.get("/connections").text)
    before = snapshot(ledger.engine)
    for path in routes(ledger.engine, "post"):
        if path == "/logout":
            continue
        answer = viewer.post(path, data={"csrf_token": token, "account": "6300"})
        assert answer.status_code == 403, path
        assert re.search(r"(accountant|admin) role", answer.text), path
    assert snapshot(ledger.engine) == before


def test_text_typed_into_the_new_pages_is_inert(ledger, site):
    admin = log_in(site, "admin")
    token = csrf_of(admin.get("/quality").text)
    before = snapshot(ledger.engine)
    for text in PAYLOADS:
        segment, query = quote(text, safe=""), quote(text)
        pages = [shown(admin, admin.get(path)) for path in (
            f"/forecast?account={query}", f"/forecast?days={query}",
            f"/categorize?threshold={query}")]
        pages += [shown(admin, admin.post(path, data={"csrf_token": token, "account": text}))
                  for path in (f"/quality/merges/999999/{segment}",
                               f"/quality/merges/{segment}/accept",
                               f"/anomalies/{segment}/dismiss",
                               "/categorize/999999/code", f"/categorize/{segment}/code")]
        for page in pages:
            assert "<img" not in page
    assert snapshot(ledger.engine) == before
    answer = admin.post(f"/quality/merges/999999/{quote(HTML, safe='')}",
                        data={"csrf_token": token})
    assert f"unknown action &#39;{ESCAPED}&#39;" in shown(admin, answer)  # echoed, escaped


def test_names_from_synced_contacts_and_bank_lines_are_shown_escaped(ledger, site):
    connect(ledger, "crm", "books")
    for system in ("crm", "books"):
        store(ledger, system, [contact(system, "v-1", f"Initrode {HTML}",
                                       emails=["ap@initrode.example"])])
    resolve_contacts(ledger)
    today = dt.date.today()
    add_debits(ledger, (today, 12_345, HTML), (today, 12_345, HTML))
    admin = log_in(site, "admin")
    assert admin.post("/anomalies/scan", data={
        "csrf_token": csrf_of(admin.get("/anomalies").text)}).status_code == 303
    for path in ("/quality", "/anomalies"):
        page = admin.get(path).text
        assert "<img" not in page and ESCAPED in page, path
