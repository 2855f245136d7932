"""Payroll runs from payroll tools, summarized per employee, and what follows from them.

A run (:class:`PayrollRun`) is posted on its pay date. Its taxes and deductions may be
broken down (per tax, per benefit) and each employee may belong to a department; the
posting rules then book expense per department and one liability per tax and benefit.
A remittance (:class:`PayrollRemittance`) pays liabilities a run left owing (a payroll
tool debiting the taxes it files, a benefit provider paid). An accrual
(:class:`PayrollAccrual`) moves a share of a run's expense into a month its pay date
is not in; :func:`accruals` computes them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ledgerbridge.documents.common import (
    Amount,
    CanonicalModel,
    CurrencyCode,
    Document,
    Ref,
    Source,
    _field_error,
    _fill,
    _non_empty,
)
from ledgerbridge.money import Money

__all__ = [
    "AccrualLine",
    "PayrollAccrual",
    "PayrollBenefit",
    "PayrollEmployee",
    "PayrollRemittance",
    "PayrollRun",
    "PayrollTax",
    "RemittanceLine",
    "accruals",
    "expense_lines",
]

_PARTS = (
    "gross",
    "employee_taxes",
    "deductions",
    "net",
    "employer_taxes",
    "employer_contributions",
)
ExpenseKind = Literal["wages", "employer_taxes", "employer_contributions", "contract_labor",
                      "reimbursements"]
"""The kinds of payroll expense, as the posting rules name them."""


class PayrollTax(CanonicalModel):
    """One tax of one employee's pay: withheld from them, or paid by the employer.

    Attributes:
        name: the tax as the payroll tool names it ("Social Security", "CA PIT").
        employer: True for the employer's share, False for a withholding.

    """

    name: str = Field(min_length=1)
    employer: bool = False
    amount: Amount


class PayrollBenefit(CanonicalModel):
    """One benefit: the employee's deduction and the employer's contribution."""

    name: str = Field(min_length=1)
    employee_deduction: Amount
    company_contribution: Amount


def _sum(values: list[Money], currency: str) -> Money:
    return Money(sum(v.minor for v in values), currency)


class PayrollEmployee(CanonicalModel):
    """One person's pay in a run: gross - employee_taxes - deductions + reimbursements = net.

    Attributes:
        contractor: a contractor, not an employee: gross is contract labor, and
            nothing is withheld or paid on top (no taxes, deductions or benefits).
        department: where the employee's payroll expense is booked (None: no department).
        employee_taxes: taxes withheld from the employee (income tax, employee social security).
        deductions: other amounts withheld (pension, benefits, garnishments).
        employer_taxes: taxes the employer pays on top of gross.
        employer_contributions: pension or benefit contributions paid on top of gross.
        taxes: the taxes one by one; when given, they add up to employee_taxes
            (withholdings) and employer_taxes (employer shares).
        benefits: the benefits one by one; when given, their contributions add up to
            employer_contributions and their deductions are part of deductions.
        reimbursements: expenses paid back with the pay (not wages; None: none).

    """

    employee: Ref
    contractor: bool = False
    department: str | None = None
    gross: Amount
    employee_taxes: Amount
    deductions: Amount
    net: Amount
    employer_taxes: Amount
    employer_contributions: Amount
    taxes: tuple[PayrollTax, ...] = ()
    benefits: tuple[PayrollBenefit, ...] = ()
    reimbursements: Amount | None = None

    @model_validator(mode="after")
    def _net(self) -> PayrollEmployee:
        expected = self.gross - self.employee_taxes - self.deductions
        repaid = ""
        if self.reimbursements is not None:
            expected = expected + self.reimbursements
            repaid = f" + reimbursements {self.reimbursements.text()}"
        if expected != self.net:
            raise _field_error(
                ("net",),
                "totals_mismatch",
                f"net is {self.net.text()} but gross {self.gross.text()} - employee_taxes "
                f"{self.employee_taxes.text()} - deductions {self.deductions.text()}{repaid} = "
                f"{expected.text()}",
                self.net.text(),
            )
        if self.contractor:
            self._nothing_withheld()
        currency = self.gross.currency
        if self.taxes:
            for name, employer in (("employee_taxes", False), ("employer_taxes", True)):
                summed = _sum([t.amount for t in self.taxes if t.employer is employer], currency)
                self._agree(name, summed, "taxes")
        if self.benefits:
            contributed = _sum([b.company_contribution for b in self.benefits], currency)
            self._agree("employer_contributions", contributed, "benefits")
            deducted = _sum([b.employee_deduction for b in self.benefits], currency)
            if deducted.minor > self.deductions.minor:
                raise _field_error(("deductions",), "totals_mismatch",
                                   f"deductions are {self.deductions.text()} but the benefits "
                                   f"alone deduct {deducted.text()}", self.deductions.text())
        return self

    def _nothing_withheld(self) -> None:
        """A contractor is paid gross: no taxes, deductions or benefits either way."""
        for name in ("employee_taxes", "deductions", "employer_taxes", "employer_contributions"):
            amount = getattr(self, name)
            if amount.minor:
                raise _field_error((name,), "contractor_withholding",
                                   f"{name} is {amount.text()} but a contractor is paid gross "
                                   "(nothing withheld or paid on top)", amount.text())
        if self.taxes or self.benefits:
            raise _field_error(("taxes",), "contractor_withholding",
                               "a contractor has no taxes or benefits", None)

    def _agree(self, name: str, summed: Money, parts: str) -> None:
        given = getattr(self, name)
        if given != summed:
            raise _field_error((name,), "totals_mismatch",
                               f"{name} is {given.text()} but the {parts} add up to "
                               f"{summed.text()}", given.text())


class PayrollRun(Document):
    """A pay run: per-employee amounts and their totals, which must add up.

    Totals left out are computed from the employees.

    Attributes:
        period_start, period_end: the pay period, inclusive.
        pay_date: when employees are paid.
        status: draft runs are not posted; a void run's entry is reversed.
        off_cycle: a run outside the pay schedule (bonus, correction, termination).
        processor: the payroll tool that pays the net pay and files the taxes
            ("Gusto"): net pay is then owed to it until its bank debit is reconciled.
        reference: the run's reference as it appears on bank statements.

    """

    type: Literal["payroll_run"] = "payroll_run"
    period_start: dt.date
    period_end: dt.date
    pay_date: dt.date
    status: Literal["draft", "approved", "paid", "void"] = "paid"
    off_cycle: bool = False
    processor: str | None = None
    reference: str | None = None
    currency: CurrencyCode
    employees: Annotated[tuple[PayrollEmployee, ...], AfterValidator(_non_empty)] = Field(
        json_schema_extra={"minItems": 1}
    )
    gross: Amount | None = None
    employee_taxes: Amount | None = None
    deductions: Amount | None = None
    net: Amount | None = None
    employer_taxes: Amount | None = None
    employer_contributions: Amount | None = None

    @model_validator(mode="after")
    def _totals(self) -> PayrollRun:
        if self.period_end < self.period_start:
            raise _field_error(
                ("period_end",),
                "period_order",
                f"period_end {self.period_end} is before period_start {self.period_start}",
                str(self.period_end),
            )
        for name in _PARTS:
            summed = Money(sum(getattr(e, name).minor for e in self.employees), self.currency)
            given = getattr(self, name)
            if given is None:
                _fill(self, name, summed)
            elif given != summed:
                raise _field_error(
                    (name,),
                    "totals_mismatch",
                    f"{name} is {given.text()} but the employees' {name} add up to {summed.text()}",
                    given.text(),
                )
        return self


class RemittanceLine(CanonicalModel):
    """One liability a remittance pays, named as the run named it ("Medicare")."""

    name: str = Field(min_length=1)
    amount: Amount


class PayrollRemittance(Document):
    """A payment of payroll liabilities: taxes to an agency or a payroll tool, benefits.

    Attributes:
        date: when the money left the bank.
        payee: who was paid ("Gusto", "IRS", a benefit provider).
        run: the payroll run whose liabilities are paid, when one run's.
        lines: what is paid, by the names the run's liabilities carry.
        total: the sum of the lines (computed when left out).
        paid_from: an account hint for where the money came from (None: the bank).
        reference: the reference the bank statement shows.
        status: a void remittance's entry is reversed.

    """

    type: Literal["payroll_remittance"] = "payroll_remittance"
    date: dt.date
    currency: CurrencyCode
    payee: str = Field(min_length=1)
    run: Ref | None = None
    lines: Annotated[tuple[RemittanceLine, ...], AfterValidator(_non_empty)] = Field(
        json_schema_extra={"minItems": 1}
    )
    total: Amount | None = None
    paid_from: str | None = None
    reference: str | None = None
    status: Literal["paid", "void"] = "paid"

    @model_validator(mode="after")
    def _total(self) -> PayrollRemittance:
        summed = _sum([line.amount for line in self.lines], self.currency)
        if self.total is None:
            _fill(self, "total", summed)
        elif self.total != summed:
            raise _field_error(("total",), "totals_mismatch",
                               f"total is {self.total.text()} but the lines add up to "
                               f"{summed.text()}", self.total.text())
        return self


class AccrualLine(CanonicalModel):
    """A share of one kind of a run's expense in one department (signed: debit positive)."""

    kind: ExpenseKind
    department: str | None = None
    amount: Amount


class PayrollAccrual(Document):
    """Payroll expense moved into the month it belongs to, or its reversal.

    Attributes:
        date: a month end (the accrual or deferral) or the day after (its reversal).
        run: the payroll run the expense comes from.
        lines: expense shares by kind and department; positive lines accrue expense
            (the credit goes to accrued payroll), negative lines defer it.
        status: a void accrual's entry is reversed (its run was voided).

    """

    type: Literal["payroll_accrual"] = "payroll_accrual"
    date: dt.date
    currency: CurrencyCode
    run: Ref
    lines: Annotated[tuple[AccrualLine, ...], AfterValidator(_non_empty)] = Field(
        json_schema_extra={"minItems": 1}
    )
    status: Literal["posted", "void"] = "posted"


def expense_lines(run: PayrollRun, *, contractors: bool = True
                  ) -> list[tuple[ExpenseKind, str | None, Money]]:
    """The run's expense by kind and department, in a stable order; zeros left out.

    ``contractors`` False leaves the contractors' pay out (posted per contractor).
    """
    totals: dict[tuple[ExpenseKind, str | None], int] = defaultdict(int)
    for employee in run.employees:
        if employee.contractor and not contractors:
            continue
        pay: ExpenseKind = "contract_labor" if employee.contractor else "wages"
        totals[(pay, employee.department)] += employee.gross.minor
        totals[("employer_taxes", employee.department)] += employee.employer_taxes.minor
        totals[("employer_contributions", employee.department)] += (
            employee.employer_contributions.minor)
        if employee.reimbursements is not None:
            totals[("reimbursements", employee.department)] += employee.reimbursements.minor
    order = {"wages": 0, "employer_taxes": 1, "employer_contributions": 2, "contract_labor": 3,
             "reimbursements": 4}
    keys = sorted(totals, key=lambda k: (order[k[0]], k[1] or ""))
    return [(kind, dept, Money(totals[(kind, dept)], run.currency))
            for kind, dept in keys if totals[(kind, dept)]]


def _month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Month ends E with start <= E < end."""
    found = []
    first = start.replace(day=1)
    while True:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        last = following - dt.timedelta(days=1)
        if last >= end:
            return found
        found.append(last)
        first = following


def accruals(run: PayrollRun) -> list[PayrollAccrual]:
    """The accruals (and their reversals) that put a run's expense in its months.

    The run itself books all its expense on its pay date. At every month end E
    between the period (or the pay date, if earlier) and the period's end (or the
    pay date, if later), the expense of the period's days up to E belongs to the
    months up to E. The difference between that share and what is booked by E (all
    of it if the pay date is on or before E, else nothing) is posted at E: accrued
    when positive, deferred when negative. Each is reversed the day after E. Shares
    are by calendar day, rounded per line; a reversal is the exact negation of its
    accrual. Their external ids are ``<run id>/accrual/<E>`` and ``.../reversal``.
    """
    days = (run.period_end - run.period_start).days + 1
    low, high = min(run.period_start, run.pay_date), max(run.period_end, run.pay_date)
    found = []
    for end in _month_ends(low, high):
        worked = min(max((min(end, run.period_end) - run.period_start).days + 1, 0), days)
        share = Fraction(worked, days) - (1 if run.pay_date <= end else 0)
        lines = []
        for kind, dept, amount in expense_lines(run):
            part = round(amount.minor * share)
            if part:
                lines.append(AccrualLine(kind=kind, department=dept,
                                         amount=Money(part, run.currency)))
        if not lines:
            continue
        for date, suffix, sign in ((end, "", 1), (end + dt.timedelta(days=1), "/reversal", -1)):
            source = run.source
            found.append(PayrollAccrual(
                date=date, currency=run.currency, run=Ref(external_id=source.external_id),
                status="void" if run.status == "void" else "posted",
                source=Source(connection=source.connection, object_type="payroll_accrual",
                              external_id=f"{source.external_id}/accrual/{end}{suffix}",
                              version=source.version, updated_at=source.updated_at),
                lines=tuple(AccrualLine(kind=line.kind, department=line.department,
                                        amount=Money(sign * line.amount.minor, run.currency))
                            for line in lines),
            ))
    return found
