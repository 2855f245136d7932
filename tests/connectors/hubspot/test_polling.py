"""Polling the deal search: paging, the cursor, the result cap, OAuth and rate limits."""

from __future__ import annotations

import json

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.connectors.hubspot.client import HubSpotClient, OAuthCredentials
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.hubspot.conftest import CLIENT_SECRET, TOKEN, connect, hubspot_connector
from tests.connectors.hubspot.helpers import current, work


def stamp(hub, deal_id):
    return hub.portal.records["deals"][deal_id]["properties"]["hs_lastmodifieddate"]


def test_poll_pages_through_deals_and_keeps_the_cursor(ledger, hubspot):
    record = connect(ledger, hubspot, page_size=2)
    ids = [hubspot.deal(dealname=f"Deal {n}") for n in range(3)]
    ids += [hubspot.create("deals", dealname="Bare", dealstage="qualifiedtobuy")]
    (result,) = poll_connection(ledger.engine, record)
    assert (result.read, result.stored, result.error) == (4, 4, None)
    assert result.cursor == stamp(hubspot, ids[-1])
    work(ledger)
    deals = current(ledger, "deal")
    assert set(deals) == set(ids)
    assert len(deals[ids[0]]["lines"]) == 2 and deals[ids[0]]["company"]["name"] == "Acme Corp"
    assert deals[ids[-1]]["status"] == "open" and deals[ids[-1]]["lines"] == []

    hubspot.move(ids[1], "closedwon")
    (again,) = poll_connection(ledger.engine, record)
    assert again.read == 4  # the lookback re-reads; the inbox keeps only the new version
    assert again.stored == 1 and again.cursor == stamp(hubspot, ids[1])
    work(ledger)
    assert current(ledger, "deal")[ids[1]]["status"] == "won"
    assert current(ledger, "invoice")[ids[1]]["total"] == "1250.00"


def test_search_restarts_from_the_last_stamp_at_the_result_cap(small_hubspot):
    connector = hubspot_connector(small_hubspot, page_size=2, search_cap=5)
    ids = [small_hubspot.create("deals", dealname=f"Deal {n}", dealstage="qualifiedtobuy")
           for n in range(12)]
    pages = list(connector.read(connector.stream("deals"), None))
    read = [e.object_id for page in pages for e in page.events]
    assert sorted(set(read), key=int) == ids
    assert len(read) == 14  # the two deals at the restarts are read twice
    assert [p.more for p in pages][-1] is False and all(p.more for p in pages[:-1])
    assert pages[-1].cursor == stamp(small_hubspot, ids[-1])
    searches = [p for _, p in small_hubspot.portal.requests if p.endswith("/search")]
    assert len(searches) == len(pages)


def test_a_rate_limited_poll_keeps_its_cursor_and_resumes(ledger, hubspot):
    record = connect(ledger, hubspot, max_rate_limit_wait=0)
    first = hubspot.create("deals", dealname="First", dealstage="qualifiedtobuy")
    poll_connection(ledger.engine, record)
    hubspot.create("deals", dealname="Second", dealstage="qualifiedtobuy")
    hubspot.control("POST", "/rate-limit", {"count": 1})
    (limited,) = poll_connection(ledger.engine, record)
    assert "HTTP 429" in limited.error and limited.cursor == stamp(hubspot, first)
    (resumed,) = poll_connection(ledger.engine, record)
    assert resumed.error is None and resumed.stored == 1


def test_the_client_waits_out_a_short_rate_limit(hubspot):
    waits = []
    client = HubSpotClient(hubspot.url, connection="hs", access_token=TOKEN,
                           sleep=waits.append)
    hubspot.control("POST", "/rate-limit", {"count": 2})
    assert client.pipelines("deals")[0]["id"] == "default"
    assert waits == [1.0, 1.0]


def test_oauth_refreshes_an_expired_token_and_keeps_the_rotated_one(ledger, hubspot):
    grant = hubspot.control("POST", "/oauth/grant")
    record = connect(ledger, hubspot, access_token=None, client_id=grant["client_id"],
                     refresh_token=grant["refresh_token"])
    hubspot.create("deals", dealname="First", dealstage="qualifiedtobuy")
    assert poll_connection(ledger.engine, record)[0].stored == 1
    hubspot.control("POST", "/oauth/expire")
    hubspot.create("deals", dealname="Second", dealstage="qualifiedtobuy")
    (result,) = poll_connection(ledger.engine, record)  # a new connector, same session
    assert result.error is None and result.stored == 1
    oauth = OAuthCredentials.shared("hs", grant["client_id"], CLIENT_SECRET,
                                    grant["refresh_token"])
    assert oauth.refresh_token != grant["refresh_token"]
    assert hubspot.portal.refresh_tokens == {oauth.refresh_token}
    assert [p for _, p in hubspot.portal.requests].count("/crm/v3/objects/deals/search") == 3


def test_the_primary_company_is_the_deals_company_on_both_read_paths(hubspot):
    connector = hubspot_connector(hubspot)
    subsidiary = hubspot.create("companies", name="Acme Subsidiary")
    parent = hubspot.create("companies", name="Acme Parent")
    deal_id = hubspot.create("deals", {"companies": [parent, subsidiary]}, dealname="Two",
                             dealstage="closedwon")
    (polled,) = connector.read(connector.stream("deals"), None)
    fetched = {"eventId": 1, "subscriptionType": "deal.creation", "objectId": int(deal_id)}
    for event in (polled.events[0], RawEvent(json.dumps(fetched).encode())):
        *contacts, deal = connector.normalize(event)
        assert deal.company.name == "Acme Parent"
        assert {c.name for c in contacts} == {"Acme Parent", "Acme Subsidiary"}
