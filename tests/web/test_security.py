"""Forged forms, planted sessions and injected text get nowhere."""

import re
from urllib.parse import quote

import httpx
from sqlalchemy import select

from ledgerbridge.store.tables import dashboard_users, metadata
from ledgerbridge.web import dashboard_app
from tests.web.books import seed
from tests.web.conftest import PASSWORD, csrf_of, log_in, post_form, sqlite_only

SQL = ["1010' OR '1'='1", "x'; DROP TABLE journal_lines; --"]
HTML = '"><img src=x onerror=alert(1)>'  # no slash: it also fits in one path segment
PAYLOADS = [*SQL, HTML]


def post_paths(engine) -> list[str]:
    """Every POST route of the dashboard (as its schema lists them), parameters filled in."""
    paths = dashboard_app(engine).openapi()["paths"]
    return [re.sub(r"\{[^}]+\}", "1", path) for path, ops in paths.items() if "post" in ops]


@sqlite_only
def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(ledger, site):
    admin = log_in(site, "admin")  # every role check passes: only the token can fail
    foreign = csrf_of(httpx.get(f"{site}/login").text)  # another session's real token
    paths = post_paths(ledger.engine)
    assert {"/login", "/logout", "/users", "/reconcile/run"} <= set(paths)
    for path in paths:
        for attempt in ({}, {"data": {"csrf_token": ""}}, {"data": {"csrf_token": foreign}},
                        {"headers": {"x-csrf-token": foreign}}):
            answer = admin.post(path, **attempt)
            assert answer.status_code == 403, (path, attempt)
            assert "CSRF token mismatch" in answer.text, (path, attempt)
    assert admin.get("/users").status_code == 200  # the forged logout did not log out


@sqlite_only
def test_login_never_keeps_a_planted_session_and_logout_voids_the_old_cookie(site):
    client = httpx.Client(base_url=site)
    planted_token = csrf_of(client.get("/login").text)
    planted = client.cookies["lb_session"]  # what an attacker could have set beforehand
    client.post("/login", data={"name": "accountant", "password": PASSWORD,
                                "csrf_token": planted_token})
    session = client.cookies["lb_session"]
    assert session != planted
    assert csrf_of(client.get("/connections").text) != planted_token
    attacker = httpx.Client(base_url=site, cookies={"lb_session": planted})
    assert attacker.get("/connections").headers["location"] == "/login?next=/connections"
    assert attacker.post("/connections/shop/replay", data={"csrf_token": planted_token}
                         ).headers["location"] == "/login?next=/"

    token = csrf_of(client.get("/connections").text)
    post_form(client, "/connections", "/logout")
    stale = httpx.Client(base_url=site, cookies={"lb_session": session})
    assert stale.get("/connections").headers["location"] == "/login?next=/connections"
    assert stale.post("/logout", data={"csrf_token": token}).headers["location"] == (
        "/login?next=/")  # sent to log in, not logged out again
    assert stale.get("/reports/balance-sheet.csv").status_code == 303


def snapshot(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr)
                for t in metadata.sorted_tables}


def shown(client: httpx.Client, answer: httpx.Response) -> str:
    """The page a person sees after ``answer``: a redirect's target, with its notice."""
    assert answer.status_code < 500, answer.text
    if answer.status_code == 303:
        answer = client.get(answer.headers["location"])
        assert answer.status_code < 500, answer.text
    return answer.text


def test_injected_sql_and_html_are_inert(ledger, site):
    seed(site, ledger)
    admin, anonymous = log_in(site, "admin"), httpx.Client(base_url=site)
    token = csrf_of(admin.get("/users").text)

    def post(path: str, **data: str) -> str:
        return shown(admin, admin.post(path, data={"csrf_token": token, **data}))

    before = snapshot(ledger.engine)
    for text in PAYLOADS:
        segment, query = quote(text, safe=""), quote(text)
        pages = [
            shown(anonymous, anonymous.get(f"/login?next={query}")),
            shown(anonymous, post_form(anonymous, "/login", "/login", name=text,
                                       password=text, next=text)),
            *(shown(admin, admin.get(path)) for path in (
                f"/reconcile?account={query}",
                f"/reports/{segment}",
                f"/reports/balance-sheet?end={query}",
                f"/reports/income-statement?start={query}&end=2026-03-31",
                f"/reports/cash-flow.csv?start=2026-01-01&end={query}",
                f"/accounts/{segment}",
                f"/accounts/1010?start={query}",
                f"/entries/{segment}",
                f"/kpis?baseline={query}&end={query}",
            )),
            *(post(path, account=text) for path in (
                "/reconcile/run",
                "/reconcile/999999/accept",
                f"/connections/{segment}/replay",
                f"/exceptions/events/{segment}/replay",
                f"/exceptions/bank-lines/1/{segment}",
            )),
            post("/users", name="x", role=text, password=PASSWORD),
        ]
        for page in pages:
            assert "<img" not in page
    assert snapshot(ledger.engine) == before

    for text in PAYLOADS:  # a free-text value that is stored is stored as typed
        post("/users", name=text, role="viewer", password=PASSWORD)
    listing = admin.get("/users").text
    assert "<img" not in listing and "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in listing
    with ledger.engine.connect() as conn:
        names = set(conn.execute(select(dashboard_users.c.name)).scalars())
    assert set(PAYLOADS) <= names
    assert snapshot(ledger.engine).keys() == before.keys()
