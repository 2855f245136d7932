import csv
import datetime as dt
import io
import itertools
import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.ledger import Entry, Ledger, LedgerError, Line
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.ledger.reports import (
    aging,
    balance_sheet,
    cash_flow,
    general_ledger,
    income_statement,
    trial_balance,
)
from ledgerbridge.money import Money
from ledgerbridge.report import to_json_obj, write_csv, write_json

D = dt.date


def usd(amount):
    return Money.parse(amount, "USD")


def entry(day, *lines, memo=""):
    return Entry(day, tuple(lines), memo)


def dr(account, amount, **kw):
    return Line(account, usd(amount), **kw)


def cr(account, amount, **kw):
    return Line(account, -usd(amount), **kw)


# A quarter of a small company, figures worked out by hand in the tests below.
BOOKS = (
    entry(D(2026, 1, 1), dr("1010", "10000"), cr("3010", "10000"), memo="Owner invests"),
    entry(
        D(2026, 1, 5),
        dr("1100", "1200", party="ACME", due_date=D(2026, 2, 4)),
        cr("4010", "1000"),
        cr("2200", "200"),
        memo="Invoice ACME-1",
    ),
    entry(
        D(2026, 1, 10),
        dr("1200", "800"),
        cr("2010", "800", party="Supplier Co", due_date=D(2026, 2, 9)),
        memo="Bill from Supplier Co",
    ),
    entry(D(2026, 1, 15), dr("5000", "300"), cr("1200", "300"), memo="Cost of goods sold"),
    entry(D(2026, 1, 20), dr("6100", "1500"), cr("1010", "1500"), memo="January rent"),
    entry(
        D(2026, 2, 1),
        dr("1100", "500", party="Globex", due_date=D(2026, 3, 3)),
        cr("4010", "500"),
        memo="Invoice GLOBEX-1",
    ),
    entry(
        D(2026, 2, 15),
        dr("1010", "700", memo="ACME payment"),
        cr("1100", "700", party="ACME"),
        memo="Payment from ACME",
    ),
    entry(
        D(2026, 3, 1),
        dr("1100", "400", party="Initech", due_date=D(2026, 3, 31)),
        cr("4020", "400"),
        memo="Invoice INITECH-1",
    ),
    entry(D(2026, 3, 5), dr("1010", "500"), cr("1100", "500", party="Initech"),
          memo="Initech pays too much"),
    entry(D(2026, 3, 10), dr("2010", "300", party="Supplier Co"), cr("1010", "300"),
          memo="Part payment to Supplier Co"),
    entry(
        D(2026, 3, 20),
        dr("1100", "300", party="ACME", due_date=D(2026, 4, 19)),
        cr("4010", "300"),
        memo="Invoice ACME-2",
    ),
    entry(D(2026, 4, 1), dr("1510", "2000"), cr("2500", "2000"), memo="Equipment on loan"),
    entry(
        D(2026, 4, 10),
        dr("6200", "50"),
        cr("2010", "50", party="SaaS Inc"),  # no due date: aged from the line date
        memo="Software bill",
    ),
    entry(
        D(2026, 4, 25),
        dr("1100", "100", party="ACME", due_date=D(2026, 5, 25)),
        cr("4010", "100"),
        memo="Invoice ACME-3",
    ),
)


@pytest.fixture
def books(ledger: Ledger) -> Ledger:
    ledger.post_many(BOOKS)
    # Another company in the same database must not leak into this one's reports.
    other = Ledger.create(ledger.engine, entity="other", currency="USD", chart=standard_chart())
    other.post(entry(D(2026, 1, 2), dr("1010", "999"), cr("4010", "999")))
    return ledger


def cents(amount):
    return usd(amount).minor


def as_json(report):
    out = io.StringIO()
    write_json(report, out)
    return json.loads(out.getvalue())


def amounts(report, key="amount"):
    """(kind, code or name) -> amount for statement rows."""
    return {(r["kind"], r["code"] or r["name"]): r[key] for r in report.rows}


# -- trial balance --------------------------------------------------------------------


def test_trial_balance_json_contract(books):
    data = as_json(trial_balance(books))
    assert data["accounts"] == [
        {"account": "1010", "name": "Checking Account", "debit": "9400.00", "credit": "0.00"},
        {"account": "1100", "name": "Accounts Receivable", "debit": "1300.00",
         "credit": "0.00"},
        {"account": "1200", "name": "Inventory", "debit": "500.00", "credit": "0.00"},
        {"account": "1510", "name": "Equipment", "debit": "2000.00", "credit": "0.00"},
        {"account": "2010", "name": "Accounts Payable", "debit": "0.00", "credit": "550.00"},
        {"account": "2200", "name": "Sales Tax Payable", "debit": "0.00", "credit": "200.00"},
        {"account": "2500", "name": "Long-term Loans", "debit": "0.00", "credit": "2000.00"},
        {"account": "3010", "name": "Owner's Capital", "debit": "0.00", "credit": "10000.00"},
        {"account": "4010", "name": "Sales", "debit": "0.00", "credit": "1900.00"},
        {"account": "4020", "name": "Services", "debit": "0.00", "credit": "400.00"},
        {"account": "5000", "name": "Cost of Goods Sold", "debit": "300.00", "credit": "0.00"},
        {"account": "6100", "name": "Rent", "debit": "1500.00", "credit": "0.00"},
        {"account": "6200", "name": "Software and Subscriptions", "debit": "50.00",
         "credit": "0.00"},
    ]
    assert data["totals"] == {"debit": "15050.00", "credit": "15050.00"}
    assert data["entity"] == "default"
    assert data["currency"] == "USD"


def test_trial_balance_json_object_matches_streamed_json(books):
    assert to_json_obj(trial_balance(books)) == as_json(trial_balance(books))


def test_trial_balance_up_to_a_date(books):
    report = trial_balance(books, end=D(2026, 1, 31))
    rows = {r["account"]: (r["debit"], r["credit"]) for r in report.rows}
    assert rows == {
        "1010": (cents("8500"), 0),
        "1100": (cents("1200"), 0),
        "1200": (cents("500"), 0),
        "2010": (0, cents("800")),
        "2200": (0, cents("200")),
        "3010": (0, cents("10000")),
        "4010": (0, cents("1000")),
        "5000": (cents("300"), 0),
        "6100": (cents("1500"), 0),
    }
    assert report.totals == {"debit": cents("12000"), "credit": cents("12000")}


def test_trial_balance_of_a_range_shows_accounts_with_activity(books):
    report = trial_balance(books, start=D(2026, 2, 1), end=D(2026, 2, 28))
    rows = {r["account"]: (r["debit"], r["credit"]) for r in report.rows}
    assert rows == {
        "1010": (cents("700"), 0),
        "1100": (0, cents("200")),
        "4010": (0, cents("500")),
    }
    assert report.totals == {"debit": cents("700"), "credit": cents("700")}


def test_trial_balance_keeps_an_account_whose_activity_nets_to_zero(ledger):
    ledger.post(entry(D(2026, 5, 1), dr("1150", "25"), cr("4010", "25")))
    ledger.post(entry(D(2026, 5, 2), dr("1010", "25"), cr("1150", "25")))
    rows = {r["account"]: (r["debit"], r["credit"]) for r in trial_balance(ledger).rows}
    assert rows["1150"] == (0, 0)
    assert rows["1010"] == (cents("25"), 0)


def test_trial_balance_of_an_empty_ledger(ledger):
    data = as_json(trial_balance(ledger))
    assert data["accounts"] == []
    assert data["totals"] == {"debit": "0.00", "credit": "0.00"}


def test_trial_balance_csv_parses_back(books):
    out = io.StringIO()
    write_csv(trial_balance(books, end=D(2026, 1, 31)), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0] == {"account": "1010", "name": "Checking Account", "debit": "8500.00",
                       "credit": "0.00"}
    assert rows[-1] == {"account": "Total", "name": "", "debit": "12000.00",
                        "credit": "12000.00"}
    body = rows[:-1]
    assert sum(usd(r["debit"]).minor for r in body) == sum(usd(r["credit"]).minor for r in body)
    assert len(body) == 9


def test_reports_refuse_a_start_after_the_end(books):
    with pytest.raises(LedgerError, match="after the end"):
        trial_balance(books, start=D(2026, 3, 1), end=D(2026, 2, 1))
    with pytest.raises(LedgerError, match="after the end"):
        income_statement(books, start=D(2026, 3, 1), end=D(2026, 2, 1))


def test_trial_balance_in_a_zero_decimal_currency(engine):
    yen = Ledger.create(engine, entity="jp", currency="JPY", chart=standard_chart())
    yen.post(Entry(D(2026, 1, 1), (Line("1010", Money(150000, "JPY")),
                                   Line("3010", Money(-150000, "JPY")))))
    data = as_json(trial_balance(yen))
    assert data["totals"] == {"debit": "150000", "credit": "150000"}
    assert data["currency"] == "JPY"


# -- balance sheet --------------------------------------------------------------------


def test_balance_sheet_groups_by_hierarchy_and_balances(books):
    report = balance_sheet(books, end=D(2026, 4, 30))
    got = amounts(report)
    assert got[("account", "1010")] == cents("9400")
    assert got[("header", "1000")] is None
    assert got[("subtotal", "1000")] == cents("11200")  # current assets
    assert got[("subtotal", "1500")] == cents("2000")  # fixed assets
    assert got[("total", "Total assets")] == cents("13200")
    assert got[("account", "2010")] == cents("550")  # credit balance shown positive
    assert got[("subtotal", "2000")] == cents("750")
    assert got[("account", "2500")] == cents("2000")  # a top-level account, no header
    assert got[("total", "Total liabilities")] == cents("2750")
    assert got[("earnings", "Current period earnings")] == cents("450")
    assert got[("total", "Total equity")] == cents("10450")
    assert got[("total", "Total liabilities and equity")] == cents("13200")
    meta = report.meta
    assert meta["total_assets"] == usd("13200")
    assert meta["total_assets"] == meta["total_liabilities"] + meta["total_equity"]
    assert meta["current_earnings"] == usd("450")
    # income and expense accounts never appear on the balance sheet
    assert not {r["code"] for r in report.rows} & {"4010", "4020", "5000", "6100", "6200"}
    # zero-balance accounts and empty groups are left out
    assert ("account", "1020") not in got
    assert ("header", "1500") in got


def test_balance_sheet_row_order_and_depth(books):
    rows = [(r["kind"], r["depth"], r["code"] or r["name"])
            for r in balance_sheet(books, end=D(2026, 1, 31)).rows]
    assert rows == [
        ("section", 0, "Assets"),
        ("header", 1, "1000"),
        ("account", 2, "1010"),
        ("account", 2, "1100"),
        ("account", 2, "1200"),
        ("subtotal", 1, "1000"),
        ("total", 0, "Total assets"),
        ("section", 0, "Liabilities"),
        ("header", 1, "2000"),
        ("account", 2, "2010"),
        ("account", 2, "2200"),
        ("subtotal", 1, "2000"),
        ("total", 0, "Total liabilities"),
        ("section", 0, "Equity"),
        ("header", 1, "3000"),
        ("account", 2, "3010"),
        ("subtotal", 1, "3000"),
        ("earnings", 1, "Current period earnings"),
        ("total", 0, "Total equity"),
        ("total", 0, "Total liabilities and equity"),
    ]


def test_balance_sheet_at_month_end_with_a_loss(books):
    report = balance_sheet(books, end=D(2026, 1, 31))
    assert report.meta["total_assets"] == usd("10200")
    assert report.meta["total_liabilities"] == usd("1000")
    assert report.meta["current_earnings"] == usd("-800")
    assert report.meta["total_equity"] == usd("9200")
    data = as_json(report)
    assert data["total_assets"] == "10200.00"
    assert data["current_earnings"] == "-800.00"
    assert data["end"] == "2026-01-31"


def test_balance_sheet_closed_earnings_move_to_retained_earnings(books):
    # Closing the year's income to retained earnings leaves no current earnings.
    books.post(entry(D(2026, 4, 30), dr("4010", "1900"), dr("4020", "400"), cr("5000", "300"),
                     cr("6100", "1500"), cr("6200", "50"), cr("3900", "450"),
                     memo="Close to retained earnings"))
    report = balance_sheet(books, end=D(2026, 4, 30))
    assert report.meta["current_earnings"] == usd("0")
    assert amounts(report)[("account", "3900")] == cents("450")
    assert report.meta["total_equity"] == usd("10450")


def test_balance_sheet_shows_postings_to_a_header_account(ledger):
    ledger.post(entry(D(2026, 1, 1), dr("1000", "5"), dr("1010", "10"), cr("3010", "15")))
    got = amounts(balance_sheet(ledger, end=D(2026, 1, 31)))
    assert got[("account", "1000")] == cents("5")
    assert got[("subtotal", "1000")] == cents("15")


def test_contra_asset_reduces_its_group(ledger):
    ledger.post(entry(D(2026, 1, 1), dr("1510", "1000"), cr("3010", "1000")))
    ledger.post(entry(D(2026, 1, 31), dr("6700", "100"), cr("1590", "100")))
    report = balance_sheet(ledger, end=D(2026, 1, 31))
    got = amounts(report)
    assert got[("account", "1590")] == -cents("100")
    assert got[("subtotal", "1500")] == cents("900")
    assert report.meta["current_earnings"] == usd("-100")


# -- income statement -----------------------------------------------------------------


def test_income_statement_for_the_quarter(books):
    report = income_statement(books, start=D(2026, 1, 1), end=D(2026, 3, 31))
    got = amounts(report)
    assert got[("account", "4010")] == cents("1800")
    assert got[("account", "4020")] == cents("400")
    assert got[("subtotal", "4000")] == cents("2200")
    assert got[("total", "Total income")] == cents("2200")
    assert got[("account", "5000")] == cents("300")
    assert got[("total", "Total cost of sales")] == cents("300")
    assert got[("total", "Gross profit")] == cents("1900")
    assert got[("account", "6100")] == cents("1500")
    assert got[("subtotal", "6000")] == cents("1500")
    assert got[("total", "Total expenses")] == cents("1500")
    assert got[("total", "Net income")] == cents("400")
    assert ("account", "6200") not in got  # April bill is outside the range
    assert not {r["code"] for r in report.rows} & {"1010", "2010", "3010"}
    data = as_json(report)
    assert data["net_income"] == "400.00"
    assert data["gross_profit"] == "1900.00"
    assert data["lines"][-1] == {"section": None, "kind": "total", "depth": 0, "code": None,
                                 "name": "Net income", "amount": "400.00"}


def test_income_statement_for_one_month(books):
    report = income_statement(books, start=D(2026, 2, 1), end=D(2026, 2, 28))
    assert report.meta["total_income"] == usd("500")
    assert report.meta["total_cost_of_sales"] == usd("0")
    assert report.meta["total_expenses"] == usd("0")
    assert report.meta["net_income"] == usd("500")


def test_income_statement_net_income_matches_balance_sheet_earnings(books):
    pnl = income_statement(books, start=D(2026, 1, 1), end=D(2026, 4, 30))
    bs = balance_sheet(books, end=D(2026, 4, 30))
    assert pnl.meta["net_income"] == bs.meta["current_earnings"] == usd("450")


def test_income_statement_without_cost_of_sales_accounts(engine):
    from ledgerbridge.ledger import Account, AccountType

    chart = [
        Account("1010", "Bank", AccountType.ASSET, "bank"),
        Account("4000", "Fees", AccountType.INCOME),
        Account("6000", "Costs", AccountType.EXPENSE),
    ]
    small = Ledger.create(engine, entity="small", chart=chart)
    small.post(entry(D(2026, 1, 3), dr("1010", "90"), cr("4000", "90")))
    small.post(entry(D(2026, 1, 4), dr("6000", "30"), cr("1010", "30")))
    report = income_statement(small, start=D(2026, 1, 1), end=D(2026, 12, 31))
    names = [r["name"] for r in report.rows]
    assert "Gross profit" not in names
    assert "gross_profit" not in report.meta
    assert report.meta["net_income"] == usd("60")


# -- general ledger -------------------------------------------------------------------


def test_general_ledger_with_opening_balance(books):
    report = general_ledger(books, "1010", start=D(2026, 2, 1))
    assert isinstance(report.rows, Iterator)  # streamed, not a list
    rows = [(r["date"], r["entry"], r["memo"], r["debit"], r["credit"], r["balance"])
            for r in report.rows]
    assert rows == [
        (D(2026, 2, 1), None, "Opening balance", None, None, cents("8500")),
        (D(2026, 2, 15), 7, "ACME payment", cents("700"), 0, cents("9200")),
        (D(2026, 3, 5), 9, "Initech pays too much", cents("500"), 0, cents("9700")),
        (D(2026, 3, 10), 10, "Part payment to Supplier Co", 0, cents("300"), cents("9400")),
    ]
    assert report.totals == {"debit": cents("1200"), "credit": cents("300"),
                             "balance": cents("9400")}
    assert report.meta["opening_balance"] == usd("8500")
    assert report.meta["closing_balance"] == usd("9400")


def test_general_ledger_whole_history_and_end_date(books):
    rows = list(general_ledger(books, "1010", end=D(2026, 3, 6)).rows)
    assert rows[0]["memo"] == "Opening balance" and rows[0]["balance"] == 0
    assert [r["balance"] for r in rows[1:]] == [
        cents("10000"), cents("8500"), cents("9200"), cents("9700")
    ]


def test_general_ledger_of_a_credit_account_uses_its_normal_sign(books):
    report = general_ledger(books, "2010")
    rows = list(report.rows)[1:]
    assert [(r["party"], r["debit"], r["credit"], r["balance"]) for r in rows] == [
        ("Supplier Co", 0, cents("800"), cents("800")),
        ("Supplier Co", cents("300"), 0, cents("500")),
        ("SaaS Inc", 0, cents("50"), cents("550")),
    ]
    assert report.meta["normal_balance"] == "credit"
    assert report.totals["balance"] == cents("550")


def test_general_ledger_csv_and_json_stream(books):
    out = io.StringIO()
    write_csv(general_ledger(books, "1100", start=D(2026, 3, 1), end=D(2026, 3, 31)), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["date"], r["party"], r["debit"], r["credit"], r["balance"]) for r in rows] == [
        ("2026-03-01", "", "", "", "1000.00"),
        ("2026-03-01", "Initech", "400.00", "0.00", "1400.00"),
        ("2026-03-05", "Initech", "0.00", "500.00", "900.00"),
        ("2026-03-20", "ACME", "300.00", "0.00", "1200.00"),
        ("", "", "700.00", "500.00", "1200.00"),
    ]
    assert rows[-1]["memo"] == "Closing balance"
    data = as_json(general_ledger(books, "1100", start=D(2026, 3, 1), end=D(2026, 3, 31)))
    assert data["opening_balance"] == "1000.00"
    assert data["closing_balance"] == "1200.00"
    assert len(data["lines"]) == 4
    assert data["totals"] == {"debit": "700.00", "credit": "500.00", "balance": "1200.00"}


def test_general_ledger_includes_reversals(books):
    books.reverse(5, date=D(2026, 1, 31))  # the January rent
    rows = list(general_ledger(books, "6100").rows)
    assert [r["balance"] for r in rows] == [0, cents("1500"), 0]


def test_general_ledger_unknown_account(books):
    with pytest.raises(LedgerError, match="no account '9999'"):
        general_ledger(books, "9999")


# -- aging ----------------------------------------------------------------------------


def aging_rows(report):
    keys = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90", "unapplied", "total")
    return {r["party"]: tuple(r[k] for k in keys) for r in report.rows}


def test_receivable_aging_fifo_partial_payments_and_overpayment(books):
    report = aging(books, "receivable", as_of=D(2026, 4, 30))
    assert aging_rows(report) == {
        # 1200 due Feb 4 less 700 paid -> 500 at 85 days; 300 due Apr 19; 100 not yet due
        "ACME": (cents("100"), cents("300"), 0, cents("500"), 0, 0, cents("900")),
        "Globex": (0, 0, cents("500"), 0, 0, 0, cents("500")),  # due Mar 3: 58 days
        "Initech": (0, 0, 0, 0, 0, -cents("100"), -cents("100")),  # paid 500 for 400
    }
    assert report.totals == {
        "current": cents("100"), "days_1_30": cents("300"), "days_31_60": cents("500"),
        "days_61_90": cents("500"), "over_90": 0, "unapplied": -cents("100"),
        "total": cents("1300"),
    }
    tb = {r["account"]: r["debit"] - r["credit"] for r in trial_balance(books).rows}
    assert report.totals["total"] == tb["1100"]


def test_receivable_aging_earlier_and_later(books):
    early = aging(books, "receivable", as_of=D(2026, 2, 20))
    assert aging_rows(early) == {
        "ACME": (0, cents("500"), 0, 0, 0, 0, cents("500")),  # 16 days past Feb 4
        "Globex": (cents("500"), 0, 0, 0, 0, 0, cents("500")),
    }
    late = aging(books, "receivable", as_of=D(2026, 6, 30))
    assert aging_rows(late)["ACME"] == (
        0, 0, cents("100"), cents("300"), cents("500"), 0, cents("900")
    )
    assert aging_rows(late)["Globex"] == (0, 0, 0, 0, cents("500"), 0, cents("500"))


def test_payable_aging(books):
    report = aging(books, "payable", as_of=D(2026, 4, 30))
    assert aging_rows(report) == {
        "SaaS Inc": (0, cents("50"), 0, 0, 0, 0, cents("50")),  # line date Apr 10
        "Supplier Co": (0, 0, 0, cents("500"), 0, 0, cents("500")),  # due Feb 9, 80 days
    }
    assert report.totals["total"] == cents("550")
    data = as_json(report)
    assert [p["party"] for p in data["parties"]] == ["SaaS Inc", "Supplier Co"]
    assert data["parties"][1]["days_61_90"] == "500.00"


def test_aging_bucket_boundaries(ledger):
    as_of = D(2026, 6, 30)
    for n, days in enumerate((0, 1, 30, 31, 60, 61, 90, 91), start=1):
        ledger.post(entry(
            D(2026, 1, 1),
            dr("1100", str(n), party="P", due_date=as_of - dt.timedelta(days=days)),
            cr("4010", str(n)),
        ))
    row = aging_rows(aging(ledger, "receivable", as_of=as_of))["P"]
    assert row == (cents("1"), cents("5"), cents("9"), cents("13"), cents("8"), 0, cents("36"))


def test_aging_fully_paid_party_is_left_out_and_future_lines_ignored(ledger):
    ledger.post(entry(D(2026, 1, 1), dr("1100", "40", party="Done"), cr("4010", "40")))
    ledger.post(entry(D(2026, 1, 9), dr("1010", "40"), cr("1100", "40", party="Done")))
    ledger.post(entry(D(2026, 2, 1), dr("1100", "70"), cr("4010", "70")))  # no party
    ledger.post(entry(D(2026, 9, 1), dr("1100", "5", party="Later"), cr("4010", "5")))
    report = aging(ledger, "receivable", as_of=D(2026, 2, 10))
    assert aging_rows(report) == {None: (0, cents("70"), 0, 0, 0, 0, cents("70"))}


def test_aging_payment_before_invoice_is_applied(ledger):
    # A deposit received before the invoice still settles it.
    ledger.post(entry(D(2026, 1, 1), dr("1010", "100"), cr("1100", "100", party="Early")))
    ledger.post(entry(D(2026, 1, 20), dr("1100", "150", party="Early",
                                          due_date=D(2026, 2, 19)), cr("4010", "150")))
    row = aging_rows(aging(ledger, "receivable", as_of=D(2026, 3, 1)))["Early"]
    assert row == (0, cents("50"), 0, 0, 0, 0, cents("50"))


def test_aging_rejects_an_unknown_kind(ledger):
    with pytest.raises(LedgerError, match="receivable"):
        aging(ledger, "inventory", as_of=D(2026, 1, 1))


# -- cash flow ------------------------------------------------------------------------


def flow_lines(report):
    return {(r["section"], r["code"] or r["name"]): r["amount"] for r in report.rows
            if r["kind"] in ("account", "total")}


def test_cash_flow_for_the_quarter_by_the_indirect_method(books):
    report = cash_flow(books, start=D(2026, 1, 1), end=D(2026, 3, 31))
    lines = flow_lines(report)
    assert lines[("operating", "Net income")] == cents("400")
    assert lines[("operating", "1100")] == -cents("1200")  # receivables grew
    assert lines[("operating", "1200")] == -cents("500")   # inventory bought
    assert lines[("operating", "2010")] == cents("500")    # bills not yet paid
    assert lines[("operating", "2200")] == cents("200")    # tax collected, not remitted
    meta = report.meta
    assert meta["operating_cash_flow"] == usd("-600")
    assert meta["investing_cash_flow"] == usd("0")
    assert meta["financing_cash_flow"] == usd("10000")
    assert meta["net_change_in_cash"] == usd("9400") == meta["closing_cash"]
    assert meta["opening_cash"] == usd("0")


def test_cash_flow_investing_financing_and_opening_cash(books):
    report = cash_flow(books, start=D(2026, 4, 1), end=D(2026, 4, 30))
    lines = flow_lines(report)
    assert lines[("investing", "1510")] == -cents("2000")
    assert lines[("financing", "2500")] == cents("2000")
    assert report.meta["opening_cash"] == report.meta["closing_cash"] == usd("9400")
    assert report.meta["net_change_in_cash"] == usd("0")


def test_closing_the_year_to_retained_earnings_keeps_net_income(books):
    books.post(entry(D(2026, 3, 31), dr("4010", "1800"), dr("4020", "400"), cr("5000", "300"),
                     cr("6100", "1500"), cr("3900", "400"), memo="Close Q1"))
    report = cash_flow(books, start=D(2026, 1, 1), end=D(2026, 3, 31))
    assert flow_lines(report)[("operating", "Net income")] == cents("400")
    assert report.meta["net_change_in_cash"] == usd("9400")


# -- properties -----------------------------------------------------------------------

POSTABLE = ("1010", "1100", "1200", "1510", "1590", "2010", "2200", "2500", "3010", "3020",
            "3900", "4010", "4020", "4910", "5000", "6100", "6200")
PARTIES = (None, "A", "B", "C")
FIRST_DAY = D(2026, 1, 1)

days = st.integers(min_value=0, max_value=200).map(lambda n: FIRST_DAY + dt.timedelta(days=n))
raw_line = st.tuples(
    st.sampled_from(POSTABLE),
    st.integers(min_value=-10**9, max_value=10**9).filter(bool),
    st.sampled_from(PARTIES),
    st.none() | days,
)


@st.composite
def balanced_entries(draw):
    result = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        raws = draw(st.lists(raw_line, min_size=1, max_size=4))
        lines = [Line(a, Money(m, "USD"), party=p, due_date=due) for a, m, p, due in raws]
        rest = -sum(m for _, m, _, _ in raws)
        if rest or len(lines) < 2:
            account, party = draw(st.sampled_from(POSTABLE)), draw(st.sampled_from(PARTIES))
            lines.append(Line(account, Money(rest, "USD"), party=party))
        result.append(Entry(draw(days), tuple(lines)))
    return result


_entities = itertools.count(1)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=balanced_entries(), end=days)
def test_reports_stay_balanced_for_any_balanced_books(engine, entries, end):
    book = Ledger.create(engine, entity=f"prop{next(_entities)}", chart=standard_chart())
    book.post_many(entries)

    tb = trial_balance(book, end=end)
    assert tb.totals["debit"] == tb.totals["credit"]
    assert sum(r["debit"] - r["credit"] for r in tb.rows) == 0
    assert all(r["debit"] == 0 or r["credit"] == 0 for r in tb.rows)

    bs = balance_sheet(book, end=end)
    meta = bs.meta
    assert meta["total_assets"] == meta["total_liabilities"] + meta["total_equity"]
    pnl = income_statement(book, start=FIRST_DAY, end=end)
    assert pnl.meta["net_income"] == meta["current_earnings"]
    net = {r["account"]: r["debit"] - r["credit"] for r in tb.rows}
    assert meta["total_assets"].minor == sum(v for k, v in net.items() if k < "2000")

    flows = cash_flow(book, start=FIRST_DAY, end=end).meta  # raises if it does not add up
    assert flows["closing_cash"].minor == net.get("1010", 0)
    assert flows["net_income"] == pnl.meta["net_income"] - Money(net.get("3900", 0), "USD")

    ar = aging(book, "receivable", as_of=end)
    assert ar.totals["total"] == net.get("1100", 0)
    for row in ar.rows:
        buckets = [row[k] for k in ("current", "days_1_30", "days_31_60", "days_61_90",
                                    "over_90")]
        assert all(b >= 0 for b in buckets)
        assert row["unapplied"] <= 0 and (row["unapplied"] == 0 or not any(buckets))
        assert sum(buckets) + row["unapplied"] == row["total"] != 0

    gl = general_ledger(book, "1010", start=end)
    rows = list(gl.rows)
    closing = rows[-1]["balance"]
    full = list(general_ledger(book, "1010").rows)
    assert closing == full[-1]["balance"] == gl.totals["balance"]
