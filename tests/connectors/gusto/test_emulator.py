"""The Gusto emulator over real HTTP: auth, paging, filters, errors; the connector reads it."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.gusto import GustoConnector, GustoSettings
from ledgerbridge.connectors.gusto.emulator import COMPANY_UUID, create_emulator
from ledgerbridge.sandbox.emulators import EMULATED, SandboxOptions, emulator_app
from ledgerbridge.sync.errors import FatalError
from tests.connectors.gusto.conftest import TOKEN, sample_company

AUTH = {"authorization": f"Bearer {TOKEN}"}
BASE = f"/v1/companies/{COMPANY_UUID}"


@pytest.fixture(scope="module")
def served():
    """The emulator with four regular payrolls, one reversed."""
    company = sample_company()
    for month in (1, 2, 3, 4):
        company.run_payroll(*[dt.date(2026, month, d) for d in (1, 15, 20)])
    company.reverse(next(iter(company.payrolls)), "duplicate")
    with serve_in_thread(create_emulator(SandboxOptions(TOKEN), company)) as url:
        yield url, company


def test_every_route_needs_the_bearer_token(served):
    url, _ = served
    answer = httpx.get(f"{url}{BASE}/payrolls")
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["category"] == "invalid_request"


def test_payrolls_page_filter_and_include(served):
    url, _ = served
    first = httpx.get(f"{url}{BASE}/payrolls", headers=AUTH, params={
        "processing_statuses": "processed", "per": 3, "page": 1,
        "include": "totals,employee_compensations"}).json()
    second = httpx.get(f"{url}{BASE}/payrolls", headers=AUTH,
                       params={"per": 3, "page": 2}).json()
    assert [len(first), len(second)] == [3, 1]
    assert "totals" in first[0] and "totals" not in second[0]
    assert first[0]["totals"]["gross_pay"] == "13900.00"
    march = httpx.get(f"{url}{BASE}/payrolls", headers=AUTH, params={
        "start_date": "2026-03-01", "end_date": "2026-03-31"}).json()
    assert [p["check_date"] for p in march] == ["2026-03-20"]


def test_unknown_records_get_gustos_error_body(served):
    url, _ = served
    missing = httpx.get(f"{url}{BASE}/payrolls/nope", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["message"] == "no payroll nope"
    other = httpx.get(f"{url}/v1/companies/other/employees", headers=AUTH)
    assert other.status_code == 404


def test_employees_departments_and_reversals(served):
    url, company = served
    employees = httpx.get(f"{url}{BASE}/employees", headers=AUTH).json()
    assert {e["department"] for e in employees} == {"Engineering", "Sales"}
    departments = httpx.get(f"{url}{BASE}/departments", headers=AUTH).json()
    assert [(d["title"], len(d["employees"])) for d in departments] == [
        ("Engineering", 2), ("Sales", 1)]
    reversals = httpx.get(f"{url}{BASE}/payroll_reversals", headers=AUTH).json()
    assert reversals[0]["reversed_payroll_uuid"] == next(iter(company.payrolls))


def test_connector_reads_payrolls_with_a_cursor_and_reversals(served):
    url, company = served
    connector = GustoConnector("gusto", GustoSettings(
        access_token=TOKEN, company_uuid=COMPANY_UUID, base_url=url, page_size=2,
        lookback_days=0))
    pages = list(connector.read(connector.stream("payrolls"), None))
    events = [e for page in pages for e in page.events]
    assert len(events) == 4 and pages[-1].cursor == "2026-04-20"
    assert events[0].object_version.endswith(":reversed")
    again = [e for p in connector.read(connector.stream("payrolls"), "2026-04-20")
             for e in p.events]
    assert len(again) == 1  # from the cursor on
    (reversal,) = [e for p in connector.read(connector.stream("payroll_reversals"), None)
                   for e in p.events]
    documents = connector.normalize(reversal)
    assert documents and {d.status for d in documents} == {"void"}
    with pytest.raises(FatalError, match="no stream"):
        list(connector.read(connector.stream("nope"), None))


def test_a_wrong_token_is_a_fatal_error_without_the_token(served):
    url, _ = served
    connector = GustoConnector("gusto", GustoSettings(
        access_token="wrong-secret-token", company_uuid=COMPANY_UUID, base_url=url))
    with pytest.raises(FatalError, match="HTTP 401") as caught:
        connector.client.reversals()
    assert "wrong-secret-token" not in str(caught.value)


def test_the_sandbox_serves_gusto():
    assert "gusto" in EMULATED
    assert emulator_app("gusto", SandboxOptions()).title == "Gusto emulator"
