"""``mapping diff``: a mapping change re-derives a connection's documents, writing nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from ledgerbridge.cli.mapping import mapping_app
from ledgerbridge.money import Money
from ledgerbridge.sandbox.company import company_documents
from ledgerbridge.sandbox.mapping_diff import mapping_diff
from ledgerbridge.store.tables import journal_entries
from tests.pilot.books import SEED, WRITEBACKS, company_connection, run_company

runner = CliRunner()


def _count(engine) -> int:  # noqa: ANN001 - an engine
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(journal_entries)).scalar()


def test_a_mapping_change_lists_exactly_the_entries_it_changes(sqlite_ledger, sqlite_url,
                                                               tmp_path):
    company_connection(sqlite_ledger)
    run_company(sqlite_ledger)
    engine, posted = sqlite_ledger.engine, _count(sqlite_ledger.engine)
    assert mapping_diff(engine, "company", WRITEBACKS) == []
    changes = mapping_diff(engine, "company", "accounts: {processing_fees: '6650'}\n")
    charges = {f"payment {d['source']['external_id']}": d["fee"]
               for d in company_documents(SEED) if d.get("processor") == "stripe"
               and d["type"] == "payment"}
    assert {c.document for c in changes} == set(charges)
    for change in changes:
        fee = Money.parse(charges[change.document], "USD")
        assert change.change == "changed"
        assert (change.account, change.before, change.after) in {
            ("6600", fee, None), ("6650", None, fee)}
    assert len(changes) == 2 * len(charges)
    refused = mapping_diff(engine, "company", "tax: {jurisdictions: {US-CA: '2200'}}\n")
    assert {c.change for c in refused} == {"refused"}
    assert {c.document.split()[0] for c in refused} == {"order"}
    assert all("US-TX" in c.reason for c in refused)
    assert _count(engine) == posted  # nothing written
    new = tmp_path / "new.yaml"
    new.write_text("accounts: {processing_fees: '6650'}\n")
    result = runner.invoke(mapping_app, ["diff", str(new), "--connection", "company",
                                         "--db", sqlite_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["entries_changed"] == len(charges)
    assert len(report["changes"]) == len(changes)
    result = runner.invoke(mapping_app, ["diff", str(new), "--connection", "nobody",
                                         "--db", sqlite_url])
    assert result.exit_code == 1
