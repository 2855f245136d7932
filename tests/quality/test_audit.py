"""The data audit finds every planted problem and nothing else; the CLI shows it."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.ledger import LedgerError
from ledgerbridge.quality import CHECKS, accept, audit, merges, resolve_contacts
from tests.quality.books import AS_OF, dirty_books

PLANTED = {
    ("duplicate_across_systems", "books:aws-2 crm:aws-1 xero:aws-3"),
    ("duplicate_across_systems", "crm:wonka xero:wonka"),
    ("duplicate_within_system", "books:glx-1 books:glx-2"),
    ("inconsistent_name", "books:glx-1 books:glx-2"),
    ("inconsistent_address", "crm:wonka xero:wonka"),
    ("name_format", "xero:aws-3"),
    ("name_format", "xero:stark"),
    ("invalid_tax_id", "crm:initech"),
    ("invalid_iban", "books:umbrella"),
    ("invalid_email", "xero:hooli"),
    ("invalid_currency", "crm:vandelay"),
    ("invalid_country", "books:soylent"),
    ("near_duplicate_accounts", "account 6300 account 6310"),
    ("unused_account", "account 6450"),
    ("wrong_type_postings", "account 6200"),
    ("unposted_document", "legacy:invoice:L-1"),
}
"""Every problem ``dirty_books`` plants, as (check, record): all the audit may find."""

runner = CliRunner()
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def dirty(ledger):
    dirty_books(ledger)
    return ledger, set(PLANTED)


def found(ledger, connection=None) -> set[tuple[str, str]]:
    return {(f.check, f.record) for f in audit(ledger, connection, as_of=AS_OF)}


def test_the_audit_finds_every_planted_problem_and_nothing_else(dirty):
    ledger, planted = dirty
    assert found(ledger) == planted
    assert {check for check, _ in planted} == set(CHECKS)  # every check is exercised
    # one connection: its own records (and duplicates involving them), and the ledger
    assert found(ledger, "xero") == {(c, r) for c, r in planted
                                     if "xero:" in r or r.startswith("account")}
    with pytest.raises(LedgerError, match="no connection 'nope'"):
        audit(ledger, "nope")


def test_an_accepted_merge_is_no_longer_a_duplicate(dirty):
    ledger, planted = dirty
    resolve_contacts(ledger)
    (wonka,) = [m for m in merges(ledger) if "crm:wonka" in dict(m.members)]
    accept(ledger, wonka.id)
    after = found(ledger)
    assert ("duplicate_across_systems", "crm:wonka xero:wonka") not in after
    assert ("inconsistent_address", "crm:wonka xero:wonka") in after  # still two addresses
    assert after == planted - {("duplicate_across_systems", "crm:wonka xero:wonka")}


def cli(db_url, *args):
    return runner.invoke(app, [*args, "--db", db_url])


@sqlite_only  # the commands only call what the tests above check on both
def test_audit_data_prints_a_table_csv_and_json(dirty, db_url):
    _, planted = dirty
    table = cli(db_url, "audit-data", "--as-of", AS_OF.isoformat())
    assert table.exit_code == 0, table.output
    assert "invalid_iban" in table.output
    data = json.loads(cli(db_url, "audit-data", "--details", "--as-of", AS_OF.isoformat(),
                          "--format", "json").output)
    assert {(f["check"], f["record"]) for f in data["findings"]} == planted
    rows = list(csv.DictReader(io.StringIO(cli(db_url, "audit-data", "--as-of",
                                               AS_OF.isoformat(), "-f", "csv").output)))
    counts = {r["check"]: r["count"] for r in rows if r["check"] != "Total"}
    assert counts["duplicate_across_systems"] == "2"
    assert rows[-1]["count"] == str(len(planted))


@sqlite_only  # the commands only call what the tests above check on both
def test_audit_data_of_a_missing_connection_exits_non_zero(dirty, db_url):
    result = cli(db_url, "audit-data", "nope")
    assert result.exit_code == 1
    assert "no connection 'nope'" in result.output


@sqlite_only  # the commands only call what the tests above check on both
def test_contacts_commands_resolve_accept_show_undo_and_merge(dirty, db_url):
    assert "3 merges proposed" in cli(db_url, "contacts", "resolve").output
    proposals = json.loads(cli(db_url, "contacts", "proposals", "-f", "json").output)
    first = proposals["merges"][0]
    accepted = cli(db_url, "contacts", "accept", str(first["id"]))
    assert accepted.exit_code == 0, accepted.output
    shown = json.loads(cli(db_url, "contacts", "show", "-f", "json").output)
    assert [c["name"] for c in shown["contacts"]] == [first["name"]]
    assert cli(db_url, "contacts", "undo", str(first["id"])).exit_code == 0
    by_hand = cli(db_url, "contacts", "merge", "crm:amz-r", "crm:aws-1")
    assert by_hand.exit_code == 0, by_hand.output
    assert "2 records are contact" in by_hand.output
    assert cli(db_url, "contacts", "merge", "crm:nope", "crm:aws-1").exit_code == 1
    again = cli(db_url, "contacts", "undo", str(first["id"]))
    assert again.exit_code == 1
    assert "only an accepted merge can be undone" in again.output
