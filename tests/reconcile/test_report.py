import csv
import datetime as dt
import io
import json

from ledgerbridge.ledger import Entry, Line, Lineage
from ledgerbridge.reconcile import reconciliation_report, run
from ledgerbridge.reconcile.report import age_bucket
from tests.reconcile.test_cli_reconcile import run as cli
from tests.reconcile.test_reconcile import bank, invoice, usd


def scenario(ledger):
    """A month with one match of each kind, an uncashed cheque and two stray lines."""
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    ledger.post(Entry(
        date=dt.date(2026, 3, 2), memo="Payment for INV-6001",
        lineage=Lineage(external_id="ch_123"),
        lines=(Line("1010", usd("75.25"), party="Wayne Enterprises"),
               Line("1100", -usd("75.25"), party="Wayne Enterprises"))))
    ledger.post(Entry(date=dt.date(2026, 2, 10), memo="Cheque 1042 to the landlord",
                      lines=(Line("6100", usd("300.00")), Line("1010", -usd("300.00")))))
    bank(ledger, "-42.50", "ATM FEE", None, dt.date(2025, 12, 20))
    bank(ledger, "75.25", "STRIPE ch_123", "WAYNE ENTERPRISES", dt.date(2026, 3, 3))
    bank(ledger, "1250.00", "INV-1001", "ACME CORP", dt.date(2026, 3, 5))
    bank(ledger, "19.99", "INTEREST", None, dt.date(2026, 3, 30))
    assert run(ledger).auto_accepted == 2


def test_balances_per_day_and_what_is_left_aged(ledger):
    scenario(ledger)
    report = reconciliation_report(ledger, "1010", as_of=dt.date(2026, 3, 31))
    rows = list(report.rows)
    balances = [(r["date"].isoformat(), r["book"], r["bank"], r["difference"])
                for r in rows if r["section"] == "balance"]
    assert balances == [
        ("2025-12-20", 0, -4250, 4250),
        ("2026-02-10", -30000, -4250, -25750),
        ("2026-03-02", -22475, -4250, -18225),
        ("2026-03-03", -22475, 3275, -25750),
        ("2026-03-05", 102525, 128275, -25750),
        ("2026-03-30", 102525, 130274, -27749),
    ]
    left = [(r["section"], r["description"], r["amount"], r["age"], r["bucket"])
            for r in rows if r["section"] != "balance"]
    assert left == [
        ("bank", "ATM FEE", -4250, 101, "over 90"),
        ("bank", "INTEREST", 1999, 1, "0-30"),
        ("book", "Cheque 1042 to the landlord", -30000, 49, "31-60"),
    ]
    meta = report.meta
    assert (meta["difference"].minor, meta["unreconciled_book"].minor,
            meta["unreconciled_bank"].minor) == (-27749, -30000, -2251)
    assert meta["bank_lines_by_age"] == {"0-30": 1, "31-60": 0, "61-90": 0, "over 90": 1}


def test_as_of_an_earlier_day_leaves_later_lines_out(ledger):
    scenario(ledger)
    report = reconciliation_report(ledger, "1010", as_of=dt.date(2026, 3, 3))
    rows = list(report.rows)
    assert [r["date"] for r in rows if r["section"] == "balance"][-1] == dt.date(2026, 3, 3)
    assert [(r["section"], r["amount"], r["age"]) for r in rows if r["section"] != "balance"
            ] == [("bank", -4250, 73), ("book", -30000, 21)]


def test_report_command_as_json_and_csv(ledger, db_url):
    scenario(ledger)
    args = ("reconcile", "report", "--account", "1010", "--as-of", "2026-03-31",
            "--db", db_url)
    data = json.loads(cli(*args, "--format", "json").stdout)
    assert (data["book_balance"], data["bank_balance"], data["difference"]) == (
        "1025.25", "1302.74", "-277.49")
    assert data["rows"][-1] == {
        "section": "book", "date": "2026-02-10", "id": 3,
        "description": "Cheque 1042 to the landlord", "book": None, "bank": None,
        "difference": None, "amount": "-300.00", "age": 49, "bucket": "31-60"}
    table = list(csv.DictReader(io.StringIO(cli(*args, "--format", "csv").stdout)))
    assert [r["section"] for r in table].count("balance") == 6
    assert "Bank reconciliation of account 1010" in cli(*args).stdout


def test_age_buckets_edges():
    assert [age_bucket(d) for d in (0, 30, 31, 60, 61, 90, 91)] == [
        "0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "over 90"]
