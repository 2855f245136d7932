"""Account mapping suggestions against the emulated organisation's chart."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.connectors.account_map import MIN_SCORE, PackageAccount, suggest_accounts
from ledgerbridge.ledger import Account, AccountType
from ledgerbridge.sync.connections import add_connection
from tests.connectors.xero.conftest import connect


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """These tests exercise the API client; storage is covered on both databases elsewhere."""
    return sqlite_url


def test_accounts_are_suggested_by_class_role_and_name(ledger, xero, db_url):
    connect(ledger, xero)
    result = CliRunner().invoke(app, ["accounts", "map", "xero", "--format", "json",
                                      "--db", db_url])
    assert result.exit_code == 0, result.output
    rows = {r["code"]: r for r in json.loads(result.output)["suggestions"]}
    assert (rows["1010"]["target_code"], rows["1010"]["reason"].endswith("both bank")) == (
        "090", True)
    assert rows["1100"]["target_name"] == "Accounts Receivable"
    assert rows["2010"]["target_code"] == "800"  # Accounts Payable
    assert rows["6400"]["target_name"] == "Advertising"
    kinds = {"090": "asset", "200": "income", "400": "expense", "800": "liability"}
    for row in rows.values():
        assert row["target_id"] is None or row["score"] >= MIN_SCORE
        if row["target_code"] in kinds:
            assert row["type"] == kinds[row["target_code"]]


def test_a_connection_that_is_no_accounting_package_is_refused(ledger, db_url):
    add_connection(ledger.engine, "feed", "webhook", settings={"secret": "s3cret"})
    result = CliRunner().invoke(app, ["accounts", "map", "feed", "--db", db_url])
    assert result.exit_code != 0 and "reads QuickBooks or Xero" in " ".join(result.output.split())


def test_nothing_is_suggested_across_classes_or_below_the_floor():
    ours = [Account("4010", "Sales", AccountType.INCOME),
            Account("6900", "Miscellaneous", AccountType.EXPENSE)]
    theirs = [PackageAccount("a", "200", "Sales", "expense", None, "OVERHEADS"),
              PackageAccount("b", "429", "General Expenses", "expense", None, "OVERHEADS")]
    sales, misc = suggest_accounts(ours, theirs)
    assert sales.target is None and sales.reason == "nothing close enough (no income account)"
    assert misc.target is None and misc.score < MIN_SCORE
