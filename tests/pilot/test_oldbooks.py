"""Reading the old process's files: an accounting package's CSV export, and bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ledgerbridge.ledger import LedgerError
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.pilot import OldEntry, read_old_books

CHART = standard_chart()


def _read(tmp_path, name: str, text: str) -> list[OldEntry]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_old_books(path, CHART, "USD")


def test_a_general_ledger_export_with_its_own_column_names(tmp_path):
    entries = _read(tmp_path, "gl.csv", (
        "Txn Date,Num,Account Name,Debit,Credit,Description\n"
        "2026-01-05,ch_1001,Checking Account,\"1,200.50\",,Card sale\n"
        "2026-01-05,ch_1001,4010 Sales,,\"1,200.50\",Card sale\n"
        "2026-01-06,B-7,expenses:6100 Rent,900.00,,Rent\n"
        "2026-01-06,B-7,2010,,900.00,Rent\n"))
    assert entries == [
        OldEntry(dt.date(2026, 1, 5), "ch_1001", (("1010", 120050), ("4010", -120050)),
                 "Card sale", "gl.csv line 2"),
        OldEntry(dt.date(2026, 1, 6), "B-7", (("2010", -90000), ("6100", 90000)), "Rent",
                 "gl.csv line 4"),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("Date,Reference,Account,Amount\n2026-01-05,X,9999 Nowhere,1.00\n"
     "2026-01-05,X,1010,-1.00\n", "old.csv line 2: account '9999 Nowhere' is not in the chart"),
    ("Date,Reference,Account,Amount\n2026-01-05,X,1010,1.00\n2026-01-05,X,4010,-0.99\n",
     "old.csv line 2: the entry does not balance"),
    ("Date,Reference,Account,Amount\n05/01/2026,X,1010,1.00\n",
     "old.csv line 2: date '05/01/2026' is not YYYY-MM-DD"),
    ("Date,Reference,Account,Amount\n2026-01-05,X,1010,1.005\n2026-01-05,X,4010,-1.005\n",
     "old.csv line 2"),
    ("When,Reference,Account\n", "old.csv: no date, amount (or debit/credit) column"),
])
def test_bad_input_names_the_record_and_the_reason(tmp_path, text, message):
    with pytest.raises(LedgerError, match="^" + re.escape(message)):
        _read(tmp_path, "old.csv", text)


def test_unknown_kinds_of_file_and_missing_files_are_refused(tmp_path):
    with pytest.raises(LedgerError, match="unknown kind of file"):
        _read(tmp_path, "old.xlsx", "")
    with pytest.raises(LedgerError, match="no such file"):
        read_old_books(tmp_path / "gone.csv", CHART, "USD")


def test_an_hledger_journal_the_old_process_kept_by_hand(tmp_path):
    entries = _read(tmp_path, "old.journal", (
        "2026-02-03 (INV-9) Invoice paid\n"
        "    assets:bank:1010    250.00 USD\n"
        "    Accounts Receivable\n\n"
        "2026-02-04 Bank fee  ; ref:FEE-1\n"
        "    6650    5.00 USD\n"
        "    1010\n"))
    assert [(e.date, e.reference, e.lines) for e in entries] == [
        (dt.date(2026, 2, 3), "INV-9", (("1010", 25000), ("1100", -25000))),
        (dt.date(2026, 2, 4), "FEE-1", (("1010", -500), ("6650", 500))),
    ]


def test_a_beancount_file_values_foreign_postings_at_their_price(tmp_path):
    entries = _read(tmp_path, "old.beancount", (
        '2026-03-01 open Assets:1010-Checking\n'
        '2026-03-01 open Income:Sales\n'
        '  lb-code: "4010"\n\n'
        '2026-03-02 * "Euro sale" ^EU-7\n'
        '  Assets:1010-Checking   108.57 USD\n'
        '  Income:Sales          -100.00 EUR @ 1.08571 USD\n'))
    assert [(e.reference, e.lines) for e in entries] == [
        ("EU-7", (("1010", 10857), ("4010", -10857)))]
