"""The Xero emulator over HTTP: answers in the spec's shapes, paging, filters, limits."""

from __future__ import annotations

import json

import pytest

from ledgerbridge.connectors.xero.wire import parse_stamp
from ledgerbridge.sandbox.emulators import SandboxOptions, emulator_app
from tests.connectors.xero.conftest import CLIENT_ID, CLIENT_SECRET
from tests.connectors.xero.spec import answer_schema, problems


@pytest.fixture
def token(xero) -> str:
    return xero.token()


def _some_of_everything(xero) -> None:
    invoice = xero.invoice(Reference="ORD-1")
    xero.invoice(Type="ACCPAY", Contact={"Name": "Paper Supplies"},
                 LineItems=[{"Description": "Paper", "Quantity": 3, "UnitAmount": "9.99",
                             "AccountCode": "429"}])
    xero.user("Payments", Invoice={"InvoiceID": invoice["InvoiceID"]},
              Account={"Code": "090"}, Date="2026-11-10", Amount="100.00", Reference="dep-1")
    xero.user("CreditNotes", Type="ACCRECCREDIT", Contact={"Name": "Acme Ltd"},
              Status="AUTHORISED", LineItems=[{"Description": "Refund", "UnitAmount": "20"}])
    xero.user("ManualJournals", Narration="Accrual", Date="2026-11-30",
              JournalLines=[{"AccountCode": "429", "LineAmount": "50.00"},
                            {"AccountCode": "800", "LineAmount": "-50.00"}])
    xero.user("BankTransactions", Type="SPEND", Contact={"Name": "Cafe"},
              BankAccount={"Code": "090"},
              LineItems=[{"Description": "Coffee", "UnitAmount": "4.50"}])


COLLECTIONS = ("Invoices", "Contacts", "Payments", "CreditNotes", "ManualJournals", "TaxRates",
               "Accounts", "BankTransactions")


def test_every_list_answer_matches_the_spec(xero, token):
    _some_of_everything(xero)
    for collection in COLLECTIONS:
        answer = xero.api("GET", f"/{collection}", token, params={"page": 1})
        assert answer.status_code == 200
        body = answer.json()
        assert body[collection], f"{collection} is empty"
        assert problems(answer_schema(f"/{collection}"), body) == [], collection


def test_a_refused_invoice_gets_xeros_validation_error(xero, token):
    answer = xero.api("PUT", "/Invoices", token,
                      json={"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Acme"}}]})
    assert answer.status_code == 400
    body = answer.json()
    assert problems("Error", body) == []
    assert body["Type"] == "ValidationException"
    (element,) = body["Elements"]
    assert element["ValidationErrors"] == [{"Message": "You must specify at least one line "
                                                       "item"}]


def test_created_records_match_the_spec_and_amounts_are_exact(xero, token):
    answer = xero.api("PUT", "/Invoices", token, json={"Invoices": [{
        "Type": "ACCREC", "Contact": {"Name": "Acme"}, "Status": "AUTHORISED",
        "LineItems": [{"Description": "Widget", "Quantity": 3, "UnitAmount": 0.1,
                       "DiscountRate": 10}]}]})
    assert answer.status_code == 200
    assert problems(answer_schema("/Invoices", "put"), answer.json()) == []
    assert '"LineAmount": 0.27' in answer.text and '"Total": 0.31' in answer.text


def test_pages_hold_a_hundred_and_if_modified_since_reads_only_later_changes(xero, token):
    for n in range(150):
        xero.org.save_contact({"Name": f"Customer {n:03d}", "IsCustomer": True})
    first = xero.api("GET", "/Contacts", token, params={"page": 1}).json()
    second = xero.api("GET", "/Contacts", token, params={"page": 2}).json()
    assert (len(first["Contacts"]), len(second["Contacts"])) == (100, 50)
    assert first["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 2,
                                   "itemCount": 150}
    ordered = xero.api("GET", "/Contacts", token,
                       params={"order": "UpdatedDateUTC DESC"}).json()["Contacts"]
    cut = parse_stamp(ordered[29]["UpdatedDateUTC"]).strftime("%Y-%m-%dT%H:%M:%S.%f")
    later = xero.api("GET", "/Contacts", token, headers={"if-modified-since": cut}).json()
    assert {c["Name"] for c in later["Contacts"]} == {c["Name"] for c in ordered[:29]}


def test_where_filters_on_reference_type_and_contact(xero, token):
    first = xero.invoice(Reference="ORD-1")
    xero.invoice(Reference="ORD-2")
    xero.invoice(Type="ACCPAY", Reference="ORD-1", Contact={"Name": "Supplier"})
    where = 'Type=="ACCREC" AND Reference=="ORD-1"'
    found = xero.api("GET", "/Invoices", token, params={"where": where}).json()["Invoices"]
    assert [i["InvoiceID"] for i in found] == [first["InvoiceID"]]
    contact = first["Contact"]["ContactID"]
    by_contact = xero.api("GET", "/Invoices", token, params={
        "where": f'Contact.ContactID==Guid("{contact}")'}).json()["Invoices"]
    assert len(by_contact) == 2
    bad = xero.api("GET", "/Invoices", token, params={"where": "Reference ~ 1"})
    assert bad.status_code == 400


def test_the_same_idempotency_key_gets_the_same_answer_and_creates_once(xero, token):
    body = {"Type": "ACCREC", "Contact": {"Name": "Acme"}, "Reference": "R-1",
            "LineItems": [{"Description": "One", "UnitAmount": "10.00"}]}
    answers = [xero.api("PUT", "/Invoices", token, json=body,
                        headers={"idempotency-key": "key-1"}) for _ in range(3)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(xero.org.records["Invoices"]) == 1
    xero.api("PUT", "/Invoices", token, json=body, headers={"idempotency-key": "key-2"})
    assert len(xero.org.records["Invoices"]) == 2


def test_the_minute_and_day_limits_answer_429_with_the_wait_and_the_problem(xero, token):
    xero.control("/limits", minute=3, day=100)
    answers = [xero.api("GET", "/Invoices", token) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[2].headers["x-minlimit-remaining"] == "0"
    refused = answers[3]
    assert refused.headers["x-rate-limit-problem"] == "minute"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    xero.control("/limits", minute=60, day=3)
    day = xero.api("GET", "/Invoices", token)
    assert (day.status_code, day.headers["x-rate-limit-problem"]) == (429, "day")
    assert int(day.headers["retry-after"]) <= 86400


def test_refresh_tokens_rotate_and_connections_list_the_tenants(xero):
    refresh = xero.control("/consent")["refresh_token"]
    form = {"grant_type": "refresh_token", "refresh_token": refresh}
    first = xero.http.post(f"{xero.url}/connect/token", auth=(CLIENT_ID, CLIENT_SECRET),
                           data=form)
    assert first.status_code == 200 and first.json()["refresh_token"] != refresh
    again = xero.http.post(f"{xero.url}/connect/token", auth=(CLIENT_ID, CLIENT_SECRET),
                           data=form)
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})
    wrong = xero.http.post(f"{xero.url}/connect/token", auth=(CLIENT_ID, "nope"), data=form)
    assert wrong.json() == {"error": "invalid_client"}
    access = first.json()["access_token"]
    tenants = xero.http.get(f"{xero.url}/connections",
                            headers={"authorization": f"Bearer {access}"}).json()
    assert [(t["tenantId"], t["tenantType"]) for t in tenants] == [
        (xero.org.tenant_id, "ORGANISATION")]
    assert xero.api("GET", "/Invoices", access, headers={"xero-tenant-id": "x"}
                    ).status_code == 403
    assert xero.api("GET", "/Invoices", "not-a-token").status_code == 401


def test_an_authorization_code_is_exchanged_once(xero):
    redirect = xero.http.get(f"{xero.url}/identity/connect/authorize", params={
        "client_id": CLIENT_ID, "redirect_uri": "https://app.example/cb", "state": "s1",
        "response_type": "code", "scope": "accounting.transactions offline_access"})
    assert redirect.status_code == 307
    code = redirect.headers["location"].split("code=")[1].split("&")[0]
    form = {"grant_type": "authorization_code", "code": code}
    tokens = xero.http.post(f"{xero.url}/connect/token", data={
        **form, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert tokens.status_code == 200 and json.loads(tokens.content)["expires_in"] == 1800
    reused = xero.http.post(f"{xero.url}/connect/token", data={
        **form, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert reused.status_code == 400


def test_the_sandbox_serves_the_emulator():
    app = emulator_app("xero", SandboxOptions(api_key="sandbox-secret"))
    assert app.state.xero.identity.client_secret == "sandbox-secret"


def test_post_updates_and_voids_while_put_only_creates(xero, token):
    invoice = xero.invoice()
    path = f"/Invoices/{invoice['InvoiceID']}"
    changed = xero.api("POST", path, token, json={"Reference": "PO-9"}).json()["Invoices"][0]
    assert changed["Reference"] == "PO-9"
    assert parse_stamp(changed["UpdatedDateUTC"]) > parse_stamp(invoice["UpdatedDateUTC"])
    assert xero.api("PUT", "/Invoices", token, json={"InvoiceID": invoice["InvoiceID"]}
                    ).status_code == 400
    deleted = xero.api("POST", path, token, json={"Status": "DELETED"})
    assert deleted.status_code == 400 and "only be VOIDED" in deleted.text
    voided = xero.api("POST", path, token, json={"Status": "VOIDED"}).json()["Invoices"][0]
    assert (voided["Status"], voided["AmountDue"]) == ("VOIDED", 0)
    again = xero.api("POST", path, token, json={"Reference": "late"})
    assert again.status_code == 400 and problems("Error", again.json()) == []
