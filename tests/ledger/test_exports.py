"""Exports checked by the real tools: beancount's loader/bean-check and hledger."""

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import convert, data, realization
from sqlalchemy import func, select

from ledgerbridge.ledger import Account, AccountType, Entry, LedgerError, Line, Lineage
from ledgerbridge.ledger.exports import write_beancount, write_hledger
from ledgerbridge.money import Money, parse_minor
from ledgerbridge.store.tables import accounts, journal_entries, journal_lines

HLEDGER = shutil.which("hledger")
needs_hledger = pytest.mark.skipif(
    HLEDGER is None,
    reason="hledger is not installed: `apt-get install hledger` (or `make system-deps`)",
)
BEAN_CHECK = Path(sys.executable).with_name("bean-check")

ODD_MEMO = 'Café "Zürich" \\ back; slash, 50% off\nsecond line ✓ 日本'
ODD_ACCOUNTS = [
    Account("1015", "Caisse café / Petty-cash (EUR)", AccountType.ASSET),
    Account("ab.12", "lower start: colon", AccountType.LIABILITY),
    Account("2600", 'Kredit  \t Überziehung; "Q"', AccountType.LIABILITY),
    Account("9A.1", "Dup", AccountType.EXPENSE),
    Account("9A-1", "Dup", AccountType.EXPENSE),
    Account("売上", "国内", AccountType.INCOME),
]
D1, D2, D3 = dt.date(2026, 1, 2), dt.date(2026, 1, 15), dt.date(2026, 2, 3)


def m(text, currency="USD"):
    return Money.parse(text, currency)


def rate(text):
    return Decimal(text)


@pytest.fixture
def book(ledger):
    """A ledger with multi-currency lines, a reversal, odd memos and odd account names."""
    ledger.add_accounts(ODD_ACCOUNTS)
    post = ledger.post
    post(Entry(D1, (Line("1010", m("10000.00")), Line("3010", m("-10000.00"))),
               "Owner's capital",
               Lineage("bank-main", "deposit", "dep,1", "doc-1", "raw-1")))
    # EUR at a rate: 100.00 EUR * 1.0857 = 108.57 USD.
    post(Entry(D1, (Line("6100", m("108.57")),
                    Line("1015", m("-100.00", "EUR"), rate=rate("1.0857"))), "Rent Jan"))
    # JPY (0 decimals): 15000 * 0.0065623 = 98.4345 -> 98.43.
    jpy = post(Entry(D2, (Line("1100", m("15000", "JPY"), rate=rate("0.0065623"),
                               party="Tanaka K.K.", due_date=dt.date(2026, 2, 14)),
                          Line("4010", m("-98.43"))), "Invoice 7",
                     Lineage("shop", "invoice", "inv-7")))
    # KWD (3 decimals): 1.234 * 3.2571 = 4.0192614 -> 4.02.
    post(Entry(D2, (Line("2600", m("-1.234", "KWD"), rate=rate("3.2571")),
                    Line("1010", m("4.02"))), "KWD loan draw"))
    # Only foreign lines, whose rounding needs the ledger's residual allocation.
    post(Entry(D2, (Line("1015", m("1.00", "EUR"), rate=rate("1.0857")),
                    Line("9A.1", m("-0.50", "EUR"), rate=rate("1.0857")),
                    Line("9A-1", m("-0.50", "EUR"), rate=rate("1.0857"))), "EUR split"))
    post(Entry(D3, (Line("9A.1", m("12.34"), memo='line "memo" \\ ✓; a, b'),
                    Line("ab.12", m("-2.34")),
                    Line("売上", m("-10.00"), party="Zoë, \"the\" buyer")), ODD_MEMO))
    post(Entry(D3, (Line("2600", m("0.500", "KWD"), rate=rate("3.2571")),
                    Line("1015", m("-1.50", "EUR"), rate=rate("1.0857"))), ""))
    ledger.reverse(jpy, date=D3)
    return ledger


def expected_balances(ledger, start=None, end=None):
    """Per account code: (functional minor units, {currency: original minor units})."""
    query = (
        select(accounts.c.code, journal_lines.c.currency,
               func.sum(journal_lines.c.amount), func.sum(journal_lines.c.original_amount))
        .join(accounts, accounts.c.id == journal_lines.c.account_id)
        .where(journal_lines.c.entity_id == ledger.entity.id)
        .group_by(accounts.c.code, journal_lines.c.currency)
    )
    if start is not None:
        query = query.where(journal_lines.c.date >= start)
    if end is not None:
        query = query.where(journal_lines.c.date <= end)
    functional = defaultdict(int)
    units = defaultdict(dict)
    with ledger.engine.connect() as conn:
        for code, currency, amount, original in conn.execute(query):
            functional[code] += int(amount)
            if original:
                units[code][currency] = int(original)
    return {c: v for c, v in functional.items() if v}, {c: v for c, v in units.items() if v}


def entry_ids(ledger, start=None, end=None):
    query = select(journal_entries.c.id).where(journal_entries.c.entity_id == ledger.entity.id)
    if start is not None:
        query = query.where(journal_entries.c.date >= start)
    if end is not None:
        query = query.where(journal_entries.c.date <= end)
    with ledger.engine.connect() as conn:
        return sorted(conn.execute(query).scalars())


# -- beancount ---------------------------------------------------------------------


def export_beancount(ledger, path, **kw):
    with path.open("w", encoding="utf-8") as out:
        count = write_beancount(ledger, out, **kw)
    result = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    return count, entries, options


def beancount_balances(entries):
    """Balances as beancount computes them: weights (functional) and units per account."""
    codes = {e.account: e.meta["lb-code"] for e in entries if isinstance(e, data.Open)}
    functional, units = {}, {}
    for real in realization.iter_children(realization.realize(entries)):
        postings = [tp.posting for tp in real.txn_postings if isinstance(tp, data.TxnPosting)]
        if not postings:
            continue
        code = codes[real.account]
        weight = sum((convert.get_weight(p).number for p in postings), Decimal(0))
        cents = weight.quantize(Decimal("0.01"))
        assert abs(weight - cents) < Decimal("1e-20"), (real.account, weight)
        if cents:
            functional[code] = parse_minor(cents, "USD")
        held = {
            pos.units.currency: parse_minor(pos.units.number, pos.units.currency)
            for pos in real.balance
            if pos.units.number
        }
        if held:
            units[code] = held
    return functional, units


def test_beancount_export_checks_and_matches_trial_balance(book, tmp_path):
    count, entries, options = export_beancount(book, tmp_path / "books.beancount")

    assert count == len(entry_ids(book)) == 8
    assert options["operating_currency"] == ["USD"]
    assert beancount_balances(entries) == expected_balances(book)

    txns = [e for e in entries if isinstance(e, data.Transaction)]
    assert [int(t.meta["lb-entry-id"]) for t in txns] == entry_ids(book)
    by_id = {int(t.meta["lb-entry-id"]): t for t in txns}
    assert by_id[6].narration == ODD_MEMO
    assert by_id[1].meta["lb-external-id"] == "dep,1"
    assert by_id[6].postings[0].meta["lb-memo"] == 'line "memo" \\ ✓; a, b'
    assert by_id[6].postings[2].meta["lb-party"] == 'Zoë, "the" buyer'
    assert by_id[3].postings[0].meta["lb-due-date"] == dt.date(2026, 2, 14)
    # The reversal and the entry it reverses share one link.
    assert by_id[3].links == by_id[8].links == frozenset({"lb-reversal-3"})
    assert by_id[8].meta["lb-reverses"] == "3" and by_id[3].meta["lb-reversed-by"] == "8"
    # Every account is opened at or before its first use.
    opened = {e.account: e.date for e in entries if isinstance(e, data.Open)}
    for txn in txns:
        for posting in txn.postings:
            assert opened[posting.account] <= txn.date


def test_beancount_account_names_are_valid_and_unique(book, tmp_path):
    _, entries, _ = export_beancount(book, tmp_path / "books.beancount")
    names = {e.meta["lb-code"]: e.account for e in entries if isinstance(e, data.Open)}
    assert len(set(names.values())) == len(names) == len(book.accounts())
    assert names["1010"] == "Assets:1010-Checking-Account"
    assert names["1015"] == "Assets:1015-Caisse-café-Petty-cash-EUR"
    assert names["ab.12"] == "Liabilities:Ab-12-lower-start-colon"
    assert names["2600"] == "Liabilities:2600-Kredit-Überziehung-Q"
    # Clashing names are numbered in code order ("9A-1" sorts before "9A.1").
    assert names["9A-1"] == "Expenses:9A-1-Dup"
    assert names["9A.1"] == "Expenses:9A-1-Dup-2"
    assert names["売上"] == "Income:Acct-売上-国内"


def test_beancount_foreign_postings_keep_original_amounts(book):
    out = io.StringIO()
    write_beancount(book, out)
    text = out.getvalue()
    assert "-100.00 EUR @@ 108.57 USD" in text
    assert "15000 JPY @@ 98.43 USD" in text
    assert "-1.234 KWD @@ 4.02 USD" in text
    assert 'option "inferred_tolerance_default" "USD:0.005"' in text


def test_beancount_export_of_a_date_range(book, tmp_path):
    count, entries, _ = export_beancount(book, tmp_path / "jan.beancount", start=D2, end=D2)
    assert count == len(entry_ids(book, D2, D2)) == 3
    assert beancount_balances(entries) == expected_balances(book, D2, D2)


def test_export_streams_many_entries_with_progress(ledger, tmp_path):
    sales = (
        Entry(D1 + dt.timedelta(days=n % 60),
              (Line("1010", m(f"{n}.{n % 100:02d}")), Line("4010", m(f"-{n}.{n % 100:02d}"))),
              f"sale {n}")
        for n in range(1, 2501)
    )
    ledger.post_many(sales)
    calls = []
    count, entries, _ = export_beancount(ledger, tmp_path / "big.beancount",
                                         progress=calls.append)
    assert count == 2500 and sum(calls) == 2500 and len(calls) >= 3
    assert beancount_balances(entries) == expected_balances(ledger)
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    # Ordered by date then id, each entry with both of its lines.
    assert all(len(t.postings) == 2 for t in txns)
    keys = [(t.date, int(t.meta["lb-entry-id"])) for t in txns]
    assert keys == sorted(keys)


def test_empty_ledger_exports_no_transactions(ledger, tmp_path):
    count, entries, _ = export_beancount(ledger, tmp_path / "empty.beancount")
    assert count == 0
    assert not [e for e in entries if isinstance(e, data.Transaction)]
    assert write_hledger(ledger, io.StringIO()) == 0


def test_start_after_end_is_refused(ledger):
    with pytest.raises(LedgerError, match="start 2026-02-03 is after its end 2026-01-02"):
        write_beancount(ledger, io.StringIO(), start=D3, end=D1)


# -- hledger -----------------------------------------------------------------------


def hledger(path, *args):
    result = subprocess.run([HLEDGER, "-f", str(path), *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def export_hledger(ledger, path, **kw):
    with path.open("w", encoding="utf-8") as out:
        count = write_hledger(ledger, out, **kw)
    # strict: every account and commodity is declared; dates are in order.
    hledger(path, "check", "--strict", "ordereddates")
    return count


def hledger_balances(path):
    """hledger's balances, keyed by account code (the lb-code tag postings inherit)."""
    codes = {
        posting["paccount"]: dict(posting["ptags"])["lb-code"]
        for txn in json.loads(hledger(path, "print", "-O", "json"))
        for posting in txn["tpostings"]
    }

    def balances(*flags):
        rows = csv.DictReader(io.StringIO(hledger(path, "bal", "-N", "-O", "csv",
                                                  "--layout=bare", *flags)))
        found = defaultdict(dict)
        for row in rows:
            minor = parse_minor(row["balance"], row["commodity"])
            if minor:
                found[codes[row["account"]]][row["commodity"]] = minor
        return found

    cost = balances("--cost")
    assert all(set(v) == {"USD"} for v in cost.values())
    return {code: v["USD"] for code, v in cost.items()}, dict(balances())


@needs_hledger
def test_hledger_export_checks_and_matches_trial_balance(book, tmp_path):
    path = tmp_path / "books.journal"
    assert export_hledger(book, path) == 8
    assert hledger_balances(path) == expected_balances(book)

    txns = json.loads(hledger(path, "print", "-O", "json"))
    assert [int(t["tcode"]) for t in txns] == entry_ids(book)
    odd = next(t for t in txns if t["tcode"] == "6")
    assert odd["tdescription"] == 'Café "Zürich" \\ back, slash, 50% off second line ✓ 日本'
    first = dict(txns[0]["ttags"])
    assert first["lb-entry-id"] == "1" and first["lb-external-id"] == "dep%2C1"
    reversed_, reversal = (dict(t["ttags"]) for t in txns if t["tcode"] in ("3", "8"))
    assert reversed_["lb-reversal"] == reversal["lb-reversal"] == "3"
    assert reversal["lb-reverses"] == "3" and reversed_["lb-reversed-by"] == "8"


@needs_hledger
def test_hledger_account_names_and_types(book, tmp_path):
    path = tmp_path / "books.journal"
    export_hledger(book, path)
    declared = hledger(path, "accounts", "--declared").splitlines()
    assert len(declared) == len(set(declared)) == len(book.accounts())
    for name in ("assets:1015 Caisse café / Petty-cash (EUR)",
                 "liabilities:ab.12 lower start- colon",
                 'liabilities:2600 Kredit Überziehung; "Q"',
                 "expenses:9A.1 Dup", "expenses:9A-1 Dup", "revenues:売上 国内"):
        assert name in declared
    # Account types come from the type: tags, whatever the names.
    assert hledger(path, "accounts", "type:R").splitlines() == [
        n for n in declared if n.startswith("revenues:")
    ]
    assert "-1.234 KWD @@ 4.02 USD" in path.read_text(encoding="utf-8")


@needs_hledger
def test_hledger_export_of_a_date_range(book, tmp_path):
    path = tmp_path / "feb.journal"
    assert export_hledger(book, path, start=D3) == len(entry_ids(book, D3)) == 3
    assert hledger_balances(path) == expected_balances(book, D3)
