"""The mapping commands: validate, docs and dry-run (which writes nothing)."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from ledgerbridge.cli.mapping import mapping_app
from ledgerbridge.store.tables import journal_entries, journal_lines
from tests.documents import samples

runner = CliRunner()


def test_validate_against_the_ledgers_chart(ledger, db_url, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("accounts: {bank: '1020'}\n")
    result = runner.invoke(mapping_app, ["validate", str(good), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - when: {type: invoice}\n    accounts: {revenue: '4999'}\n")
    result = runner.invoke(mapping_app, ["validate", str(bad), "--db", db_url])
    assert result.exit_code == 1
    assert "rules[0].accounts.revenue: unknown account '4999'" in result.output


def test_validate_refuses_a_bad_schema(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("discounts: sometimes\n")
    result = runner.invoke(mapping_app, ["validate", str(bad), "--chart",
                                         "src/ledgerbridge/ledger/charts/standard.yaml"])
    assert result.exit_code == 1
    assert "discounts" in result.output


def test_docs_writes_the_tables(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "tax:\n  jurisdictions: {US-TX: '2200'}\n"
        "fields:\n  invoice:\n    number: {from: $.doc_number, transform: upper}\n"
        "writeback:\n  - {on: invoice.paid, connection: crm, command: mark_paid}\n"
    )
    out = tmp_path / "fields.md"
    result = runner.invoke(mapping_app, ["docs", str(mapping), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "### Invoice (`invoice`)" in text
    assert "| Debit | 1100 Accounts Receivable | invoice total, per customer" in text
    assert "| Credit | 4020 Services | each line amount" in text
    assert "### Payroll run (`payroll_run`)" in text
    assert "| number | `$.doc_number` | upper |" in text
    assert "| US-TX | 2200 Sales Tax Payable |" in text
    assert "| any other | none: the exceptions queue |" in text
    assert "| contact | payment_status | ledger |" in text
    assert "| invoice.paid | crm | mark_paid |" in text
    assert "| `bank_transaction` | matched to open items by reconciliation" in text


def _count(ledger) -> tuple[int, int]:
    with ledger.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(journal_entries)).scalar(),
                conn.execute(select(func.count()).select_from(journal_lines)).scalar())


def test_dry_run_writes_nothing(ledger, db_url, tmp_path):
    docs = tmp_path / "docs.jsonl"
    bad = {**samples.fee(), "amount": 1.5}
    docs.write_text("\n".join(json.dumps(d) for d in [
        samples.invoice(), samples.order(), samples.bank_transaction(), samples.expense(), bad,
    ]))
    before = _count(ledger)
    result = runner.invoke(mapping_app, ["dry-run", str(docs), "--db", db_url],
                           env={"COLUMNS": "200"})
    assert _count(ledger) == before == (0, 0)
    assert result.exit_code == 1
    assert "Invoice INV-1001 - Acme Ltd" in result.output
    assert "79.30" in result.output and "1100 Accounts Receivable" in result.output
    assert "(posts nothing)" in result.output
    assert "2 entries would be posted; 2 document(s) failed." in result.output
    assert "line 4 (expense exp_3)" in result.output and "no exchange_rate" in result.output
    assert "line 5: fee demo/balance_transaction/txn_fee: amount" in result.output


def test_dry_run_with_a_mapping_and_a_json_list(ledger, db_url, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("accounts: {processing_fees: '6650'}\n")
    docs = tmp_path / "docs.json"
    docs.write_text(json.dumps([samples.fee()]))
    result = runner.invoke(mapping_app, ["dry-run", str(docs), "--mapping", str(mapping),
                                         "--db", db_url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "6650 Bank Charges" in result.output
    assert _count(ledger) == (0, 0)
