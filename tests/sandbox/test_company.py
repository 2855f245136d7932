"""The generated company: deterministic, realistic, and posted through a real connection."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.documents import parse_document
from ledgerbridge.money import Money
from ledgerbridge.sandbox.company import company_documents, company_jsonl
from ledgerbridge.store.tables import bank_lines, inbox, journal_entries

runner = CliRunner()


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_data():
    assert company_jsonl(company_documents(5)) == company_jsonl(company_documents(5))
    assert company_jsonl(company_documents(5)) != company_jsonl(company_documents(6))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32),
       month=st.integers(min_value=1, max_value=12))
def test_every_generated_document_is_canonical_and_the_quarter_is_complete(seed, month):
    start = dt.date(2026, month, 1)
    documents = [parse_document(d) for d in company_documents(seed, start)]
    kinds = Counter(d.type for d in documents)
    assert {"contact", "deal", "payment", "order", "refund", "payout", "bill",
            "payroll_run", "bank_transaction"} <= set(kinds)
    assert kinds["payroll_run"] == 3
    assert 50 <= len(documents) <= 300
    keys = [(d.type, d.source.external_id) for d in documents]
    assert len(keys) == len(set(keys))
    # Each payout pays out exactly what reached the processor balance before its day.
    moves = [(d.date, d.amount.minor - d.fee.minor) for d in documents
             if d.type == "payment" and d.processor == "stripe"]
    moves += [(d.order_date, d.total.minor) for d in documents if d.type == "order"]
    moves += [(d.date, -d.amount.minor) for d in documents if d.type == "refund"]
    payouts = [d for d in documents if d.type == "payout"]
    for payout in payouts:
        paid = sum(p.net.minor for p in payouts if p.date <= payout.date)
        assert paid == sum(cents for day, cents in moves if day < payout.date)
    deposits = {d.bank_reference: d.amount for d in documents if d.type == "bank_transaction"}
    for payout in (d for d in documents if d.type == "payout"):
        assert deposits[f"bl-{payout.source.external_id}"] == Money(payout.net.minor, "USD")


def test_a_quarter_must_start_on_the_first_of_a_month():
    result = runner.invoke(app, ["sandbox", "company", "--start", "2026-01-15", "--out", "x"])
    assert result.exit_code == 1


def test_sandbox_company_writes_the_same_file_twice(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (first, second):
        result = runner.invoke(app, ["sandbox", "company", "--seed", "3", "--out", str(path)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert json.loads(first.read_text().splitlines()[0])["type"] == "contact"


def test_sandbox_company_posts_through_a_connection(sqlite_ledger, sqlite_url):
    ledger = sqlite_ledger
    args = ["sandbox", "company", "--seed", "3", "--connection", "company", "--db", sqlite_url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    with ledger.engine.connect() as conn:
        assert set(conn.execute(select(inbox.c.status)).scalars()) == {"posted"}
        entries = conn.execute(select(func.count()).select_from(journal_entries)).scalar()
        lines = conn.execute(select(func.count()).select_from(bank_lines)).scalar()
    assert entries > 60 and lines > 20
    again = runner.invoke(app, args)  # the same company again: nothing new
    assert again.exit_code == 0, again.output
    assert "0 new documents" in again.output
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(journal_entries)).scalar() == entries


def test_the_emulators_are_still_served_by_name():
    result = runner.invoke(app, ["sandbox", "stripe", "--help"])
    assert result.exit_code == 0
    assert "--webhook-url" in result.output
    assert runner.invoke(app, ["sandbox", "nowhere"]).exit_code != 0
