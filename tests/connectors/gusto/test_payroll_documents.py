"""Payroll documents: breakdowns must add up; accruals put each month's share in its month."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ledgerbridge.documents import PayrollRun, accruals, expense_lines

SOURCE = {"connection": "gusto", "object_type": "payroll", "external_id": "p1"}


def employee(gross="1000.00", department="Ops", **extra) -> dict:
    return {"employee": {"external_id": "e1"}, "department": department, "gross": gross,
            "employee_taxes": "150.00", "deductions": "50.00",
            "net": str(int(gross.split(".")[0]) - 200) + ".00",
            "employer_taxes": "80.00", "employer_contributions": "30.00",
            "taxes": [{"name": "FIT", "amount": "150.00"},
                      {"name": "FICA", "employer": True, "amount": "80.00"}],
            "benefits": [{"name": "401(k)", "employee_deduction": "40.00",
                          "company_contribution": "30.00"}], **extra}


def run(start, end, pay, employees=None) -> PayrollRun:
    return PayrollRun.model_validate({
        "source": SOURCE, "period_start": start, "period_end": end, "pay_date": pay,
        "currency": "USD", "employees": employees or [employee()]})


def test_breakdowns_that_do_not_add_up_are_refused():
    with pytest.raises(ValidationError, match="employee_taxes is 150.00 but the taxes"):
        run("2026-03-01", "2026-03-15", "2026-03-20",
            [employee(taxes=[{"name": "FIT", "amount": "1.00"},
                             {"name": "FICA", "employer": True, "amount": "80.00"}])])
    with pytest.raises(ValidationError, match="benefits alone deduct 60.00"):
        run("2026-03-01", "2026-03-15", "2026-03-20",
            [employee(benefits=[{"name": "401(k)", "employee_deduction": "60.00",
                                 "company_contribution": "30.00"}])])


def test_expense_lines_group_by_kind_and_department():
    paid = run("2026-03-01", "2026-03-15", "2026-03-20",
               [employee(), employee(department="Sales"), employee()])
    assert [(k, d, m.minor) for k, d, m in expense_lines(paid)] == [
        ("wages", "Ops", 200000), ("wages", "Sales", 100000),
        ("employer_taxes", "Ops", 16000), ("employer_taxes", "Sales", 8000),
        ("employer_contributions", "Ops", 6000), ("employer_contributions", "Sales", 3000)]


def test_a_period_paid_in_its_own_month_needs_no_accrual():
    assert accruals(run("2026-03-01", "2026-03-15", "2026-03-20")) == []


def test_a_month_paid_in_the_next_is_accrued_whole_at_its_end():
    accrual, reversal = accruals(run("2026-03-16", "2026-03-31", "2026-04-03"))
    assert accrual.date == dt.date(2026, 3, 31) and reversal.date == dt.date(2026, 4, 1)
    assert [line.amount.minor for line in accrual.lines] == [100000, 8000, 3000]


@settings(max_examples=60, deadline=None)
@given(start=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)),
       length=st.integers(0, 75), pay_offset=st.integers(-40, 90),
       gross=st.integers(1, 5_000_000))
def test_each_month_gets_its_days_share_of_the_expense(start, length, pay_offset, gross):
    end = start + dt.timedelta(days=length)
    pay = start + dt.timedelta(days=pay_offset)
    paid = run(start.isoformat(), end.isoformat(), pay.isoformat(),
               [employee(gross=f"{gross // 100 + 200}.00")])
    by_month: dict[tuple[int, int], int] = defaultdict(int)
    wages = next(m.minor for k, _, m in expense_lines(paid) if k == "wages")
    by_month[(pay.year, pay.month)] += wages
    for accrual in accruals(paid):
        for line in accrual.lines:
            if line.kind == "wages":
                by_month[(accrual.date.year, accrual.date.month)] += line.amount.minor
    days: dict[tuple[int, int], int] = defaultdict(int)
    for n in range(length + 1):
        day = start + dt.timedelta(days=n)
        days[(day.year, day.month)] += 1
    months = sorted(set(by_month) | set(days))
    assert sum(by_month.values()) == wages
    for month in months:
        share = Fraction(wages * days[month], length + 1)
        assert abs(by_month[month] - share) <= 2, month  # rounding of two shares at most
