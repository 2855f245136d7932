"""Gusto payrolls to canonical documents: the run, its tax debit and its accruals.

A payroll is normalized from a bundle: the payroll (with totals and employee
compensations), each employee's department and name, and whether Gusto approved a
reversal of it. Bundles are made when the payroll is read, so normalizing a stored
event again gives the same documents.

What one processed payroll gives:

* a :class:`PayrollRun` on the check date, ``processor`` "Gusto": net pay is owed to
  Gusto until its net-pay debit is reconciled;
* a :class:`PayrollRemittance` for the tax debit (every withholding and employer
  tax, by name) on the debit date (the day of ``payroll_deadline``): Gusto takes
  the taxes from the bank and files them;
* the accruals of a pay period that spans a month end (see ``accruals``).

A reversed payroll gives the same documents, void, as a new version dated when the
reversal was approved: their entries are reversed on that day.
The reversal payrolls Gusto may create (``reversal_payroll_uuids``) give nothing,
since voiding the original already takes it out of the books.

A contractor payment is bundled with its contractor's name and department and gives
a :class:`PayrollRun` of one contractor on the payment date: ``wage_total`` is the
contractor's pay, the reimbursement is paid on top, nothing is withheld. Paid by
direct deposit, Gusto debits it (``processor`` "Gusto": owed to Gusto until the debit
is reconciled); paid by check, it leaves the bank when the company hands it over.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError

from ledgerbridge.documents import (
    Document,
    PayrollRemittance,
    PayrollRun,
    accruals,
)
from ledgerbridge.sync.errors import FatalError

__all__ = ["bundle", "contractor_bundle", "contractor_payment_documents", "payroll_documents",
           "reference"]

CURRENCY = "USD"


def reference(payroll_uuid: str) -> str:
    """The reference printed on Gusto's bank debits: the uuid's first eight characters."""
    return payroll_uuid.replace("-", "")[:8].upper()


def bundle(payroll: dict[str, Any], employees: list[dict[str, Any]],
           reversals: list[dict[str, Any]]) -> dict[str, Any]:
    """What normalizing ``payroll`` needs, in one JSON object."""
    uuid = payroll.get("payroll_uuid") or payroll.get("uuid")
    return {
        "payroll": payroll,
        "departments": {e["uuid"]: e.get("department") for e in employees},
        "names": {e["uuid"]: " ".join(p for p in (e.get("first_name"), e.get("last_name"))
                                      if p) for e in employees},
        "reversed": any(r.get("reversed_payroll_uuid") == uuid for r in reversals),
        "reversed_at": next((r.get("approved_at") for r in reversals
                             if r.get("reversed_payroll_uuid") == uuid), None),
        "reversal": any(uuid in (r.get("reversal_payroll_uuids") or []) for r in reversals),
    }


def _money(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key, "0.00")
    if not isinstance(value, str):
        raise ValueError(f"{where}.{key} must be a decimal string, got {value!r}")
    return value


def _sum(values: list[str]) -> str:
    return str(sum((Decimal(v) for v in values), Decimal("0.00")))


def _employee(comp: dict[str, Any], departments: dict, names: dict) -> dict[str, Any]:
    who = comp.get("employee_uuid")
    where = f"employee_compensations[{who}]"
    taxes = [{"name": t["name"], "employer": bool(t.get("employer")),
              "amount": _money(t, "amount", where)} for t in comp.get("taxes") or []]
    benefits = [{"name": b["name"], "employee_deduction": _money(b, "employee_deduction", where),
                 "company_contribution": _money(b, "company_contribution", where)}
                for b in comp.get("benefits") or []]
    other = [_money(d, "amount", where) for d in comp.get("deductions") or []]
    return {
        "employee": {"external_id": who, "name": names.get(who) or None},
        "department": departments.get(who),
        "gross": _money(comp, "gross_pay", where),
        "net": _money(comp, "net_pay", where),
        "employee_taxes": _sum([t["amount"] for t in taxes if not t["employer"]]),
        "employer_taxes": _sum([t["amount"] for t in taxes if t["employer"]]),
        "deductions": _sum([b["employee_deduction"] for b in benefits] + other),
        "employer_contributions": _sum([b["company_contribution"] for b in benefits]),
        "taxes": taxes,
        "benefits": benefits,
    }


def _day(stamp: str) -> dt.date:
    return dt.date.fromisoformat(stamp[:10])


def payroll_documents(data: dict[str, Any], connection: str) -> list[Document]:
    """The documents of one bundled payroll (none for unprocessed or reversal payrolls)."""
    payroll = data["payroll"]
    uuid = payroll.get("payroll_uuid") or payroll.get("uuid")
    if not payroll.get("processed") or data.get("reversal"):
        return []
    try:
        return _documents(payroll, uuid, data, connection)
    except (ValidationError, ValueError, KeyError, TypeError) as exc:
        raise FatalError(f"payroll {uuid}: {exc}", connection=connection, stream="payrolls",
                         record=uuid) from None


def _documents(payroll: dict[str, Any], uuid: str, data: dict[str, Any],
               connection: str) -> list[Document]:
    totals = payroll.get("totals") or {}
    for key in ("reimbursements", "reimbursement_debit", "child_support_debit"):
        if Decimal(totals.get(key) or "0") != 0:
            raise ValueError(f"totals.{key} is {totals[key]}: payrolls with "
                             f"{key.replace('_', ' ')} are not supported")
    void = bool(data.get("reversed"))
    # A reversal is a new version of the payroll, dated when it was approved: the
    # entries are reversed on that day.
    version = f"{payroll.get('version')}:reversed" if void else payroll.get("version")
    changed = data.get("reversed_at") if void else None
    source = {"connection": connection, "object_type": "payroll", "external_id": uuid,
              "version": version, "updated_at": changed or payroll.get("calculated_at")}
    period = payroll["pay_period"]
    ref = reference(uuid)
    run = PayrollRun.model_validate({
        "source": source, "period_start": period["start_date"],
        "period_end": period["end_date"], "pay_date": payroll["check_date"],
        "status": "void" if void else "paid", "off_cycle": bool(payroll.get("off_cycle")),
        "processor": "Gusto", "reference": ref, "currency": CURRENCY,
        "employees": [_employee(c, data["departments"], data["names"])
                      for c in payroll.get("employee_compensations") or []],
        **{mine: totals[theirs] for mine, theirs in (
            ("gross", "gross_pay"), ("net", "net_pay"), ("employee_taxes", "employee_taxes"),
            ("employer_taxes", "employer_taxes")) if theirs in totals},
    })
    found: list[Document] = [run]
    by_tax: dict[str, Decimal] = defaultdict(Decimal)
    for employee in run.employees:
        for tax in employee.taxes:
            by_tax[tax.name] += tax.amount.decimal
    lines = [{"name": n, "amount": str(a)} for n, a in sorted(by_tax.items()) if a]
    if lines:
        found.append(PayrollRemittance.model_validate({
            "source": source | {"object_type": "tax_debit", "external_id": f"{uuid}/tax_debit"},
            "date": _day(payroll.get("payroll_deadline") or payroll["check_date"]),
            "currency": CURRENCY, "payee": "Gusto", "run": {"external_id": uuid},
            "lines": lines,
            "total": totals.get("tax_debit"), "reference": f"TAX {ref}",
            "status": "void" if void else "paid",
        }))
    found += accruals(run)
    return found


def contractor_name(contractor: dict[str, Any]) -> str | None:
    """How a contractor is named: the business's name, else first and last name."""
    if contractor.get("business_name"):
        return str(contractor["business_name"])
    name = " ".join(p for p in (contractor.get("first_name"), contractor.get("last_name")) if p)
    return name or None


def contractor_bundle(payment: dict[str, Any], contractors: list[dict[str, Any]]
                      ) -> dict[str, Any]:
    """What normalizing a contractor payment needs, in one JSON object."""
    who = payment.get("contractor_uuid")
    contractor = next((c for c in contractors if c.get("uuid") == who), {})
    return {"contractor_payment": payment,
            "contractor": {"uuid": who, "name": contractor_name(contractor),
                           "department": contractor.get("department")}}


def contractor_payment_documents(data: dict[str, Any], connection: str) -> list[Document]:
    """The payroll run of one bundled contractor payment."""
    payment = data["contractor_payment"]
    uuid = payment.get("uuid")
    try:
        return [_contractor_run(payment, data["contractor"], connection)]
    except (ValidationError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise FatalError(f"contractor payment {uuid}: {exc}", connection=connection,
                         stream="contractor_payments", record=uuid) from None


def _contractor_run(payment: dict[str, Any], contractor: dict[str, Any],
                    connection: str) -> PayrollRun:
    where = "contractor_payment"
    wage, bonus, rate, repaid, total = (
        Decimal(_money(payment, key, where))
        for key in ("wage", "bonus", "hourly_rate", "reimbursement", "wage_total"))
    hours = Decimal(str(payment.get("hours") or "0"))
    expected = wage + bonus + (hours * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if expected != total:
        raise ValueError(f"wage_total is {total} but wage {wage} + bonus {bonus} + hours "
                         f"{hours} x hourly_rate {rate} = {expected}")
    method = payment.get("payment_method")
    if method not in ("Direct Deposit", "Check"):
        raise ValueError(f"payment_method {method!r} is not Direct Deposit or Check")
    uuid = payment["uuid"]
    day = payment["date"]
    return PayrollRun.model_validate({
        "source": {"connection": connection, "object_type": "contractor_payment",
                   "external_id": uuid},
        "period_start": day, "period_end": day, "pay_date": day, "status": "paid",
        "processor": "Gusto" if method == "Direct Deposit" else None,
        "reference": reference(uuid), "currency": CURRENCY,
        "employees": [{
            "employee": {"external_id": contractor.get("uuid") or payment["contractor_uuid"],
                         "name": contractor.get("name")},
            "contractor": True, "department": contractor.get("department"),
            "gross": str(total), "employee_taxes": "0.00", "deductions": "0.00",
            "employer_taxes": "0.00", "employer_contributions": "0.00",
            "reimbursements": str(repaid) if repaid else None, "net": str(total + repaid),
        }],
    })
