"""Gusto contractor payments: the emulator's API, documents, posting, and end to end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.gusto import GustoConnector, GustoSettings
from ledgerbridge.connectors.gusto.company import CompanyState
from ledgerbridge.connectors.gusto.emulator import COMPANY_UUID, create_emulator
from ledgerbridge.connectors.gusto.normalize import (
    contractor_bundle,
    contractor_payment_documents,
    reference,
)
from ledgerbridge.documents import PayrollRun
from ledgerbridge.mapping import load_rules
from ledgerbridge.money import Money
from ledgerbridge.reconcile import run
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.sync.errors import FatalError
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.gusto.conftest import TOKEN, balances, control, sample_company, work
from tests.mapping.helpers import no_lookup
from tests.reconcile.test_reconcile import balance, bank, recs

AUTH = {"authorization": f"Bearer {TOKEN}"}
BASE = f"/v1/companies/{COMPANY_UUID}"
USD_RULES = "functional_currency: USD"


def minor(text: str) -> int:
    return Money.parse(text, "USD").minor


def company_with_contractors() -> tuple[CompanyState, str, str]:
    """The sample company, an hourly contractor in Engineering and a business without one."""
    company = sample_company()
    alan = company.add_contractor("Alan", "Turing", "Engineering", hourly_rate="80.00")
    studio = company.add_contractor("", "", None, business_name="Pixel Studio LLC",
                                    payment_method="Check")
    return company, alan.uuid, studio.uuid


def documents_of(company: CompanyState, payment: dict) -> list:
    contractors = [c.wire(company.uuid, None) for c in company.contractors.values()]
    return contractor_payment_documents(contractor_bundle(payment, contractors), "gusto")


def lines_of(document, mapping: str = USD_RULES) -> dict[str, tuple[str, int, str | None]]:
    entry = load_rules(mapping).entry_for(document, no_lookup)
    assert entry is not None
    assert sum(line.amount.minor for line in entry.lines) == 0
    return {line.memo: (line.account, line.amount.minor, line.party) for line in entry.lines}


# -- the emulator ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def served():
    """The emulator with two contractors paid in March and April."""
    company, alan, studio = company_with_contractors()
    company.pay_contractor(alan, dt.date(2026, 3, 10), hours="10", reimbursement="40.00")
    company.pay_contractor(studio, dt.date(2026, 3, 31), wage="2500.00")
    company.pay_contractor(alan, dt.date(2026, 4, 10), wage="100.00", bonus="25.00")
    with serve_in_thread(create_emulator(SandboxOptions(TOKEN), company)) as url:
        yield url, company, alan


def test_contractor_payments_are_grouped_by_contractor_with_totals(served):
    url, _, alan = served
    answer = httpx.get(f"{url}{BASE}/contractor_payments", headers=AUTH, params={
        "start_date": "2026-03-01", "end_date": "2026-03-31"})
    body = answer.json()
    assert body["total"] == {"wages": "3300.00", "reimbursements": "40.00"}
    groups = {g["contractor_uuid"]: g for g in body["contractor_payments"]}
    assert groups[alan]["wage_total"] == "800.00"  # 10 hours at 80.00
    (paid,) = groups[alan]["payments"]
    assert (paid["hours"], paid["wage_type"], paid["payment_method"]) == (
        "10.000", "Hourly", "Direct Deposit")
    one = httpx.get(f"{url}{BASE}/contractor_payments/{paid['uuid']}", headers=AUTH).json()
    assert one == paid
    assert httpx.get(f"{url}{BASE}/contractor_payments", headers=AUTH).status_code == 422
    assert httpx.get(f"{url}{BASE}/contractor_payments",
                     params={"start_date": "2026-03-01", "end_date": "2026-03-31"}
                     ).status_code == 401


def test_contractors_carry_their_department(served):
    url, _, alan = served
    contractors = {c["uuid"]: c for c in httpx.get(f"{url}{BASE}/contractors",
                                                   headers=AUTH).json()}
    assert contractors[alan]["department"] == "Engineering"
    business = next(c for c in contractors.values() if c["type"] == "Business")
    assert (business["business_name"], business["department"]) == ("Pixel Studio LLC", None)
    departments = httpx.get(f"{url}{BASE}/departments", headers=AUTH).json()
    engineering = next(d for d in departments if d["title"] == "Engineering")
    assert engineering["contractors"] == [{"uuid": alan}]


def test_a_cancelled_payment_is_gone_and_bad_payments_are_refused():
    company, alan, _ = company_with_contractors()
    with serve_in_thread(create_emulator(SandboxOptions(TOKEN), company)) as url:
        paid = control(url, "contractor_payments", contractor_uuid=alan, date="2026-03-10",
                       hours="1")
        control(url, f"contractor_payments/{paid['uuid']}/cancel")
        gone = httpx.get(f"{url}{BASE}/contractor_payments/{paid['uuid']}", headers=AUTH)
        assert gone.status_code == 404
        refused = httpx.post(f"{url}/_emulator/contractor_payments", json={
            "contractor_uuid": alan, "date": "2026-03-10", "wage": 12.5})
        assert refused.status_code == 422 and "decimal string" in refused.text


def test_the_connector_reads_payments_from_its_cursor(served):
    url, _, _ = served
    connector = GustoConnector("gusto", GustoSettings(
        access_token=TOKEN, company_uuid=COMPANY_UUID, base_url=url, lookback_days=0))
    stream = connector.stream("contractor_payments")
    (page,) = connector.read(stream, None)
    assert len(page.events) == 3 and page.cursor == "2026-04-10"
    assert {e.object_type for e in page.events} == {"contractor_payment"}
    (again,) = connector.read(stream, page.cursor)
    assert len(again.events) == 1
    documents = [d for e in page.events for d in connector.normalize(e)]
    assert [d.employees[0].employee.name for d in documents] == [
        "Alan Turing", "Pixel Studio LLC", "Alan Turing"]


# -- documents and posting ------------------------------------------------------------


def test_a_payment_is_a_run_of_one_contractor_paid_gross():
    company, alan, _ = company_with_contractors()
    payment = company.pay_contractor(alan, dt.date(2026, 3, 10), wage="100.00", bonus="50.00",
                                     hours="2.5", reimbursement="12.34")
    (run_,) = documents_of(company, payment)
    (person,) = run_.employees
    assert (run_.type, run_.source.object_type, run_.processor) == (
        "payroll_run", "contractor_payment", "Gusto")
    assert run_.pay_date == run_.period_start == run_.period_end == dt.date(2026, 3, 10)
    assert run_.reference == reference(payment["uuid"])
    assert person.contractor and person.department == "Engineering"
    assert (person.gross.text(), person.reimbursements.text(), person.net.text()) == (
        "350.00", "12.34", "362.34")
    assert (run_.employer_taxes.minor, run_.employee_taxes.minor) == (0, 0)


def test_posting_contract_labor_reimbursements_and_the_payable():
    company, alan, studio = company_with_contractors()
    payment = company.pay_contractor(alan, dt.date(2026, 3, 10), hours="10",
                                     reimbursement="40.00")
    (run_,) = documents_of(company, payment)
    lines = lines_of(run_)
    assert lines["Contract labor, Engineering"] == ("6450", 80000, "Alan Turing")
    assert lines["Reimbursements, Engineering"] == ("6900", 4000, "Alan Turing")
    assert lines[f"Contractor pay {run_.reference}"] == ("2300", -84000, "Gusto")
    edited = lines_of(run_, USD_RULES + """
account_aliases:
  "Contract labor: Engineering": "6011"
  "Reimbursements: Engineering": "6350"
accounts:
  contractor_payable: "2350"
""")
    assert edited["Contract labor, Engineering"][0] == "6011"
    assert edited["Reimbursements, Engineering"][0] == "6350"
    assert edited[f"Contractor pay {run_.reference}"][0] == "2350"
    (by_check,) = documents_of(company, company.pay_contractor(
        studio, dt.date(2026, 3, 31), wage="2500.00"))
    assert by_check.processor is None
    check = lines_of(by_check)
    assert check["Contract labor"] == ("6450", 250000, "Pixel Studio LLC")
    assert check["Net pay"] == ("1010", -250000, None)  # the company hands the check over


@settings(max_examples=60, deadline=None)
@given(wage=st.integers(0, 10**7), bonus=st.integers(0, 10**6),
       hours=st.integers(0, 4000), rate=st.integers(1, 50000), repaid=st.integers(0, 10**6))
def test_every_payment_balances_and_owes_exactly_what_gusto_pays(wage, bonus, hours, rate,
                                                                 repaid):
    company = CompanyState(COMPANY_UUID)
    who = company.add_contractor("A", "B", "Ops", hourly_rate=str(Decimal(rate) / 100))
    payment = company.pay_contractor(
        who.uuid, dt.date(2026, 5, 1), wage=str(Decimal(wage) / 100),
        bonus=str(Decimal(bonus) / 100), hours=str(Decimal(hours) / 4),
        reimbursement=str(Decimal(repaid) / 100))
    if minor(payment["wage_total"]) + repaid == 0:
        return
    (run_,) = documents_of(company, payment)
    lines = lines_of(run_)
    owed = lines[f"Contractor pay {run_.reference}"][1]
    assert -owed == minor(payment["wage_total"]) + minor(payment["reimbursement"])


def test_bad_payments_are_refused_naming_the_payment_and_the_reason():
    company, alan, _ = company_with_contractors()
    payment = company.pay_contractor(alan, dt.date(2026, 3, 10), hours="1")
    with pytest.raises(FatalError, match="wage_total is 99.00 but") as caught:
        documents_of(company, payment | {"wage_total": "99.00"})
    assert payment["uuid"] in str(caught.value)
    with pytest.raises(FatalError, match="decimal string"):
        documents_of(company, payment | {"reimbursement": 4.5})
    with pytest.raises(FatalError, match="payment_method 'Wire'"):
        documents_of(company, payment | {"payment_method": "Wire"})


def test_a_contractor_has_nothing_withheld():
    person = {"employee": {"external_id": "c"}, "contractor": True, "gross": "100.00",
              "employee_taxes": "10.00", "deductions": "0.00", "net": "90.00",
              "employer_taxes": "0.00", "employer_contributions": "0.00"}
    with pytest.raises(ValidationError, match="a contractor is paid gross"):
        PayrollRun.model_validate({
            "source": {"connection": "c", "object_type": "contractor_payment",
                       "external_id": "p"}, "currency": "USD", "period_start": "2026-03-01",
            "period_end": "2026-03-01", "pay_date": "2026-03-01", "employees": [person]})


# -- end to end: emulator over HTTP, webhooks, worker, bank debit ---------------------


def test_a_payment_posts_its_bank_debit_reconciles_and_the_payable_nets_to_zero(
        ledger, connection, emulator):
    alan = control(emulator, "contractors", first_name="Alan", last_name="Turing",
                   department="Engineering", hourly_rate="80.00")
    payment = control(emulator, "contractor_payments", contractor_uuid=alan["uuid"],
                      date="2026-03-10", hours="10", bonus="100.00", reimbursement="40.00")
    work(ledger)
    books = balances(ledger)
    assert books["6450"] == minor(payment["wage_total"]) == 90000
    assert books["6900"] == 4000
    assert balance(ledger, "2300", "Gusto") == -94000
    assert balance(ledger, "6450", "Alan Turing") == 90000  # the contractor on the line

    ref = reference(payment["uuid"])
    bank(ledger, "-940.00", f"GUSTO CND {ref} CCD", "Gusto", dt.date(2026, 3, 9))
    result = run(ledger)
    assert result.auto_accepted == 1 and recs(ledger)[0].status == "accepted"
    assert balance(ledger, "2300") == 0
    assert balances(ledger)["1010"] == -94000

    poll_connection(ledger.engine, connection)  # the poll sees the same payment again
    work(ledger)
    assert balance(ledger, "6450") == 90000


def test_a_cancelled_payment_reverses_what_it_posted(ledger, connection, emulator):
    alan = control(emulator, "contractors", first_name="Alan", last_name="Turing",
                   department="Engineering", hourly_rate="80.00")
    payment = control(emulator, "contractor_payments", contractor_uuid=alan["uuid"],
                      date="2026-03-10", hours="3")
    kept = control(emulator, "contractor_payments", contractor_uuid=alan["uuid"],
                   date="2026-03-11", hours="1")
    work(ledger)
    assert balances(ledger)["6450"] == 32000
    control(emulator, f"contractor_payments/{payment['uuid']}/cancel")
    work(ledger)
    assert balances(ledger)["6450"] == minor(kept["wage_total"]) == 8000
    poll_connection(ledger.engine, connection)  # the cancelled one is no longer listed
    work(ledger)
    assert balances(ledger)["6450"] == 8000
