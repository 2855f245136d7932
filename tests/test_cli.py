import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app

runner = CliRunner()
SALE = {"date": "2026-01-31", "memo": "sale",
        "lines": [{"account": "1010", "debit": "10.00", "currency": "USD"},
                  {"account": "4010", "credit": "10.00"}]}


def run(*args, ok=True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result


def write_jsonl(path: Path, *records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def book(db_url):
    run("init", "--db", db_url, "--currency", "USD")
    return db_url


def test_init_refuses_unknown_currency(db_url):
    result = run("init", "--db", db_url, "--currency", "ABC", ok=False)
    assert "unknown currency 'ABC'" in result.output


def test_post_then_reverse_then_lock(book, tmp_path):
    result = run("post", write_jsonl(tmp_path / "e.jsonl", SALE, SALE), "--db", book)
    assert "Posted 2 entries (ids 1..2)" in result.output
    assert "reversing entry 1" in run("entry", "reverse", "1", "--db", book).output
    run("period", "lock", "2026-01", "--db", book)
    result = run("post", write_jsonl(tmp_path / "late.jsonl", SALE), "--db", book, ok=False)
    assert "period 2026-01 is locked" in result.output
    shown = run("entry", "show", "3", "--db", book).output
    assert "reverses: 1" in shown


@pytest.mark.parametrize(("bad", "message"), [
    ({**SALE, "lines": [SALE["lines"][0], {"account": "4010", "credit": "9.00"}]},
     "line 2: the entry does not balance in USD: debits 10.00 != credits 9.00"),
    ({**SALE, "lines": [SALE["lines"][0], {"account": "9999", "credit": "10.00"}]},
     "line 2: unknown account '9999'"),
    ({**SALE, "lines": [{"account": "1010", "debit": "ten"}, SALE["lines"][1]]},
     "line 2: lines[1]: amount 'ten' is not a decimal number"),
])
def test_bad_file_posts_nothing_and_names_the_line(book, tmp_path, bad, message):
    path = write_jsonl(tmp_path / "bad.jsonl", SALE, bad, SALE)
    result = run("post", path, "--db", book, ok=False)
    assert message in result.output
    assert "nothing was posted" in result.output
    assert "Posted 1 entries" in run("post", write_jsonl(tmp_path / "ok.jsonl", SALE),
                                     "--db", book).output


def test_missing_ledger_is_a_clear_error_that_says_how_to_create_one(tmp_path):
    url = f"sqlite:///{tmp_path}/none.db"
    entries = write_jsonl(tmp_path / "e.jsonl", SALE)
    result = run("post", entries, "--db", url, ok=False)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert f"no ledger at {url}" in message
    assert f"ledgerbridge init --db {url}" in message


def test_console_script_and_env_var(tmp_path):
    """The installed `ledgerbridge` command honours LEDGERBRIDGE_DB like --db."""
    exe = Path(sys.executable).with_name("ledgerbridge")
    env = {**os.environ, "LEDGERBRIDGE_DB": f"sqlite:///{tmp_path / 'env.db'}"}
    subprocess.run([exe, "init"], check=True, env=env, cwd=tmp_path, capture_output=True)
    entries = write_jsonl(tmp_path / "e.jsonl", SALE)
    done = subprocess.run([exe, "post", entries], env=env, cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "env.db").exists()
    bad = subprocess.run([exe, "post", tmp_path / "missing.jsonl"], env=env, cwd=tmp_path,
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "cannot read" in bad.stderr


def test_trial_balance_json_contract(book, tmp_path):
    eur = {"date": "2026-02-03", "memo": "EUR sale",
           "lines": [{"account": "1100", "debit": "100.00", "currency": "EUR", "rate": "1.0857",
                      "party": "Müller GmbH", "due_date": "2026-03-05"},
                     {"account": "4020", "credit": "100.00", "currency": "EUR",
                      "rate": "1.0857"}]}
    run("post", write_jsonl(tmp_path / "e.jsonl", SALE, eur), "--db", book)
    result = run("report", "trial-balance", "--format", "json", "--db", book)
    data = json.loads(result.stdout)
    assert data["accounts"] == [
        {"account": "1010", "name": "Checking Account", "debit": "10.00", "credit": "0.00"},
        {"account": "1100", "name": "Accounts Receivable", "debit": "108.57", "credit": "0.00"},
        {"account": "4010", "name": "Sales", "debit": "0.00", "credit": "10.00"},
        {"account": "4020", "name": "Services", "debit": "0.00", "credit": "108.57"},
    ]
    assert data["totals"] == {"debit": "118.57", "credit": "118.57"}


@pytest.mark.parametrize(("args", "expected"), [
    (("balance-sheet", "--end", "2026-12-31"), "20.00"),
    (("income-statement", "--start", "2026-01-01", "--end", "2026-12-31"), "20.00"),
    (("general-ledger", "1010"), "10.00"),
    (("aging", "receivable", "--as-of", "2026-03-31"), "Acme"),
    (("trial-balance",), "20.00"),
])
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_every_report_in_every_format(book, tmp_path, args, expected, fmt):
    invoice = {"date": "2026-01-31", "memo": "invoice",
               "lines": [{"account": "1100", "debit": "10.00", "party": "Acme",
                          "due_date": "2026-02-28"}, {"account": "4010", "credit": "10.00"}]}
    run("post", write_jsonl(tmp_path / "e.jsonl", SALE, invoice), "--db", book)
    out = tmp_path / f"report.{fmt}"
    run("report", *args, "--format", fmt, "--db", book, "-o", out)
    text = out.read_text(encoding="utf-8")
    assert expected in text
    if fmt == "json":
        json.loads(text)


def test_exports_from_the_cli(book, tmp_path):
    run("post", write_jsonl(tmp_path / "e.jsonl", SALE, SALE), "--db", book)
    for kind, name in (("beancount", "books.beancount"), ("hledger", "books.journal")):
        result = run("export", kind, "-o", tmp_path / name, "--db", book)
        assert "Wrote 2 transactions" in result.output
        assert "10.00 USD" in (tmp_path / name).read_text(encoding="utf-8")


def test_report_on_bad_dates_is_a_clear_error(book):
    result = run("report", "trial-balance", "--start", "2026-05-01", "--end", "2026-01-01",
                 "--db", book, ok=False)
    assert "after the end date" in result.output
