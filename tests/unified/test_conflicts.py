"""Both sides changed the same invoice; a package whose grant has expired."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from ledgerbridge.documents import parse_document
from ledgerbridge.store.tables import connections, sync_log
from ledgerbridge.unified import Bridge, adapter_for
from tests.connectors.quickbooks.conftest import connect as connect_qbo
from tests.unified.conftest import post_all, sqlite_only
from tests.unified.demo_month import demo_month

pytestmark = sqlite_only  # links and sync_log on PostgreSQL: see test_round_trip

ONE_CUSTOMER = 2  # the first invoice of the demo month and its customer


def _first_invoice(books, ours, qbo, mapping: str | None):
    documents = [d for d in demo_month() if d.type == "contact"][:1]
    invoice = next(d for d in demo_month() if d.type == "invoice"
                   and d.customer.external_id == documents[0].source.external_id)
    post_all(ours, [*documents, invoice])
    connect_qbo(books.engine, qbo, "qbo")
    with books.engine.begin() as conn:
        conn.execute(update(connections).where(connections.c.name == "qbo")
                     .values(mapping=mapping))
    bridge = Bridge(books.engine, adapter_for(books.engine, "qbo"), accept_gaps=True)
    assert [o.action for o in bridge.push()] == ["created"] * ONE_CUSTOMER
    return bridge, ours.list("invoices").items[0]


@pytest.mark.parametrize(("mapping", "winner", "loser"), [
    (None, "ledger", "quickbooks"),
    ("source_of_truth:\n  invoice: {default: quickbooks}\n", "quickbooks", "ledger"),
], ids=["the-ledger-masters-invoices-by-default", "quickbooks-masters-invoices"])
def test_the_source_of_truth_rule_decides_and_the_loser_is_logged(
        books, ours, qbo, mapping, winner, loser):
    bridge, record = _first_invoice(books, ours, qbo, mapping)
    in_qbo = next(iter(qbo.company.records["Invoice"].values()))
    issued = record.data.issue_date
    ledger_due, qbo_due = issued + dt.timedelta(days=45), issued + dt.timedelta(days=60)
    ours.update("invoices", record.id, record.data.model_copy(update={"due_date": ledger_due}),
                version=record.version)
    qbo.save("Invoice", Id=in_qbo["Id"], SyncToken=in_qbo["SyncToken"], sparse=True,
             DueDate=qbo_due.isoformat())

    outcomes = bridge.pull()
    assert [(o.action, o.detail) for o in outcomes if o.kind == "invoices"][0] == (
        "conflict", f"due_date: {winner}")
    expected = ledger_due if winner == "ledger" else qbo_due
    assert ours.get("invoices", record.id).data.due_date == expected
    assert qbo.company.records["Invoice"][in_qbo["Id"]]["DueDate"] == expected.isoformat()
    with books.engine.connect() as conn:
        logged = conn.execute(select(sync_log.c.kind, sync_log.c.message)).all()
    assert [(kind, f"{winner} wins over {loser}" in message) for kind, message in logged] == [
        ("conflict", True)]
    assert {o.action for o in bridge.pull() + bridge.push()} <= {"unchanged"}


def test_an_expired_refresh_token_is_a_problem_that_names_the_connection(books, api, qbo):
    connect_qbo(books.engine, qbo, "qbo")
    qbo.company.refresh_tokens.clear()  # revoked, or past its hundred days
    qbo.company.expire_access_tokens()
    answer = api.get("/unified/v1/invoices", params={"connection": "qbo"})
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("/connection-unauthorized")
    assert problem["connection"] == "qbo"
    assert "'qbo' (quickbooks)" in problem["detail"]
    assert "Authorize the connection again" in problem["detail"]
    assert "Traceback" not in answer.text


def test_a_document_the_package_cannot_fully_carry_is_refused_or_reported(books, ours, qbo):
    connect_qbo(books.engine, qbo, "qbo")
    taxed = next(d for d in demo_month() if d.type == "invoice")
    target = adapter_for(books.engine, "qbo")
    with pytest.raises(Exception, match=r"cannot carry lines\.\*\.tax_lines") as refused:
        target.create("invoices", taxed)
    assert refused.value.status == 422
    assert qbo.company.records["Invoice"] == {}
    made = target.create("invoices", parse_document(
        taxed.model_dump(mode="json") | {"memo": "kept"}), accept_gaps=True)
    assert [g.field for g in made.unsupported_fields] == ["lines.*.tax_lines"]
    assert (made.data.memo, made.data.tax_total) == ("kept", taxed.tax_total)
