import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.intelligence.forecast import (
    TOTAL,
    BankFlow,
    Deal,
    ForecastError,
    History,
    PartyLine,
    chart,
    forecast,
    forecast_report,
    naive,
    stage_probability,
)
from ledgerbridge.intelligence.forecast.components import recurring_series, settle
from ledgerbridge.report import to_json_obj

AS_OF = dt.date(2026, 3, 31)


def day(offset):
    return AS_OF + dt.timedelta(days=offset)


def history(*, flows=(), receivables=(), payables=(), deals=(), balances=None):
    return History(AS_OF, "USD", balances or {"1010": 1_000_000, "1020": 50_000},
                   tuple(flows), tuple(receivables), tuple(payables), tuple(deals))


def paid_late(party, days_late, count, amount=10_000):
    """``count`` settled invoices of ``party``, each paid ``days_late`` after due."""
    lines = []
    for i in range(count):
        issued = day(-300 + 20 * i)
        due = issued + dt.timedelta(days=30)
        lines += [PartyLine(party, issued, due, amount),
                  PartyLine(party, due + dt.timedelta(days=days_late), due, -amount, "1010")]
    return sorted(lines, key=lambda line: line.date)


def test_settling_oldest_first_gives_open_items_lags_and_accounts():
    lines = [PartyLine("Acme", day(-60), day(-30), 300), PartyLine("Acme", day(-40), day(-10), 200),
             PartyLine("Acme", day(-20), day(-20), -400, "1020")]
    ledgered = settle(lines)
    (item,) = ledgered.items
    assert (item.party, item.due, item.amount) == ("Acme", day(-10), 100)
    assert ledgered.lags == {"Acme": [10]} and ledgered.accounts["Acme"]["1020"] == 1
    assert ledgered.terms == (30, 30)


def test_an_open_invoice_arrives_after_the_customers_own_lag():
    lines = [*paid_late("Slow Ltd", 20, 4), PartyLine("Slow Ltd", day(-10), day(5), 70_000)]
    result = forecast(history(receivables=lines), 40, simulations=50)
    total = result.of(TOTAL)
    assert total.days[23].median == 1_050_000  # not before due + 20 days (day 25)
    assert total.days[24].median == 1_120_000
    assert result.components["open receivables"] == 70_000


def test_an_item_overdue_beyond_every_past_lag_is_reported_not_forecast():
    lines = [*paid_late("Acme", 2, 3), PartyLine("Acme", day(-200), day(-170), 5_000)]
    result = forecast(history(receivables=lines), 30, simulations=20)
    assert result.components["overdue beyond any past lag"] == 5_000
    assert result.of(TOTAL).days[-1].median == 1_050_000


def test_recurring_payroll_and_cleaning_are_found_and_projected():
    months = [dt.date(2025, m, 25) for m in range(10, 13)] + [
        dt.date(2026, m, 25) for m in range(1, 4)]
    flows = [BankFlow(d, "1010", -400_000, f"Payroll {d:%m/%Y}", False) for d in months]
    flows += [BankFlow(day(-60 + 7 * i), "1010", -3_000 - i, "Cleaning", False)
              for i in range(9)]
    flows += [BankFlow(day(-3), "1010", -77_000, "Payroll bonus", False)]  # once: not a rhythm
    series, explained = recurring_series(flows, AS_OF)
    assert {(s.label, s.every, s.amount) for s in series} == {
        ("payroll", 0, -400_000), ("cleaning", 7, -3_007)}
    assert explained == set(range(len(flows) - 1))
    payroll = next(s for s in series if s.label == "payroll")
    assert payroll.dates(AS_OF, day(60)) == [dt.date(2026, 4, 25), dt.date(2026, 5, 25)]


def test_pipeline_deals_count_by_stage_probability_after_the_payment_lag():
    assert stage_probability("ContractSent") == 90 and stage_probability("Imagined") == 10
    deal = Deal("Big one", "Acme", 200_000, 50, day(10), terms_days=14)
    result = forecast(history(receivables=paid_late("Acme", 0, 3), deals=[deal]), 30,
                      simulations=400, seed=3)
    assert 80_000 <= result.components["pipeline"] <= 120_000
    band = result.of(TOTAL).days[-1]
    assert band.low == 1_050_000 and band.high == 1_250_000


def test_the_band_holds_the_median_and_the_total_is_its_own_band():
    flows = [BankFlow(day(-i), "1010", (-1) ** i * 7_000 * (i % 5), "misc", False)
             for i in range(90)]
    result = forecast(history(flows=flows), 60, simulations=200, seed=1)
    for s in result.series:
        assert all(d.low <= d.median <= d.high for d in s.days)
    assert [s.account for s in result.series] == ["1010", "1020", TOTAL]
    assert result.of(TOTAL).start == 1_050_000


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_same_seed_gives_the_same_forecast(seed):
    flows = [BankFlow(day(-i), "1010", 1_000 * (i % 7) - 3_000, "misc", False) for i in range(90)]
    made = history(flows=flows, receivables=[*paid_late("A", 3, 5),
                                             PartyLine("A", day(-5), day(25), 9_999)])
    assert forecast(made, 30, simulations=30, seed=seed) == forecast(made, 30, simulations=30,
                                                                       seed=seed)


def test_naive_carries_the_balance_forward_with_the_average_net_flow():
    flows = [BankFlow(day(-i), "1010", 900, "misc", False) for i in range(90)]
    baseline = naive(history(flows=flows), 3)
    assert baseline["1010"] == [1_000_900, 1_001_800, 1_002_700]
    assert baseline[TOTAL][0] == 1_050_900


def test_bad_requests_say_what_is_wrong():
    with pytest.raises(ForecastError, match="no bank accounts"):
        forecast(History(AS_OF, "USD", {}, (), (), ()), 10)
    with pytest.raises(ForecastError, match="at least one day"):
        forecast(history(), 0)
    with pytest.raises(KeyError, match="no bank account '9999'"):
        forecast(history(), 5, simulations=10).of("9999")


def test_the_report_and_chart_show_the_band():
    result = forecast(history(), 14, simulations=10)
    data = to_json_obj(forecast_report(result, "1020"))
    assert data["start_balance"] == "500.00" and len(data["rows"]) == 14
    assert data["rows"][0] == {"date": "2026-04-01", "low": "500.00", "median": "500.00",
                               "high": "500.00", "currency": "USD"}
    drawn = chart(result, width=140, height=100)
    assert drawn.line.startswith("0,") and len(drawn.band.split()) == 1 + 2 * 14


def test_usual_invoicing_continues_less_what_the_pipeline_explains():
    lines = []
    for i in range(90):
        issued = day(-i)
        lines.append(PartyLine("A", issued, issued + dt.timedelta(days=30), 1_000))
        if i >= 30:
            lines.append(PartyLine("A", issued + dt.timedelta(days=30), issued, -1_000, "1010"))
    lines.sort(key=lambda line: line.date)
    alone = forecast(history(receivables=lines), 60, simulations=20)
    assert alone.components["invoices to come"] == 30_000  # issued days 1-30, paid by day 60
    deal = Deal("Half sure", "A", 40_000, 50, day(10), terms_days=30)
    both = forecast(history(receivables=lines, deals=[deal]), 60, simulations=20)
    assert both.components["invoices to come"] == 30 * 666  # 2/3 of each day, in whole cents
