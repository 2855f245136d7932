"""``ledgerbridge unified``: push to an emulated QuickBooks company, deliver webhooks."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ledgerbridge.cli import app
from tests.connectors.quickbooks.conftest import connect as connect_qbo
from tests.unified.conftest import post_all, sqlite_only
from tests.unified.demo_month import demo_month

runner = CliRunner()


@sqlite_only
def test_push_reports_each_record_and_fails_on_what_it_cannot_carry(db_url, ours, qbo):
    documents = demo_month()[:1] + [d for d in demo_month() if d.type == "invoice"][:1]
    post_all(ours, documents)
    connect_qbo(ours.engine, qbo, "qbo")
    refused = runner.invoke(app, ["unified", "push", "qbo", "--db", db_url, "-f", "json"])
    assert refused.exit_code == 1
    rows = json.loads(refused.stdout)["rows"]
    assert [(r["kind"], r["action"]) for r in rows] == [("contacts", "created"),
                                                        ("invoices", "failed")]
    assert "cannot carry lines.*.tax_lines" in rows[1]["detail"]
    done = runner.invoke(app, ["unified", "push", "qbo", "--accept-gaps", "--db", db_url,
                               "-f", "json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["counts"] == {"created": 1, "unchanged": 1}
    assert report["rows"][1]["unsupported"] == "lines.*.tax_lines"
    sent = runner.invoke(app, ["unified", "webhooks", "--db", db_url])
    assert sent.exit_code == 0 and "0 change(s) announced" in sent.stdout
    missing = runner.invoke(app, ["unified", "pull", "nowhere", "--db", db_url])
    assert missing.exit_code == 1 and "no connection 'nowhere'" in missing.output
