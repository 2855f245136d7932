"""The documents page and ``POST /api/documents``: upload, approve, post, open the file."""

from __future__ import annotations

from decimal import Decimal

import httpx
from playwright.sync_api import expect

from ledgerbridge.intake import IntakeStore
from ledgerbridge.web.users import create_token
from tests.intake.ubl_writer import SimpleLine, write_ubl
from tests.web.conftest import csrf_of, needs_chromium, open_as, sqlite_only
from tests.web.test_security import HTML, shown

# A USD invoice, in the test ledger's own currency: it posts without an exchange rate.
INVOICE = write_ubl("P-1", [SimpleLine("Paper", Decimal(2), 5000, Decimal(25))]).replace(
    b"EUR", b"USD")


def _upload(client: httpx.Client, content: bytes, name: str) -> httpx.Response:
    token = csrf_of(client.get("/documents").text)
    return client.post("/documents/upload", data={"csrf_token": token},
                       files={"file": (name, content, "application/octet-stream")})


def _act(client: httpx.Client, action: str) -> str:
    token = csrf_of(client.get("/documents").text)
    return shown(client, client.post(action, data={"csrf_token": token}))


def test_an_accountant_uploads_approves_posts_and_opens_the_file(ledger, site, accountant):
    answer = _upload(accountant, INVOICE, "p1.xml")
    assert answer.status_code == 303
    page = shown(accountant, answer)
    assert "p1.xml: stored as document 1, ready" in page
    assert 'action="/documents/1/approve"' in page and 'action="/documents/1/post"' not in page
    assert "already stored as document 1" in shown(accountant, _upload(accountant, INVOICE,
                                                                       "again.xml"))
    assert "Document 1 approved by accountant" in _act(accountant, "/documents/1/approve")
    page = _act(accountant, "/documents/1/post")
    doc = IntakeStore(ledger).get(1)
    assert f"Document 1 posted as entry {doc.entry_id}" in page
    assert f'href="/entries/{doc.entry_id}"' in page
    assert (doc.approved_by, doc.posted_by) == ("accountant", "accountant")
    opened = accountant.get("/documents/1/file")
    assert opened.status_code == 200 and opened.content == INVOICE
    assert opened.headers["content-type"].startswith("application/xml")
    assert "default-src 'self'" in opened.headers["content-security-policy"]
    assert opened.headers["content-disposition"] == "inline; filename*=UTF-8''p1.xml"
    assert accountant.get("/documents/99/file").status_code == 404


def test_a_refused_step_says_why_and_changes_nothing(ledger, site, accountant):
    assert "Not uploaded: no file in the form field" in shown(
        accountant, accountant.post("/documents/upload", files={"other": ("x", b"x")},
                                    data={"csrf_token": csrf_of(accountant.get(
                                        "/documents").text)}))
    _upload(accountant, b"%PDF-1.4 scanned", "scan.pdf")
    page = _act(accountant, "/documents/1/post")
    assert "Not posted: document 1 is unreadable" in page
    assert IntakeStore(ledger).get(1).entry_id is None


@sqlite_only
def test_a_viewer_reads_and_opens_but_uploads_nothing(ledger, site, viewer):
    IntakeStore(ledger).add(b"hi <script>alert(1)</script>", "page.html")
    page = viewer.get("/documents")
    assert page.status_code == 200 and "page.html" in page.text
    assert 'action="/documents/upload"' not in page.text
    opened = viewer.get("/documents/1/file")  # never rendered as a page of this site
    assert opened.headers["content-type"] == "application/octet-stream"
    assert opened.headers["content-disposition"].startswith("attachment;")
    refused = viewer.post("/documents/upload", data={"csrf_token": csrf_of(page.text)},
                          files={"file": ("p.xml", INVOICE)})
    assert refused.status_code == 403
    assert IntakeStore(ledger).list() != [] and len(IntakeStore(ledger).list()) == 1
    assert httpx.get(f"{site}/documents/1/file").status_code == 303  # no session: login


@sqlite_only
def test_a_file_name_is_shown_escaped(ledger, site, accountant):
    page = shown(accountant, _upload(accountant, INVOICE, f"{HTML}.xml"))
    assert "<img" not in page


def test_the_api_stores_an_upload_and_answers_problems(ledger, site):
    def api(role: str) -> httpx.Client:
        return httpx.Client(base_url=site, headers={
            "Authorization": f"Bearer {create_token(ledger.engine, role)}"})

    accountant = api("accountant")
    first = accountant.post("/api/documents", files={"file": ("p1.xml", INVOICE)})
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["id"], body["status"], body["number"], body["total"], body["new"]) == (
        1, "ready", "P-1", "62.50", True)
    assert body["coding"] == [{"line": 1, "account": "6900", "source": "mapping",
                               "reason": "the mapping's expense account"}]
    again = accountant.post("/api/documents", files={"file": ("copy.xml", INVOICE)})
    assert (again.status_code, again.json()["id"], again.json()["new"]) == (200, 1, False)
    scan = accountant.post("/api/documents", files={"file": ("s.pdf", b"%PDF-1.4 x")})
    assert (scan.status_code, scan.json()["status"]) == (201, "unreadable")
    assert IntakeStore(ledger).content(scan.json()["id"]) == b"%PDF-1.4 x"  # bytes kept
    for answer, status, detail in (
            (accountant.post("/api/documents", files={"file": ("e.xml", b"")}), 400,
             "e.xml is empty"),
            (accountant.post("/api/documents", files={"doc": ("a.xml", INVOICE)}), 400,
             "no file in the form field 'file'"),
            (accountant.post("/api/documents", content=INVOICE), 415, "multipart/form-data"),
            (api("viewer").post("/api/documents", files={"file": ("p.xml", INVOICE)}), 403,
             "needs the accountant role")):
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert detail in answer.json()["detail"]
    anonymous = httpx.post(f"{site}/api/documents", files={"file": ("p.xml", INVOICE)})
    assert anonymous.status_code == 401
    assert len(IntakeStore(ledger).list()) == 2


@needs_chromium
@sqlite_only
def test_in_the_browser_a_file_is_uploaded_approved_and_posted(browser, site, ledger,
                                                                tmp_path):
    (tmp_path / "p1.xml").write_bytes(INVOICE)
    page = open_as(browser, site, "accountant", "/documents")
    page.set_input_files("input[name=file]", str(tmp_path / "p1.xml"))
    for button in ("Upload", "Approve", "Post"):
        with page.expect_navigation():
            page.get_by_role("button", name=button).click()
    expect(page.locator(".notice")).to_contain_text("Document 1 posted as entry")
    expect(page.locator("#documents tr[data-document='1']")).to_contain_text("posted")
