"""``/unified/v1`` over HTTP: tokens and roles, versions, and every error as a problem."""

from __future__ import annotations

import json

from tests.connectors.quickbooks.conftest import connect as connect_qbo
from tests.unified.conftest import sqlite_only

pytestmark = sqlite_only  # the HTTP layer; storage is tested through the adapters

INVOICE = {"type": "invoice", "source": {"connection": "demo", "object_type": "invoice",
                                         "external_id": "INV-9"},
           "number": "9", "customer": {"external_id": "acme", "name": "Acme"},
           "issue_date": "2026-04-02", "currency": "USD",
           "lines": [{"description": "Work", "amount": "120.00",
                      "tax_lines": [{"jurisdiction": "US-TX", "amount": "9.90"}]}]}


def _problem(answer, status: int, type_: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"].endswith(f"/{type_}") and body["status"] == status
    return body


def test_create_read_and_update_with_the_version_read(api):
    made = api.post("/unified/v1/invoices", content=json.dumps(INVOICE))
    assert made.status_code == 201, made.text
    record = made.json()
    assert (record["connection"], record["data"]["total"]) == ("ledger", "129.90")
    read = api.get(f"/unified/v1/invoices/{record['id']}")
    assert read.json() == record and read.headers["etag"] == f'"{record["version"]}"'
    url = f"/unified/v1/invoices/{record['id']}"
    changed = json.dumps({**INVOICE, "memo": "PO 7"})
    _problem(api.put(url, content=changed), 428, "version-required")
    updated = api.put(url, content=changed, headers={"if-match": read.headers["etag"]})
    assert updated.status_code == 200 and updated.json()["data"]["memo"] == "PO 7"
    stale = _problem(api.put(url, content=changed, headers={"if-match": record["version"]}),
                     412, "version-mismatch")
    assert stale["current_version"] == updated.json()["version"]
    page = api.get("/unified/v1/invoices", params={"updated_since": "2000-01-01T00:00:00Z"})
    assert [r["data"]["memo"] for r in page.json()["items"]] == ["PO 7"]


def test_tokens_and_roles(api, viewer_api):
    body = _problem(api.get("/unified/v1/invoices", headers={"authorization": ""}), 401,
                    "not-authorized")
    assert "Bearer" in body["detail"]
    assert viewer_api.get("/unified/v1/invoices").status_code == 200
    _problem(viewer_api.post("/unified/v1/invoices", content=json.dumps(INVOICE)), 403,
             "forbidden")


BAD_READS = [
    ("/unified/v1/orders", {}, 400, "bad-request", "'orders' is not a kind"),
    ("/unified/v1/invoices/77", {}, 404, "not-found", "no invoice 77"),
    ("/unified/v1/invoices", {"connection": "nope"}, 404, "not-found", "no connection 'nope'"),
    ("/unified/v1/invoices", {"connection": "demo"}, 400, "bad-request", "a webhook connection"),
    ("/unified/v1/invoices", {"cursor": "zzz"}, 400, "bad-request", "not a cursor"),
    ("/unified/v1/invoices", {"updated_since": "May"}, 400, "bad-request", "not an ISO 8601"),
    ("/unified/v1/invoices", {"limit": "all"}, 400, "bad-request", "not a whole number"),
]


def test_bad_reads_are_problems(api):
    for path, params, status, type_, says in BAD_READS:
        assert says in _problem(api.get(path, params=params), status, type_)["detail"]


def test_a_bad_document_names_the_record_and_each_field(api):
    body = {**INVOICE, "lines": [{"description": "Work", "amount": 120.5}]}
    problem = _problem(api.post("/unified/v1/invoices", content=json.dumps(body)), 400,
                       "bad-request")
    assert problem["detail"].startswith("invoice demo/invoice/INV-9: lines.0.amount")
    assert problem["problems"][0]["field"] == "lines.0.amount"


def test_gaps_are_declared_refused_and_reported(books, api, qbo):
    connect_qbo(books.engine, qbo, "qbo")
    gaps = api.get("/unified/v1/gaps", params={"connection": "qbo"}).json()
    assert gaps["system"] == "quickbooks" and "payments" in gaps["kinds"]
    assert "lines.*.tax_lines" in {g["field"] for g in gaps["gaps"]["invoice"]}
    assert api.get("/unified/v1/gaps").json()["gaps"] == {}
    refused = _problem(api.post("/unified/v1/invoices", params={"connection": "qbo"},
                                content=json.dumps(INVOICE)), 422, "unsupported-fields")
    assert [g["field"] for g in refused["unsupported_fields"]] == ["lines.*.tax_lines"]
    made = api.post("/unified/v1/invoices", params={"connection": "qbo", "accept_gaps": "true"},
                    content=json.dumps(INVOICE))
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["data"]["total"] == "129.90"
    assert [g["field"] for g in record["unsupported_fields"]] == ["lines.*.tax_lines"]
    assert record["data"]["source"]["connection"] == "qbo"
