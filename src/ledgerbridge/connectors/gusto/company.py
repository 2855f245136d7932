"""The state of an emulated Gusto company: employees, contractors, departments, payments.

Payrolls are calculated the way a payroll tool would, at fixed illustrative rates
(federal income tax 12 %, Social Security 6.2 % each side, Medicare 1.45 % each
side, California PIT 4 %, FUTA 0.6 %, CA SUI 3.4 %), every amount rounded to the
cent on its own; the figures are the emulator's, not a tax engine's. Money is
Decimal and leaves as strings ("1234.56"), as Gusto sends it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["CompanyState", "ContractorRecord", "EmployeeRecord", "GustoError"]

_CENT = Decimal("0.01")
_EMPLOYEE_TAXES = (("Federal Income Tax", Decimal("0.12")), ("Social Security", Decimal("0.062")),
                   ("Medicare", Decimal("0.0145")), ("CA PIT", Decimal("0.04")))
_EMPLOYER_TAXES = (("Social Security", Decimal("0.062")), ("Medicare", Decimal("0.0145")),
                   ("FUTA", Decimal("0.006")), ("CA SUI", Decimal("0.034")))
_TOTALS = ("gross_pay", "net_pay", "employer_taxes", "employee_taxes", "benefits",
           "employee_benefits_deductions", "other_deductions", "reimbursements")


class GustoError(Exception):
    """A request the emulator refuses, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _text(value: Decimal) -> str:
    return str(_cents(value))


@dataclass
class EmployeeRecord:
    """An employee: pay per period, department and benefit enrolments.

    Attributes:
        k401_percent: the 401(k) deferral (the company matches 3 %); 0: not enrolled.
        medical: enrolled in medical insurance (120.00 deducted, 300.00 contributed).
        garnishment: a fixed amount withheld each payroll (child support).

    """

    uuid: str
    first_name: str
    last_name: str
    department: str | None
    gross: Decimal
    k401_percent: Decimal = Decimal(0)
    medical: bool = False
    garnishment: Decimal = Decimal(0)

    def wire(self, department_uuid: str | None) -> dict[str, Any]:
        """The employee as ``GET /v1/companies/{uuid}/employees`` returns it."""
        return {"uuid": self.uuid, "first_name": self.first_name, "last_name": self.last_name,
                "department": self.department, "department_uuid": department_uuid,
                "terminated": False, "payment_method": "Direct Deposit"}


@dataclass
class ContractorRecord:
    """A contractor (an individual, or a business when ``business_name`` is set).

    Attributes:
        hourly_rate: the rate of an ``Hourly`` contractor; None: paid a fixed wage.

    """

    uuid: str
    first_name: str
    last_name: str
    department: str | None
    business_name: str | None = None
    hourly_rate: Decimal | None = None
    payment_method: str = "Direct Deposit"

    def wire(self, company_uuid: str, department_uuid: str | None) -> dict[str, Any]:
        """The contractor as ``GET /v1/companies/{uuid}/contractors`` returns it."""
        return {"uuid": self.uuid, "company_uuid": company_uuid,
                "type": "Business" if self.business_name else "Individual",
                "first_name": self.first_name, "last_name": self.last_name,
                "business_name": self.business_name,
                "wage_type": "Hourly" if self.hourly_rate is not None else "Fixed",
                "hourly_rate": _text(self.hourly_rate or Decimal(0)), "is_active": True,
                "department": self.department, "department_uuid": department_uuid,
                "payment_method": self.payment_method}


@dataclass
class CompanyState:
    """One company's employees and payrolls, and the events they caused."""

    uuid: str
    seed: int = 0
    employees: dict[str, EmployeeRecord] = field(default_factory=dict)
    payrolls: dict[str, dict[str, Any]] = field(default_factory=dict)
    reversals: list[dict[str, Any]] = field(default_factory=list)
    contractors: dict[str, ContractorRecord] = field(default_factory=dict)
    contractor_payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    _count: int = 0

    def new_uuid(self, kind: str) -> str:
        """A uuid that is the same for the same seed and order of creation."""
        self._count += 1
        digest = hashlib.sha256(f"{self.seed}:{kind}:{self._count}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def department_uuid(self, title: str | None) -> str | None:
        """A department's uuid, derived from its title."""
        if title is None:
            return None
        digest = hashlib.sha256(f"{self.uuid}:department:{title}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def add_employee(self, first_name: str, last_name: str, department: str | None,
                     gross: str, *, k401_percent: str = "0", medical: bool = False,
                     garnishment: str = "0") -> EmployeeRecord:
        """Hire an employee paid ``gross`` each period."""
        record = EmployeeRecord(self.new_uuid("employee"), first_name, last_name, department,
                                Decimal(gross), Decimal(k401_percent), medical,
                                Decimal(garnishment))
        self.employees[record.uuid] = record
        return record

    def add_contractor(self, first_name: str, last_name: str, department: str | None, *,
                       business_name: str | None = None, hourly_rate: str | None = None,
                       payment_method: str = "Direct Deposit") -> ContractorRecord:
        """Onboard a contractor (hourly when ``hourly_rate`` is given, else fixed wage)."""
        if payment_method not in ("Direct Deposit", "Check"):
            raise GustoError(422, f"payment_method {payment_method!r} is not Direct Deposit "
                                  "or Check")
        record = ContractorRecord(self.new_uuid("contractor"), first_name, last_name,
                                  department, business_name,
                                  None if hourly_rate is None else Decimal(hourly_rate),
                                  payment_method)
        self.contractors[record.uuid] = record
        return record

    def pay_contractor(self, contractor_uuid: str, date: dt.date, *, wage: str = "0",
                       bonus: str = "0", hours: str = "0", reimbursement: str = "0",
                       payment_method: str | None = None) -> dict[str, Any]:
        """Create a contractor payment; returns it as the API shows it.

        ``wage_total`` is wage + bonus + hours x hourly rate; the reimbursement is
        paid on top of it and is not wages.
        """
        contractor = self.contractors.get(contractor_uuid)
        if contractor is None:
            raise GustoError(404, f"no contractor {contractor_uuid}")
        method = payment_method or contractor.payment_method
        if method not in ("Direct Deposit", "Check"):
            raise GustoError(422, f"payment_method {method!r} is not Direct Deposit or Check")
        rate = contractor.hourly_rate or Decimal(0)
        amounts = {k: Decimal(v) for k, v in (("wage", wage), ("bonus", bonus), ("hours", hours),
                                             ("reimbursement", reimbursement))}
        if any(v < 0 for v in amounts.values()):
            raise GustoError(422, "contractor payment amounts must not be negative")
        if amounts["hours"] and contractor.hourly_rate is None:
            raise GustoError(422, f"contractor {contractor_uuid} is not paid by the hour")
        total = amounts["wage"] + amounts["bonus"] + _cents(amounts["hours"] * rate)
        payment_uuid = self.new_uuid("contractor_payment")
        payment = {
            "uuid": payment_uuid, "contractor_uuid": contractor_uuid, "date": date.isoformat(),
            "wage_type": "Hourly" if contractor.hourly_rate is not None else "Fixed",
            "wage": _text(amounts["wage"]), "bonus": _text(amounts["bonus"]),
            "hours": str(amounts["hours"].quantize(Decimal("0.001"))),
            "hourly_rate": _text(rate), "reimbursement": _text(amounts["reimbursement"]),
            "wage_total": _text(total), "payment_method": method, "status": "Funded",
            "may_cancel": True,
        }
        self.contractor_payments[payment_uuid] = payment
        return payment

    def cancel_contractor_payment(self, payment_uuid: str) -> None:
        """Cancel a contractor payment: Gusto deletes it."""
        if self.contractor_payments.pop(payment_uuid, None) is None:
            raise GustoError(404, f"no contractor payment {payment_uuid}")

    def departments(self) -> list[dict[str, Any]]:
        """Departments as ``GET /v1/companies/{uuid}/departments`` returns them."""
        titles = sorted({e.department for e in (*self.employees.values(),
                                                *self.contractors.values()) if e.department})
        return [{"uuid": self.department_uuid(t), "title": t, "version": "1",
                 "employees": [{"uuid": e.uuid} for e in self.employees.values()
                               if e.department == t],
                 "contractors": [{"uuid": c.uuid} for c in self.contractors.values()
                                 if c.department == t]} for t in titles]

    def run_payroll(self, start: dt.date, end: dt.date, check_date: dt.date, *,
                    off_cycle_reason: str | None = None,
                    gross: dict[str, Decimal | str] | None = None) -> dict[str, Any]:
        """Calculate, submit and process a payroll; returns it as the API shows it.

        ``gross`` pays only the employees it names, those amounts (an off-cycle run);
        otherwise every employee is paid their regular gross.
        """
        if end < start:
            raise GustoError(422, "pay period end_date is before start_date")
        if check_date < start:
            raise GustoError(422, "check_date is before the pay period")
        paid = ({u: Decimal(str(v)) for u, v in gross.items()} if gross is not None
                else {u: e.gross for u, e in self.employees.items()})
        unknown = sorted(set(paid) - set(self.employees))
        if unknown:
            raise GustoError(404, f"no employee {unknown[0]}")
        compensations = [self._compensation(self.employees[u], amount, off_cycle_reason)
                         for u, amount in paid.items()]
        payroll_uuid = self.new_uuid("payroll")
        deadline = check_date - dt.timedelta(days=2)
        payroll = {
            "uuid": payroll_uuid, "payroll_uuid": payroll_uuid, "company_uuid": self.uuid,
            "version": hashlib.sha256(f"{payroll_uuid}:1".encode()).hexdigest()[:32],
            "processed": True, "off_cycle": off_cycle_reason is not None,
            "off_cycle_reason": off_cycle_reason, "check_date": check_date.isoformat(),
            "processed_date": deadline.isoformat(),
            "payroll_deadline": f"{deadline.isoformat()}T23:30:00Z",
            "calculated_at": f"{deadline.isoformat()}T12:00:00Z",
            "pay_period": {"start_date": start.isoformat(), "end_date": end.isoformat(),
                           "pay_schedule_uuid": None if off_cycle_reason else self.uuid},
            "totals": self._totals(compensations),
            "employee_compensations": compensations,
        }
        self.payrolls[payroll_uuid] = payroll
        return payroll

    def reverse(self, payroll_uuid: str, reason: str) -> dict[str, Any]:
        """Reverse a processed payroll (Gusto support approves it); returns the reversal."""
        if payroll_uuid not in self.payrolls:
            raise GustoError(404, f"no payroll {payroll_uuid}")
        if any(r["reversed_payroll_uuid"] == payroll_uuid for r in self.reversals):
            raise GustoError(422, f"payroll {payroll_uuid} is already reversed")
        reversal = {"reversed_payroll_uuid": payroll_uuid, "reversal_payroll_uuids": [],
                    "reason": reason, "category": "reversal",
                    "approved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        self.reversals.append(reversal)
        return reversal

    def is_reversed(self, payroll_uuid: str) -> bool:
        """Whether a reversal of the payroll was approved."""
        return any(r["reversed_payroll_uuid"] == payroll_uuid for r in self.reversals)

    @staticmethod
    def _compensation(employee: EmployeeRecord, gross: Decimal,
                      reason: str | None) -> dict[str, Any]:
        taxes = [{"name": n, "employer": False, "amount": _text(gross * r)}
                 for n, r in _EMPLOYEE_TAXES]
        taxes += [{"name": n, "employer": True, "amount": _text(gross * r)}
                  for n, r in _EMPLOYER_TAXES]
        benefits = []
        if employee.k401_percent:
            benefits.append({"name": "401(k)", "imputed": False,
                             "employee_deduction": _text(gross * employee.k401_percent / 100),
                             "company_contribution": _text(gross * Decimal("0.03"))})
        if employee.medical and reason is None:
            benefits.append({"name": "Medical Insurance", "imputed": False,
                             "employee_deduction": "120.00", "company_contribution": "300.00"})
        deductions = ([{"name": "Child Support", "amount": _text(employee.garnishment)}]
                      if employee.garnishment and reason is None else [])
        withheld = sum((Decimal(t["amount"]) for t in taxes if not t["employer"]), Decimal(0))
        withheld += sum((Decimal(b["employee_deduction"]) for b in benefits), Decimal(0))
        withheld += sum((Decimal(d["amount"]) for d in deductions), Decimal(0))
        return {"employee_uuid": employee.uuid, "gross_pay": _text(gross),
                "net_pay": _text(gross - withheld), "check_amount": _text(gross - withheld),
                "payment_method": "Direct Deposit", "taxes": taxes, "benefits": benefits,
                "deductions": deductions}

    @staticmethod
    def _totals(compensations: list[dict[str, Any]]) -> dict[str, str]:
        sums = dict.fromkeys(_TOTALS, Decimal(0))
        for c in compensations:
            sums["gross_pay"] += Decimal(c["gross_pay"])
            sums["net_pay"] += Decimal(c["net_pay"])
            for tax in c["taxes"]:
                sums["employer_taxes" if tax["employer"] else "employee_taxes"] += Decimal(
                    tax["amount"])
            for benefit in c["benefits"]:
                sums["benefits"] += Decimal(benefit["company_contribution"])
                sums["employee_benefits_deductions"] += Decimal(benefit["employee_deduction"])
            for deduction in c["deductions"]:
                sums["other_deductions"] += Decimal(deduction["amount"])
        tax_debit = sums["employee_taxes"] + sums["employer_taxes"]
        debits = {"net_pay_debit": sums["net_pay"], "tax_debit": tax_debit,
                  "reimbursement_debit": Decimal(0), "child_support_debit": Decimal(0),
                  "company_debit": sums["net_pay"] + tax_debit,
                  "check_amount": sums["net_pay"]}
        return {k: _text(v) for k, v in (sums | debits).items()}
