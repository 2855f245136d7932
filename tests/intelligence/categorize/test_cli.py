import json

import pytest

from tests.intelligence.categorize.books import START, coded_history
from tests.reconcile.test_cli_reconcile import run
from tests.reconcile.test_reconcile import balance, bank, line_status


@pytest.fixture
def db_url(tmp_path, _sqlite_template):
    """The CLI on SQLite only: the same functions run on both databases in test_coding."""
    path = tmp_path / "ledger.db"
    path.write_bytes(_sqlite_template.read_bytes())
    return f"sqlite:///{path}"


def test_train_suggest_apply_review_and_correct_from_the_cli(ledger, db_url):
    coded_history(ledger)
    trained = run("categorize", "train", "--seed", 2, "--db", db_url).output
    assert "model v1 trained on 25 lines (seed 2" in trained and "new rules proposed" in trained
    sure = bank(ledger, "-12500.00", "GUSTO PAYROLL 5150", "Gusto", START)
    odd = bank(ledger, "-77.00", "ZXQ VENDOR", None, START)
    listed = json.loads(run("categorize", "suggest", "-f", "json", "--db", db_url).stdout)
    assert listed["model_version"] == 1
    by_line = {row["line"]: row for row in listed["lines"]}
    assert by_line[sure]["account_1"] == "6010" and by_line[sure]["why_1"]
    assert by_line[sure]["amount"] == "-12500.00"
    assert {"account_2", "account_3"} <= set(by_line[odd])
    csv = run("categorize", "suggest", "-f", "csv", "--db", db_url).stdout
    assert csv.startswith("line,date,amount,description")

    applied = run("categorize", "apply", "--threshold", "0.5", "--db", db_url).output
    assert "2 open lines: 1 coded by model v1, 0 matched by reconcile, 1 left for review" \
        in applied
    queue = json.loads(run("categorize", "review", "--threshold", "0.5", "-f", "json",
                           "--db", db_url).stdout)
    assert [row["line"] for row in queue["lines"]] == [odd]

    assert "coded to 6300" in run("categorize", "correct", odd, "6300", "--db", db_url).output
    assert line_status(ledger, odd) == "reconciled" and balance(ledger, "6300") == 7700
    error = run("categorize", "correct", odd, "nope", "--db", db_url, ok=False).output
    assert "not an active account" in error
    versions = json.loads(run("categorize", "versions", "-f", "json", "--db", db_url).stdout)
    assert versions["versions"][0]["seed"] == 2


def test_rules_list_accept_edit_reject_from_the_cli(ledger, db_url):
    coded_history(ledger)
    run("categorize", "train", "--db", db_url)
    rules = json.loads(run("categorize", "rules", "list", "-f", "json", "--db", db_url).stdout)
    (gusto,) = [r for r in rules["rules"] if r["rule"] == "counterparty contains GUSTO -> 6010"]
    assert gusto["status"] == "proposed"
    accepted = run("categorize", "rules", "accept", gusto["id"], "--db", db_url).output
    assert "accepted: counterparty contains GUSTO -> 6010" in accepted
    edited = run("categorize", "rules", "edit", gusto["id"], "--contains", "gusto payroll",
                 "--field", "description", "--db", db_url).output
    assert "description contains GUSTO PAYROLL -> 6010" in edited
    other = next(r for r in rules["rules"] if r["id"] != gusto["id"])
    assert "rejected" in run("categorize", "rules", "reject", other["id"], "--db", db_url).output
    table = run("categorize", "rules", "list", "--status", "accepted", "--db", db_url).output
    assert "GUSTO PAYROLL" in table and "rejected" not in table
    assert "not one of" in run("categorize", "rules", "list", "--status", "maybe",
                               "--db", db_url, ok=False).output
    assert "no categorization rule 999" in run("categorize", "rules", "accept", 999,
                                               "--db", db_url, ok=False).output
