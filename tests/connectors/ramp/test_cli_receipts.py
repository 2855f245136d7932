"""``ledgerbridge receipts``: match receipt files to card lines, list the lines missing one."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.intake import IntakeStore
from tests.connectors.ramp.conftest import connect, receipt_file, work

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_match_then_missing_as_json(db_url, ledger, live):
    connect(ledger, live.url)
    today = dt.date.today()
    for merchant, amount, days in (("STAPLES 0123", "19.99", 0), ("Uber", "31.40", 3)):
        day = today - dt.timedelta(days=days)
        live.control("POST", "/transactions", {
            "amount": amount, "merchant_name": merchant, "merchant_category_code": "5111",
            "state": "CLEARED", "user_transaction_time": f"{day}T08:00:00+00:00"})
    work(ledger)
    late = receipt_file("Staples", 1999, (today - dt.timedelta(days=8)).isoformat())
    assert IntakeStore(ledger).add(late, "staples.xml").document.status == "ready"  # 8 days

    matched = _run("receipts", "match", "--connection", "ramp", "--days", "10",
                   "--format", "json", "--db", db_url)
    assert matched.exit_code == 0, matched.output
    body = json.loads(matched.stdout)
    assert [m["merchant"] for m in body["matches"]] == ["STAPLES 0123"]
    assert body["matches"][0]["amount"] == "19.99"

    missing = _run("receipts", "missing", "--connection", "ramp", "--older-than", "1",
                   "--format", "json", "--db", db_url)
    assert missing.exit_code == 0, missing.output
    assert [(m["merchant"], m["age_days"]) for m in json.loads(missing.stdout)["missing"]] == [
        ("Uber", 3)]


def test_an_unknown_connection_or_a_bad_tip_is_a_clear_error(db_url, ledger):
    unknown = _run("receipts", "missing", "--connection", "nope", "--db", db_url)
    assert unknown.exit_code == 1 and "no connection 'nope'" in unknown.output
    tip = _run("receipts", "match", "--connection", "nope", "--tip-percent", "lots",
               "--db", db_url)
    assert tip.exit_code == 1 and "--tip-percent 'lots' is not a number" in tip.output
