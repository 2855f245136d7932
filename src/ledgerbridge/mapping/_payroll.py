"""Posting rules of payroll: runs, remittances and accruals.

A run books its expense per department and kind (wages, employer taxes, employer
benefit contributions) and one liability per tax (withholding and employer share
of one tax together, as they are filed together) and per benefit. Net pay goes to
the bank when the run says it is paid; when a payroll tool (``processor``) pays it,
it is owed to that tool as an open item until its bank debit is reconciled. Each
benefit's liability is an open item too (its party is the benefit's name), settled
by the provider's bank debit.

Accounts come from the roles (``wages``, ``payroll_taxes``,
``employer_contributions``, ``payroll_liabilities``, ``benefits_payable``,
``accrued_payroll``) unless ``account_aliases`` names a more precise one:
``"Wages: Engineering"``, ``"Employer taxes: Engineering"`` and ``"Benefits:
Engineering"`` for a department's expense, a tax's or benefit's own name
(``"Federal Income Tax"``, ``"401k"``) for its liability. A remittance debits the
same accounts by the same names, so what is paid leaves exactly where it was owed.

A contractor in a run (a payment to a contractor) is booked on their own lines,
party the contractor: their pay to ``contract_labor`` (alias ``"Contract labor:
<department>"``), their reimbursed expenses to ``expense`` (alias
``"Reimbursements: <department>"``). What a payroll tool pays them is owed to it on
``contractor_payable`` as an open item, settled by its bank debit like net pay.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ledgerbridge.documents import (
    PayrollAccrual,
    PayrollRemittance,
    PayrollRun,
    expense_lines,
)

if TYPE_CHECKING:
    from ledgerbridge.mapping._posting import PostingRules, _Book

__all__ = ["accrual_entry", "remittance_entry", "run_entry"]

_ROLE = {"wages": "wages", "employer_taxes": "payroll_taxes",
         "employer_contributions": "employer_contributions", "contract_labor": "contract_labor",
         "reimbursements": "expense"}
_LABEL = {"wages": "Wages", "employer_taxes": "Employer taxes",
          "employer_contributions": "Benefits", "contract_labor": "Contract labor",
          "reimbursements": "Reimbursements"}


def _expense_account(rules: PostingRules, accounts: dict, doc: PayrollRun | PayrollAccrual,
                     kind: str, department: str | None) -> str:
    default = rules._role(accounts, _ROLE[kind], doc)
    if department is None:
        return default
    return rules.hint(f"{_LABEL[kind]}: {department}", default)[0]


def _memo(kind: str, department: str | None) -> str:
    return f"{_LABEL[kind]}, {department}" if department else _LABEL[kind]


def _tax_liabilities(run: PayrollRun) -> tuple[dict[str, int], int, int]:
    """Per tax name its total; and the employee and employer taxes given without names."""
    named: dict[str, int] = defaultdict(int)
    loose_employee = loose_employer = 0
    for employee in run.employees:
        if employee.taxes:
            for tax in employee.taxes:
                named[tax.name] += tax.amount.minor
        else:
            loose_employee += employee.employee_taxes.minor
            loose_employer += employee.employer_taxes.minor
    return dict(named), loose_employee, loose_employer


def _benefit_liabilities(run: PayrollRun) -> tuple[dict[str, int], int, int]:
    """Per benefit its deduction plus contribution; other deductions; loose contributions."""
    named: dict[str, int] = defaultdict(int)
    other = loose = 0
    for employee in run.employees:
        deducted = 0
        for benefit in employee.benefits:
            named[benefit.name] += (benefit.employee_deduction.minor
                                    + benefit.company_contribution.minor)
            deducted += benefit.employee_deduction.minor
        other += employee.deductions.minor - deducted
        if not employee.benefits:
            loose += employee.employer_contributions.minor
    return dict(named), other, loose


def run_entry(rules: PostingRules, doc: PayrollRun, accounts: dict) -> tuple | None:
    """The run's entry on its pay date: (date, memo, book), or None for a draft."""
    if doc.status == "draft":
        return None
    book = rules._book(doc, doc.currency)
    for kind, department, amount in expense_lines(doc, contractors=False):
        book.add(_expense_account(rules, accounts, doc, kind, department), amount.minor,
                 _memo(kind, department))
    contractors_net = _contractor_lines(rules, accounts, doc, book)
    liabilities = rules._role(accounts, "payroll_liabilities", doc)
    taxes, loose_employee, loose_employer = _tax_liabilities(doc)
    for name, minor in sorted(taxes.items()):
        book.add(rules.hint(name, liabilities)[0], -minor, name)
    book.add(liabilities, -loose_employee, "Employee taxes withheld")
    book.add(liabilities, -loose_employer, "Employer taxes owed")
    benefits_payable = rules._role(accounts, "benefits_payable", doc)
    benefits, other, loose = _benefit_liabilities(doc)
    for name, minor in sorted(benefits.items()):
        book.add(rules.hint(name, benefits_payable)[0], -minor, name, party=name)
    book.add(liabilities, -other, "Other deductions withheld")
    book.add(benefits_payable, -loose, "Employer contributions owed")
    reference = doc.reference or doc.source.external_id
    net = doc.net.minor if doc.net is not None else 0
    if doc.processor:
        book.add(liabilities, -(net - contractors_net), f"Net pay {reference}",
                 party=doc.processor)
        if contractors_net:
            book.add(rules._role(accounts, "contractor_payable", doc), -contractors_net,
                     f"Contractor pay {reference}", party=doc.processor)
    elif doc.status == "paid":
        book.add(rules._role(accounts, "bank", doc), -net, "Net pay")
    else:
        book.add(liabilities, -net, "Net pay owed")
    period = f"{doc.period_start.isoformat()}..{doc.period_end.isoformat()}"
    label = f"{period}, off-cycle" if doc.off_cycle else period
    return doc.pay_date, rules._memo(doc, doc.reference, label), book


def _contractor_lines(rules: PostingRules, accounts: dict, doc: PayrollRun, book: _Book) -> int:
    """Each contractor's pay and reimbursements, party the contractor; their net total."""
    net = 0
    for person in doc.employees:
        if not person.contractor:
            continue
        party = person.employee.name or person.employee.external_id or person.employee.id
        repaid = person.reimbursements.minor if person.reimbursements is not None else 0
        for kind, minor in (("contract_labor", person.gross.minor), ("reimbursements", repaid)):
            book.add(_expense_account(rules, accounts, doc, kind, person.department), minor,
                     _memo(kind, person.department), party=party)
        net += person.net.minor
    return net


def remittance_entry(rules: PostingRules, doc: PayrollRemittance, accounts: dict
                     ) -> tuple | None:
    """Debit each liability by name, credit the bank (or ``paid_from``)."""
    book = rules._book(doc, doc.currency)
    liabilities = rules._role(accounts, "payroll_liabilities", doc)
    for line in doc.lines:
        book.add(rules.hint(line.name, liabilities)[0], line.amount.minor, line.name)
    bank = rules._role(accounts, "bank", doc)
    paid_from = rules.hint(doc.paid_from, bank)[0] if doc.paid_from else bank
    total = doc.total.minor if doc.total is not None else 0
    book.add(paid_from, -total, f"Paid to {doc.payee} {doc.reference or ''}".strip())
    return doc.date, rules._memo(doc, doc.reference, doc.payee), book


def accrual_entry(rules: PostingRules, doc: PayrollAccrual, accounts: dict) -> tuple | None:
    """Expense shares against accrued payroll, on the accrual's date."""
    book = rules._book(doc, doc.currency)
    for line in doc.lines:
        book.add(_expense_account(rules, accounts, doc, line.kind, line.department),
                 line.amount.minor, _memo(line.kind, line.department))
    total = sum(line.amount.minor for line in doc.lines)
    book.add(rules._role(accounts, "accrued_payroll", doc), -total,
             f"Accrued payroll, run {doc.run.external_id or doc.run.id}")
    return doc.date, rules._memo(doc, None, doc.run.external_id or doc.run.id), book
