"""Gusto's official Python SDK (gusto-app-integration) reads the emulator like Gusto.

The SDK validates every answer against Gusto's published models, so a field of the
wrong type or a missing path fails here, not only in our own client.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from gusto_app_integration import GustoAppIntegration
from gusto_app_integration.models import APIError

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.gusto.emulator import COMPANY_UUID, create_emulator
from ledgerbridge.sandbox.emulators import SandboxOptions
from tests.connectors.gusto.conftest import TOKEN
from tests.connectors.gusto.test_contractors import company_with_contractors


@pytest.fixture(scope="module")
def sdk():
    """The SDK pointed at an emulated company with a payroll and two contractor payments."""
    company, alan, studio = company_with_contractors()
    company.run_payroll(dt.date(2026, 3, 1), dt.date(2026, 3, 15), dt.date(2026, 3, 20))
    company.pay_contractor(alan, dt.date(2026, 3, 10), hours="10", reimbursement="40.00")
    company.pay_contractor(studio, dt.date(2026, 3, 31), wage="2500.00")
    with serve_in_thread(create_emulator(SandboxOptions(TOKEN), company)) as url:
        yield GustoAppIntegration(company_access_auth=TOKEN, server_url=url), company


def test_employees_and_departments_read_through_the_sdk(sdk):
    client, company = sdk
    employees = client.employees.get(company_id=COMPANY_UUID)
    assert sorted(e.last_name for e in employees) == ["Carnegie", "Hopper", "Lovelace"]
    departments = client.departments.get_all(company_uuid=COMPANY_UUID)
    assert {d.title for d in departments} == {"Engineering", "Sales"}


def test_a_processed_payroll_reads_through_the_sdk_with_its_totals(sdk):
    client, company = sdk
    (listed,) = client.payrolls.get_for_company(company_id=COMPANY_UUID,
                                                processing_statuses=["processed"])
    payroll = client.payrolls.get(company_id=COMPANY_UUID, payroll_id=listed.payroll_uuid)
    assert payroll.processed is True
    assert payroll.check_date == "2026-03-20"
    totals = payroll.totals
    assert Decimal(totals.gross_pay) == sum(
        Decimal(c.gross_pay) for c in payroll.employee_compensations)
    assert Decimal(totals.net_pay) < Decimal(totals.gross_pay)


def test_contractors_and_their_payments_read_through_the_sdk(sdk):
    client, company = sdk
    contractors = client.contractors.get(company_uuid=COMPANY_UUID)
    assert len(contractors) == 2
    summary = client.contractor_payments.get(company_id=COMPANY_UUID, start_date="2026-03-01",
                                             end_date="2026-03-31")
    payments = [p for group in summary.contractor_payments for p in group.payments]
    assert len(payments) == 2
    one = client.contractor_payments.get_by_id(company_id=COMPANY_UUID,
                                               contractor_payment_id=payments[0].uuid)
    assert one.uuid == payments[0].uuid
    assert Decimal(summary.total.wages) == sum(Decimal(p.wage_total) for p in payments)


def test_a_wrong_token_is_refused_as_gusto_refuses_it(sdk):
    client, _ = sdk
    url = client.sdk_configuration.get_server_details()[0]
    stranger = GustoAppIntegration(company_access_auth="not-a-token", server_url=url)
    with pytest.raises(APIError) as refused:
        stranger.employees.get(company_id=COMPANY_UUID)
    assert refused.value.status_code == 401
