"""A company keeping EUR books with a USD bank account: each account in its currency."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.intelligence.forecast import (
    TOTAL,
    ForecastError,
    History,
    PartyLine,
    Rate,
    forecast,
    forecast_report,
    load_history,
    naive,
)
from ledgerbridge.ledger import Entry, Ledger, Line
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.money import Money, convert
from ledgerbridge.report import to_json_obj

AS_OF = dt.date(2026, 3, 31)
USD_RATE = Decimal("0.9217")  # EUR per USD, the latest line in USD
runner = CliRunner()


def day(offset: int) -> dt.date:
    return AS_OF + dt.timedelta(days=offset)


def eur(major: str) -> Money:
    return Money.parse(major, "EUR")


def usd(major: str) -> Money:
    return Money.parse(major, "USD")


def euro_books(engine, as_of: dt.date = AS_OF) -> Ledger:
    """EUR books: checking 1010 in EUR, 1020 a USD account; a USD invoice and an EUR bill.

    Everything happened more than 90 days before ``as_of`` and no item was settled
    yet, so the forecast has no draw to make: every simulation is the same path.
    """
    def day(offset: int) -> dt.date:
        return as_of + dt.timedelta(days=offset)

    ledger = Ledger.create(engine, name="Euro Co", currency="EUR", chart=standard_chart())
    ledger.post_many([
        Entry(day(-200), (Line("1010", eur("10000.00")), Line("3010", eur("-10000.00"))),
              "Capital"),
        Entry(day(-150), (Line("1020", usd("5000.00"), Decimal("0.90")),
                          Line("3010", eur("-4500.00"))), "USD capital"),
        Entry(day(-120), (Line("1100", usd("2000.00"), Decimal("0.91"), party="Yankee Inc",
                               due_date=day(10)),
                          Line("4020", eur("-1820.00"))), "INV-US-1"),
        Entry(day(-110), (Line("6010", eur("1000.00")),
                          Line("2010", eur("-1000.00"), party="Euro Supplies",
                               due_date=day(5))), "BILL-7"),
        Entry(day(-95), (Line("6650", eur("23.04")),
                         Line("1020", usd("-25.00"), USD_RATE)), "Wire fee"),
    ])
    return ledger


@pytest.fixture
def euro_ledger(engine) -> Ledger:
    """The EUR books as of AS_OF."""
    return euro_books(engine)


@pytest.fixture
def ledger(engine) -> Ledger:
    """The dashboard's ledger: the EUR books as of today."""
    return euro_books(engine, dt.date.today())


def test_the_page_labels_each_accounts_currency_and_the_totals_rate(viewer):
    page = viewer.get("/forecast?account=1020&days=28").text
    assert '<text x="4" y="8" font-size="11" id="forecast-currency">USD</text>' in page
    assert "From 4975.00 USD on" in page and ">1020 (USD)</option>" in page
    total = viewer.get("/forecast?days=28").text
    assert re.search(r"All accounts in EUR, converted at the latest rates in the ledger:\s+"
                     r"1 USD = 0.9217 EUR \(\d{4}-\d\d-\d\d\)", total)
    assert "(expected over the horizon, all accounts, EUR)" in total


def test_history_reads_each_account_in_its_currency(euro_ledger):
    history = load_history(euro_ledger, AS_OF)
    assert history.currencies == {"1020": "USD"}
    assert history.balances == {"1010": 1_000_000, "1020": 497_500}  # EUR, USD cents
    assert [(f.account, f.amount) for f in history.flows] == [
        ("1010", 1_000_000), ("1020", 500_000), ("1020", -2_500)]
    [invoice] = history.receivables
    assert (invoice.amount, invoice.currency, invoice.original) == (182_000, "USD", 200_000)
    assert history.rates == {"USD": Rate("USD", USD_RATE, day(-95))}


def test_each_account_is_forecast_in_its_currency_and_the_total_is_their_converted_sum(
        euro_ledger):
    result = forecast(load_history(euro_ledger, AS_OF), 30, simulations=50)
    checking, dollars, total = (result.of(a) for a in ("1010", "1020", TOTAL))
    assert (checking.currency, dollars.currency, total.currency) == ("EUR", "USD", "EUR")
    # The USD invoice lands in the USD account on its due date, in dollars;
    # the EUR bill leaves the EUR account on its.
    assert dollars.days[8].median == 497_500 and dollars.days[9].median == 697_500
    assert checking.days[3].median == 1_000_000 and checking.days[4].median == 900_000
    assert result.rates == (Rate("USD", USD_RATE, day(-95)),)
    for d in range(30):
        a, b, t = checking.days[d], dollars.days[d], total.days[d]
        for band in ("low", "median", "high"):
            converted = getattr(a, band) + convert(getattr(b, band), "USD", USD_RATE, "EUR")
            assert getattr(t, band) == converted
    assert total.start == 1_000_000 + convert(497_500, "USD", USD_RATE, "EUR")
    assert total.days[-1].median == 900_000 + 642_886  # 6,975.00 USD at 0.9217 = 6,428.86
    assert result.components["open receivables"] == 184_340  # 2,000.00 USD in EUR


def test_reports_name_the_currency_and_the_rate(euro_ledger, db_url):
    result = forecast(load_history(euro_ledger, AS_OF), 14, simulations=20)
    dollars = to_json_obj(forecast_report(result, "1020"))
    assert dollars["currency"] == "USD" and dollars["title"].endswith("in USD")
    assert dollars["start_balance"] == "4975.00" and dollars["rows"][0]["currency"] == "USD"
    assert dollars["account_currencies"] == {"1010": "EUR", "1020": "USD"}
    total = to_json_obj(forecast_report(result))
    assert total["currency"] == "EUR" and total["components_currency"] == "EUR"
    assert total["rates"] == [{"currency": "USD", "rate": "0.9217", "date": "2025-12-26"}]
    assert "1 USD = 0.9217 EUR (2025-12-26)" in total["subtitle"]
    args = ["forecast", "--db", db_url, "--as-of", "2026-03-31", "--days", "14",
            "--simulations", "20"]
    csv = runner.invoke(app, [*args, "--account", "1020", "--format", "csv"])
    assert csv.exit_code == 0, csv.output
    assert csv.stdout.splitlines()[:2] == ["date,low,median,high,currency",
                                           "2026-04-01,4975.00,4975.00,4975.00,USD"]
    table = runner.invoke(app, [*args, "--account", "1020"])
    assert "in USD" in table.stdout
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert data["currency"] == "EUR" and data["rates"][0]["rate"] == "0.9217"


def test_a_currency_without_a_rate_is_refused_by_name():
    history = History(AS_OF, "EUR", {"1010": 100, "1020": 100}, (), (), (),
                      currencies={"1020": "CHF"})
    with pytest.raises(ForecastError, match="no exchange rate for CHF"):
        forecast(history, 10)
    item = PartyLine("Tokyo KK", day(-5), day(5), 9_000, currency="JPY", original=1_500_000)
    with pytest.raises(ForecastError, match="no exchange rate for JPY"):
        forecast(History(AS_OF, "EUR", {"1010": 100}, (), (item,), ()), 10)


@settings(max_examples=25, deadline=None)
@given(balances=st.lists(st.integers(-10**11, 10**11), min_size=2, max_size=4),
       rates=st.lists(st.decimals(Decimal("0.0001"), Decimal("500"), places=4),
                      min_size=4, max_size=4),
       seed=st.integers(0, 10))
def test_without_movements_the_total_is_the_converted_sum_to_the_cent(balances, rates, seed):
    currencies = ("EUR", "USD", "JPY", "KWD")
    accounts = {f"10{i}0": b for i, b in enumerate(balances)}
    own = {a: currencies[i] for i, a in enumerate(accounts) if i}
    history = History(AS_OF, "EUR", accounts, (), (), (), currencies=own,
                      rates={c: Rate(c, r, AS_OF) for c, r in zip(currencies[1:], rates[1:],
                                                                     strict=False)})
    result = forecast(history, 3, simulations=10, seed=seed)
    expected = sum(convert(b, history.currency_of(a), history.rates[history.currency_of(a)].rate,
                           "EUR") if a in own else b for a, b in accounts.items())
    assert result.of(TOTAL).start == expected
    assert {d.median for d in result.of(TOTAL).days} == {expected}
    assert naive(history, 3)[TOTAL] == [expected] * 3
