"""The emulator as simple-salesforce sees it: the REST API over real HTTP.

simple-salesforce always builds ``https://`` URLs from the instance host; a
requests adapter mounted on the session sends them to the emulator's plain-HTTP
port instead (the session argument is the library's own extension point).
"""

from decimal import Decimal

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.salesforce.emulator import create_emulator, sandbox_app
from ledgerbridge.sandbox.emulators import SandboxOptions
from tests.connectors.salesforce.conftest import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN


class PlainHttp(HTTPAdapter):
    """Sends the https:// requests simple-salesforce builds over plain HTTP."""

    def send(self, request, **kwargs):
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **kwargs)


def token(url, **form):
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, **form}
    return httpx.post(f"{url}/services/oauth2/token", data=data)


def client(url):
    session = requests.Session()
    session.mount("https://", PlainHttp())
    granted = token(url).json()
    return Salesforce(instance_url=granted["instance_url"], session_id=granted["access_token"],
                      session=session, version="60.0", parse_float=Decimal)


@pytest.fixture
def sf(org_url):
    return client(org_url)


def test_token_grants_and_refusals(org_url):
    granted = token(org_url).json()
    assert granted["instance_url"] == org_url and granted["token_type"] == "Bearer"
    assert {"access_token", "issued_at", "signature", "id"} <= granted.keys()
    refreshed = token(org_url, grant_type="refresh_token", refresh_token=REFRESH_TOKEN)
    assert refreshed.status_code == 200
    bad = token(org_url, client_secret="wrong")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    stale = token(org_url, grant_type="refresh_token", refresh_token="old")
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"


def test_query_in_batches_with_exact_amounts(org, sf):
    account = org.create("Account", Name="Acme")
    ids = [org.opportunity(f"Deal {n}", account=account, lines=(("3", "33.33"),))
           for n in range(5)]
    first = sf.query("SELECT Id, Amount, Account.Name FROM Opportunity "
                     "ORDER BY SystemModstamp, Id")
    assert (first["done"], first["totalSize"], len(first["records"])) == (False, 5, 2)
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/query/01g")
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert len(rest["records"]) == 2
    everything = sf.query_all("SELECT Id, Amount, Account.Name FROM Opportunity "
                              "WHERE SystemModstamp >= 2020-01-01T00:00:00Z "
                              "ORDER BY SystemModstamp, Id")["records"]
    assert [r["Id"] for r in everything] == ids
    record = everything[0]
    assert record["Amount"] == Decimal("99.99") and isinstance(record["Amount"], Decimal)
    assert record["Account"]["Name"] == "Acme"
    assert record["attributes"] == {"type": "Opportunity",
                                    "url": f"/services/data/v60.0/sobjects/Opportunity/{ids[0]}"}


def test_in_lists_and_line_item_totals(org, sf):
    one = org.opportunity("One", lines=(("2", "10.00"), ("1", "5.55")))
    org.opportunity("Two")
    items = sf.query_all("SELECT Id, Subtotal, TotalPrice, OpportunityId FROM "
                         f"OpportunityLineItem WHERE OpportunityId IN ('{one}')")["records"]
    assert sorted(r["TotalPrice"] for r in items) == [Decimal("5.55"), Decimal("20.00")]


def test_update_lands_and_refusals_carry_salesforce_codes(org, sf):
    opportunity = org.opportunity("Deal")
    assert sf.Opportunity.update(opportunity, {"Invoice_Status__c": "Paid"}) == 204
    assert sf.Opportunity.get(opportunity)["Invoice_Status__c"] == "Paid"
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.Opportunity.update(opportunity, {"Nope__c": "x"})
    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT Id FROM Opportunity WHERE")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as column:
        sf.query("SELECT Bogus FROM Opportunity")
    assert column.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_expired_session_and_request_limit(org, sf):
    org.limit(1)
    sf.query("SELECT Id FROM Opportunity")
    with pytest.raises(SalesforceRefusedRequest) as limited:
        sf.query("SELECT Id FROM Opportunity")
    assert limited.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    org.limit(None)
    org.expire_sessions()
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Opportunity")


def test_a_configured_request_limit():
    app = create_emulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, request_limit=0)
    with serve_in_thread(app) as url:
        with pytest.raises(SalesforceRefusedRequest, match="REQUEST_LIMIT_EXCEEDED"):
            client(url).query("SELECT Id FROM Opportunity")


def test_closing_sets_the_flags_and_advances_the_stamp(org, sf):
    opportunity = org.opportunity("Deal")
    before = sf.Opportunity.get(opportunity)
    org.close(opportunity, won=False)
    after = sf.Opportunity.get(opportunity)
    assert (after["IsClosed"], after["IsWon"], after["StageName"]) == (True, False, "Closed Lost")
    assert after["SystemModstamp"] > before["SystemModstamp"]


def test_sandbox_org_is_seeded():
    with serve_in_thread(sandbox_app(SandboxOptions(api_key="sk_sandbox"))) as url:
        session = requests.Session()
        session.mount("https://", PlainHttp())
        granted = httpx.post(f"{url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": "ledgerbridge",
            "client_secret": "sk_sandbox"}).json()
        sf = Salesforce(instance_url=url, session_id=granted["access_token"], session=session)
        won = sf.query("SELECT Id FROM Opportunity WHERE IsWon = true")["records"]
        assert len(won) == 2
