"""Payroll runs from payroll tools, summarized per employee."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ledgerbridge.documents.common import (
    Amount,
    CanonicalModel,
    CurrencyCode,
    Document,
    Ref,
    _field_error,
    _fill,
    _non_empty,
)
from ledgerbridge.money import Money

__all__ = ["PayrollEmployee", "PayrollRun"]

_PARTS = (
    "gross",
    "employee_taxes",
    "deductions",
    "net",
    "employer_taxes",
    "employer_contributions",
)


class PayrollEmployee(CanonicalModel):
    """One employee's pay in a run: gross - employee_taxes - deductions = net.

    Attributes:
        employee_taxes: taxes withheld from the employee (income tax, employee social security).
        deductions: other amounts withheld (pension, benefits, garnishments).
        employer_taxes: taxes the employer pays on top of gross.
        employer_contributions: pension or benefit contributions paid on top of gross.

    """

    employee: Ref
    gross: Amount
    employee_taxes: Amount
    deductions: Amount
    net: Amount
    employer_taxes: Amount
    employer_contributions: Amount

    @model_validator(mode="after")
    def _net(self) -> PayrollEmployee:
        expected = self.gross - self.employee_taxes - self.deductions
        if expected != self.net:
            raise _field_error(
                ("net",),
                "totals_mismatch",
                f"net is {self.net.text()} but gross {self.gross.text()} - employee_taxes "
                f"{self.employee_taxes.text()} - deductions {self.deductions.text()} = "
                f"{expected.text()}",
                self.net.text(),
            )
        return self


class PayrollRun(Document):
    """A pay run: per-employee amounts and their totals, which must add up.

    Totals left out are computed from the employees.

    Attributes:
        period_start, period_end: the pay period, inclusive.
        pay_date: when employees are paid.
        status: draft runs are not posted.

    """

    type: Literal["payroll_run"] = "payroll_run"
    period_start: dt.date
    period_end: dt.date
    pay_date: dt.date
    status: Literal["draft", "approved", "paid"] = "paid"
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
