"""The emulator answers HubSpot's official Python SDK as HubSpot does."""

from __future__ import annotations

import hubspot
import pytest
from hubspot.crm.deals import ApiException, PublicObjectSearchRequest, SimplePublicObjectInput

from tests.connectors.hubspot.conftest import TOKEN


@pytest.fixture
def sdk(hubspot):
    """The official client, pointed at the emulator."""
    return hubspot_client(hubspot.url, TOKEN)


def hubspot_client(url, token):
    return hubspot.HubSpot(access_token=token, host=url)


def test_read_a_deal_with_its_associations(hubspot, sdk):
    deal_id = hubspot.deal()
    deal = sdk.crm.deals.basic_api.get_by_id(
        deal_id, properties=["dealname", "amount", "dealstage"],
        associations=["line_items", "companies", "contacts"])
    assert deal.id == deal_id
    assert deal.properties["dealname"] == "Acme renewal"
    assert deal.properties["amount"] == "1250.00"
    assert deal.properties["hs_lastmodifieddate"].endswith("Z")
    assert len(deal.associations["line_items"].results) == 2
    company, also = deal.associations["companies"].results  # the primary, and unlabeled
    assert (company.type, also.type) == ("deal_to_company", "deal_to_company_unlabeled")
    assert company.id == also.id
    found = sdk.crm.companies.batch_api.read(
        {"inputs": [{"id": company.id}], "properties": ["name"]})
    assert found.results[0].properties["name"] == "Acme Corp"
    items = sdk.crm.line_items.basic_api.get_page(limit=1, properties=["name", "price"])
    assert items.results[0].properties["name"] == "Licence" and items.paging.next.after
    links = sdk.crm.associations.v4.basic_api.get_page("deals", deal_id, "contacts")
    assert [str(link.to_object_id) for link in links.results] == [
        c.id for c in deal.associations["contacts"].results]


def test_search_deals_by_modification_time_with_paging(hubspot, sdk):
    ids = [hubspot.create("deals", dealname=f"Deal {n}", dealstage="qualifiedtobuy")
           for n in range(5)]
    first = hubspot.portal.records["deals"][ids[2]]["properties"]["hs_lastmodifieddate"]
    request = PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "hs_lastmodifieddate",
                                     "operator": "GTE", "value": first}]}],
        sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        properties=["dealname"], limit=2)
    page = sdk.crm.deals.search_api.do_search(public_object_search_request=request)
    assert page.total == 3
    assert [d.id for d in page.results] == ids[2:4]
    request.after = page.paging.next.after
    rest = sdk.crm.deals.search_api.do_search(public_object_search_request=request)
    assert [d.id for d in rest.results] == ids[4:]
    assert rest.paging is None


def test_update_a_deal_and_refuse_unknown_properties(hubspot, sdk):
    deal_id = hubspot.deal()
    sdk.crm.deals.basic_api.update(deal_id, SimplePublicObjectInput(
        properties={"invoice_status": "Paid", "invoice_number": "INV-9"}))
    stored = hubspot.portal.records["deals"][deal_id]["properties"]
    assert (stored["invoice_status"], stored["invoice_number"]) == ("Paid", "INV-9")
    with pytest.raises(ApiException) as raised:
        sdk.crm.deals.basic_api.update(deal_id, SimplePublicObjectInput(
            properties={"no_such_property": "x"}))
    assert raised.value.status == 400
    assert "PROPERTY_DOESNT_EXIST" in raised.value.body


def test_wrong_token_and_rate_limit_answer_in_hubspots_format(hubspot):
    with pytest.raises(ApiException) as raised:
        hubspot_client(hubspot.url, "wrong").crm.deals.basic_api.get_by_id("1")
    assert raised.value.status == 401 and "INVALID_AUTHENTICATION" in raised.value.body
    hubspot.control("POST", "/rate-limit", {"count": 1})
    with pytest.raises(ApiException) as raised:
        hubspot_client(hubspot.url, TOKEN).crm.deals.search_api.do_search(
            public_object_search_request=PublicObjectSearchRequest(limit=10))
    assert raised.value.status == 429 and "RATE_LIMIT" in raised.value.body
