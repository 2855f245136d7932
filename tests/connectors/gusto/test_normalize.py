"""Gusto payroll bundles to documents: the run, its tax debit, its accruals; bad input refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.connectors.gusto.company import CompanyState
from ledgerbridge.connectors.gusto.connector import GustoConnector, GustoSettings
from ledgerbridge.connectors.gusto.normalize import bundle, payroll_documents, reference
from ledgerbridge.documents import PayrollAccrual, PayrollRemittance, PayrollRun
from ledgerbridge.money import Money
from ledgerbridge.sync.errors import FatalError, MalformedPayload
from tests.connectors.gusto.conftest import sample_company

D = dt.date


MARCH = (D(2026, 3, 1), D(2026, 3, 15), D(2026, 3, 20))


def payroll_of(company: CompanyState, start: dt.date = MARCH[0], end: dt.date = MARCH[1],
               check: dt.date = MARCH[2], **kwargs) -> dict:
    return company.run_payroll(start, end, check, **kwargs)


def employees_of(company: CompanyState) -> list[dict]:
    return [e.wire(company.department_uuid(e.department)) for e in company.employees.values()]


def documents(company: CompanyState, payroll: dict) -> list:
    return payroll_documents(bundle(payroll, employees_of(company), company.reversals), "gusto")


def test_run_carries_departments_taxes_benefits_and_gustos_totals():
    company = sample_company()
    payroll = payroll_of(company)
    run, taxes = documents(company, payroll)
    assert isinstance(run, PayrollRun) and isinstance(taxes, PayrollRemittance)
    assert (run.pay_date, run.processor, run.status, run.off_cycle) == (
        D(2026, 3, 20), "Gusto", "paid", False)
    assert run.reference == reference(payroll["uuid"])
    assert run.gross == Money.parse(payroll["totals"]["gross_pay"], "USD")
    assert run.net == Money.parse(payroll["totals"]["net_pay"], "USD")
    ada = run.employees[0]
    assert (ada.employee.name, ada.department) == ("Ada Lovelace", "Engineering")
    assert [b.name for b in ada.benefits] == ["401(k)", "Medical Insurance"]
    assert {t.name for t in ada.taxes if t.employer} == {
        "Social Security", "Medicare", "FUTA", "CA SUI"}
    assert taxes.total == Money.parse(payroll["totals"]["tax_debit"], "USD")
    assert taxes.date == D(2026, 3, 18)  # the debit date, two days before the check date
    assert [line.name for line in taxes.lines] == sorted(line.name for line in taxes.lines)


def test_a_period_across_a_month_end_adds_an_accrual_and_its_reversal():
    company = sample_company()
    payroll = payroll_of(company, D(2026, 3, 25), D(2026, 4, 7), D(2026, 4, 10))
    run, _, accrual, reversal = documents(company, payroll)
    assert isinstance(accrual, PayrollAccrual)
    assert (accrual.date, reversal.date) == (D(2026, 3, 31), D(2026, 4, 1))
    assert accrual.source.external_id == f"{payroll['uuid']}/accrual/2026-03-31"
    assert [a.amount.minor for a in accrual.lines] == [-r.amount.minor for r in reversal.lines]


def test_reversed_payroll_gives_void_documents_and_a_reversal_payroll_nothing():
    company = sample_company()
    payroll = payroll_of(company, D(2026, 3, 25), D(2026, 4, 7), D(2026, 4, 10))
    company.reverse(payroll["uuid"], "duplicate")
    found = documents(company, payroll)
    assert {getattr(d, "status", None) for d in found} == {"void"}
    assert all(d.source.version.endswith(":reversed") for d in found)
    company.reversals[0]["reversal_payroll_uuids"] = ["r-1"]
    assert documents(company, payroll | {"uuid": "r-1", "payroll_uuid": "r-1"}) == []


def test_off_cycle_payroll_is_marked():
    company = sample_company()
    ada = next(iter(company.employees))
    payroll = payroll_of(company, off_cycle_reason="Bonus", gross={ada: "1000.00"})
    run = documents(company, payroll)[0]
    assert run.off_cycle and len(run.employees) == 1


@pytest.mark.parametrize(("change", "reason"), [
    (lambda p: p["totals"].update(reimbursements="25.00"), "reimbursements are not supported"),
    (lambda p: p["totals"].update(gross_pay="1.00"), "gross is 1.00"),
    (lambda p: p["employee_compensations"][0].update(net_pay="1.00"), "net is 1.00"),
    (lambda p: p["employee_compensations"][0].update(gross_pay=5200.0), "decimal string"),
])
def test_bad_payroll_is_refused_naming_it_and_the_reason(change, reason):
    company = sample_company()
    payroll = payroll_of(company)
    change(payroll)
    with pytest.raises(FatalError, match=reason) as caught:
        documents(company, payroll)
    assert payroll["uuid"] in str(caught.value)


def test_connector_refuses_bodies_it_does_not_know():
    connector = GustoConnector("gusto", GustoSettings(access_token="t", company_uuid="c"))
    with pytest.raises(MalformedPayload):
        connector.normalize(RawEvent(b"not json"))
    with pytest.raises(MalformedPayload):
        connector.normalize(RawEvent(json.dumps({"hello": 1}).encode()))
    other = {"event_type": "employee.created", "entity_type": "Employee", "entity_uuid": "e"}
    assert connector.normalize(RawEvent(json.dumps(other).encode())) == []
