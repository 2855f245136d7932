"""Receipts matched as they arrive: a file added, a card line posted by the worker."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.connectors.ramp.attach import attach_receipts
from ledgerbridge.intake import IntakeError, IntakeStore
from ledgerbridge.store.tables import documents, receipt_matches
from tests.connectors.ramp.conftest import balance, connect, receipt_file, work

runner = CliRunner()
TODAY = dt.date.today()


def _run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _day(days_ago: int) -> str:
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


def _swipe(live, amount: str, merchant: str, days_ago: int = 0, mcc: str = "5111") -> dict:
    return live.control("POST", "/transactions", {
        "amount": amount, "merchant_name": merchant, "merchant_category_code": mcc,
        "user_transaction_time": f"{_day(days_ago)}T12:00:00+00:00", "state": "CLEARED"})


def _current(ledger, external_id: str):
    with ledger.engine.connect() as conn:
        return conn.execute(select(documents).where(
            documents.c.type == "expense", documents.c.external_id == external_id,
            documents.c.status == "current")).one()


def _add(db_url: str, tmp_path, content: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    _run("documents", "add", str(path), "--db", db_url)


@pytest.mark.parametrize("receipt_first", [True, False], ids=["receipt-first", "card-first"])
def test_a_receipt_and_a_card_line_match_on_arrival_in_either_order(
        db_url, ledger, live, tmp_path, receipt_first):
    connect(ledger, live.url)
    receipt = receipt_file("Blue Bottle Coffee", 4200, _day(1))
    if receipt_first:
        _add(db_url, tmp_path, receipt, "coffee.xml")
    meal = _swipe(live, "50.00", "BLUE BOTTLE COFFEE #12", mcc="5814")  # a webhook, then ...
    work(ledger)  # ... the worker posts it
    if not receipt_first:
        assert IntakeStore(ledger).list() == []
        _add(db_url, tmp_path, receipt, "coffee.xml")

    (doc,) = IntakeStore(ledger).list()
    assert doc.status == "matched"
    assert (doc.matched.connection, doc.matched.transaction_id, doc.matched.by) == (
        "ramp", meal["id"], "auto")
    row = _current(ledger, meal["id"])
    assert json.loads(row.data)["receipt"] == f"intake:{doc.sha256}"
    assert balance(ledger, "6350") == 5000 and balance(ledger, "2100") == -5000

    audit = _run("audit", str(row.entry_id), "--db", db_url)
    assert "coffee.xml" in audit.stdout and doc.sha256 in audit.stdout
    listed = _run("documents", "list", "--status", "matched", "--db", db_url)
    assert "matched" in listed.stdout and meal["id"][:8] in listed.stdout
    assert attach_receipts(ledger, "ramp").matches == ()  # nothing left to match


def test_a_matched_receipt_is_no_bill_and_undoing_the_match_puts_it_back(
        db_url, ledger, live, tmp_path):
    connect(ledger, live.url)
    store = IntakeStore(ledger)
    doc = store.add(receipt_file("Staples", 1999, _day(0)), "staples.xml").document
    txn = _swipe(live, "19.99", "STAPLES 0123")
    work(ledger)
    doc = store.get(doc.id)
    assert doc.status == "matched"
    with pytest.raises(IntakeError, match="evidence for a card charge"):
        store.approve(doc.id, "alice")
    refused = runner.invoke(app, ["documents", "post", str(doc.id), "--db", db_url])
    assert refused.exit_code == 1 and "receipt of ramp transaction" in refused.output
    assert balance(ledger, "2010") == 0  # no payable: the card line is the spend

    _run("receipts", "unlink", str(doc.id), "--db", db_url)
    assert store.get(doc.id).status == "ready" and store.get(doc.id).matched is None
    assert json.loads(_current(ledger, txn["id"]).data).get("receipt") is None
    assert balance(ledger, "2100") == -1999  # reversed and posted again: same balance

    _run("receipts", "link", str(doc.id), txn["id"], "--connection", "ramp", "--by", "bob",
         "--db", db_url)
    doc = store.get(doc.id)
    assert doc.status == "matched" and doc.matched.by == "bob"
    assert json.loads(_current(ledger, txn["id"]).data)["receipt"] == f"intake:{doc.sha256}"
    assert balance(ledger, "2100") == -1999


def test_a_receipt_that_fits_two_card_lines_goes_to_review_not_to_either(ledger, live):
    connect(ledger, live.url)
    first = _swipe(live, "12.00", "Joe's Diner")
    second = _swipe(live, "12.00", "Joe's Diner")
    work(ledger)
    stored = IntakeStore(ledger).add(receipt_file("Joe's Diner", 1200, _day(0)), "joe.xml")
    assert stored.document.status == "ready"  # not guessed
    with ledger.engine.connect() as conn:
        held = conn.execute(select(receipt_matches.c.transaction_id, receipt_matches.c.reason)
                            .where(receipt_matches.c.status == "review")).all()
    assert sorted(t for t, _ in held) == sorted([first["id"], second["id"]])
    assert "pick the pairing by hand" in held[0].reason
    assert attach_receipts(ledger, "ramp").matches == ()  # held pairings wait for a person
