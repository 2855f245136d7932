"""The emulated company on the wire: OAuth grants, queries, CDC, saves and faults."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import httpx
import pytest

from ledgerbridge.connectors.quickbooks.company import parse_query
from ledgerbridge.connectors.quickbooks.emulator import CLIENT_ID, REALM_ID
from ledgerbridge.connectors.quickbooks.wire import dumps, fault_of, loads
from ledgerbridge.sync.errors import RetriableError
from tests.conftest import SHARED
from tests.connectors.quickbooks.conftest import CLIENT_SECRET, connector_for, emulated

RESPONSES = SHARED / "specs" / "quickbooks" / "responses"


def _grant(qbo, **form) -> httpx.Response:
    return qbo.http.post(f"{qbo.url}/oauth2/v1/tokens/bearer", data=form,
                         auth=(CLIENT_ID, CLIENT_SECRET))


def _token(qbo) -> str:
    return _grant(qbo, grant_type="authorization_code",
                  code=qbo.control("/codes")["code"]).json()["access_token"]


class Api:
    """Calls to the company's v3 API with a bearer token."""

    def __init__(self, qbo, token: str) -> None:
        self.qbo, self.base = qbo, f"{qbo.url}/v3/company/{REALM_ID}"
        self.headers = {"authorization": f"Bearer {token}"}

    def get(self, path: str, **params) -> httpx.Response:
        return self.qbo.http.get(self.base + path, params=params, headers=self.headers)

    def post(self, path: str, body: dict, **params) -> httpx.Response:
        return self.qbo.http.post(self.base + path, params=params, content=dumps(body),
                                  headers=self.headers)


@pytest.fixture
def api(qbo) -> Api:
    return Api(qbo, _token(qbo))


def test_codes_and_refresh_tokens_are_single_use_and_rotate(qbo):
    code = qbo.control("/codes")["code"]
    first = _grant(qbo, grant_type="authorization_code", code=code).json()
    assert first["token_type"] == "bearer" and first["expires_in"] == 3600
    assert _grant(qbo, grant_type="authorization_code", code=code).status_code == 400
    second = _grant(qbo, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.json()["refresh_token"] != first["refresh_token"]
    spent = _grant(qbo, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert (spent.status_code, spent.json()) == (400, {"error": "invalid_grant"})
    wrong_client = qbo.http.post(f"{qbo.url}/oauth2/v1/tokens/bearer",
                                 data={"grant_type": "refresh_token"}, auth=(CLIENT_ID, "no"))
    assert wrong_client.status_code == 401


def test_unauthenticated_calls_get_an_authentication_fault(qbo, api):
    qbo.control("/expire")
    answer = api.get("/query", query="SELECT * FROM Invoice")
    assert answer.status_code == 401
    assert fault_of(answer.json()).kind == "AUTHENTICATION"


def test_query_pages_and_filters_by_last_updated_time(qbo, api):
    made = [qbo.customer(f"Customer {n}") for n in range(5)]
    page = api.get("/query", query="SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 2").json()
    assert page["QueryResponse"]["startPosition"] == 1
    assert [c["Id"] for c in page["QueryResponse"]["Customer"]] == [m["Id"] for m in made[:2]]
    since = made[2]["MetaData"]["LastUpdatedTime"]
    later = api.get("/query", query=f"SELECT * FROM Customer WHERE MetaData.LastUpdatedTime "
                                    f"> '{since}' ORDERBY MetaData.LastUpdatedTime").json()
    assert [c["DisplayName"] for c in later["QueryResponse"]["Customer"]] == [
        "Customer 3", "Customer 4"]
    empty = api.get("/query", query="SELECT * FROM Customer STARTPOSITION 9").json()
    assert empty["QueryResponse"] == {}
    count = api.post("/query", {}, query="SELECT COUNT(*) FROM Customer").json()
    assert count["QueryResponse"] == {"totalCount": 5}
    bad = api.get("/query", query="SELECT * FROM Nothing")
    assert bad.status_code == 400 and fault_of(bad.json()).code == "4000"


def test_cdc_answers_each_entity_changed_since(qbo, api):
    customer = qbo.customer()
    invoice = qbo.invoice(customer["Id"], "10.00")
    since = customer["MetaData"]["LastUpdatedTime"]
    body = api.get("/cdc", entities="Invoice,Payment,Customer", changedSince=since).json()
    (cdc,) = body["CDCResponse"]
    invoices, payments, customers = cdc["QueryResponse"]
    assert [i["Id"] for i in invoices["Invoice"]] == [invoice["Id"]]
    assert payments == {} and customers == {}


def test_amounts_are_exact_and_totals_computed(qbo, api):
    invoice = qbo.invoice(qbo.customer()["Id"], "0.10", "0.20")
    read = loads(api.get(f"/invoice/{invoice['Id']}").content)["Invoice"]
    assert read["TotalAmt"] == Decimal("0.30") and read["Balance"] == Decimal("0.30")


def test_a_stale_sync_token_is_refused_with_5010(qbo, api):
    customer = qbo.customer()
    qbo.save("Customer", Id=customer["Id"], SyncToken="0", sparse=True, DisplayName="Renamed")
    stale = api.post("/customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                   "DisplayName": "Mine"})
    fault = fault_of(stale.json())
    assert (stale.status_code, fault.code, fault.message) == (400, "5010", "Stale Object Error")
    fresh = api.post("/customer", {"Id": customer["Id"], "SyncToken": "1", "sparse": True,
                                   "DisplayName": "Mine"})
    assert fresh.json()["Customer"]["SyncToken"] == "2"


def test_the_same_requestid_gets_the_same_answer(qbo, api):
    body = {"DisplayName": "Once"}
    first = api.post("/customer", body, requestid="r-1").json()
    again = api.post("/customer", body, requestid="r-1").json()
    assert first == again
    assert len(qbo.company.records["Customer"]) == 1


def test_throttling_answers_429_with_a_fault(qbo, api):
    qbo.control("/faults", {"throttle": 1})
    throttled = api.get("/query", query="SELECT * FROM Invoice")
    assert throttled.status_code == 429 and fault_of(throttled.json()).code == "3001"
    assert api.get("/query", query="SELECT * FROM Invoice").status_code == 200


@pytest.mark.skipif(not RESPONSES.is_dir(), reason="shared QuickBooks samples not present")
@pytest.mark.parametrize("sample", ["throttle_exceeded_error.xml", "generic_error.xml"])
def test_fault_bodies_have_the_shape_of_intuits(qbo, api, sample):
    root = ET.parse(RESPONSES / sample).getroot()
    namespace = "{http://schema.intuit.com/finance/v3}"
    error = root.find(f"{namespace}Fault/{namespace}Error")
    ours = api.get("/query", query="SELECT * FROM Nothing").json()["Fault"]
    assert set(root.find(f"{namespace}Fault").attrib) == {"type"} <= set(ours)
    assert {child.tag.removeprefix(namespace) for child in error} | set(error.attrib) <= set(
        ours["Error"][0])


def test_query_subset_parses_what_integrations_send():
    query = parse_query("SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > "
                        "'2026-01-01T00:00:00+00:00' AND DocNumber = 'O\\'Neil' "
                        "ORDERBY MetaData.LastUpdatedTime STARTPOSITION 101 MAXRESULTS 100")
    assert query.conditions == (("MetaData.LastUpdatedTime", ">", "2026-01-01T00:00:00+00:00"),
                                ("DocNumber", "=", "O'Neil"))
    assert (query.start, query.max_results, query.order) == (101, 100,
                                                             "MetaData.LastUpdatedTime")


def test_calls_over_the_minute_limit_are_throttled(local_books):
    with emulated(per_minute=2) as limited:
        connector = connector_for(local_books, limited)
        connector.client.query("SELECT * FROM Customer")
        connector.client.query("SELECT * FROM Vendor")
        with pytest.raises(RetriableError, match="HTTP 429"):
            connector.client.query("SELECT * FROM Account")
        assert limited.company.admitted == 2  # the refused call is not counted
