"""Polling opportunities from the emulated org through the scheduler and the worker."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from ledgerbridge.connectors.registry import build
from ledgerbridge.store.tables import documents, inbox
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.errors import FatalError, RetriableError
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.sync.worker import Worker
from tests.connectors.salesforce.conftest import REFRESH_TOKEN, settings

T0 = dt.datetime(2026, 11, 20, 9, 30, 15, 250000, tzinfo=dt.UTC)


def poll(ledger, record):
    """Poll the opportunities stream only; its result."""
    (result,) = poll_connection(ledger.engine, record, streams=["opportunities"])
    return result


def count(ledger, table, *where):
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_pages_follow_the_query_batches(org, connector):
    account = org.create("Account", Name="Acme")
    ids = [org.opportunity(f"Deal {n}", account=account) for n in range(5)]
    pages = list(connector.read(connector.stream("opportunities"), None))
    assert [len(p.events) for p in pages] == [2, 2, 1]
    assert [p.more for p in pages] == [True, True, False]
    assert [e.object_id for p in pages for e in p.events] == ids
    assert pages[-1].cursor > pages[0].cursor


def test_amounts_cross_the_wire_exactly(org, connector):
    org.opportunity("Big", lines=(("3", "98765432109876.57"),))
    (page,) = connector.read(connector.stream("opportunities"), None)
    (event,) = page.events
    assert b'"Amount":296296296329629.71' in event.body  # a float would have rounded it
    (deal,) = connector.normalize(event)
    assert deal.amount.minor == 29629629632962971


def test_a_second_poll_stores_nothing_new(ledger, org, connection):
    account = org.create("Account", Name="Acme")
    for n in range(5):
        org.opportunity(f"Deal {n}", account=account)
    first = poll(ledger, connection)
    assert (first.read, first.stored, first.error) == (5, 5, None)
    second = poll(ledger, connection)
    assert (second.stored, second.error) == (0, None)
    assert second.cursor == first.cursor
    assert count(ledger, inbox) == 5


def test_an_edited_opportunity_comes_back_once(ledger, org, connection):
    edited = org.opportunity("Edited")
    org.opportunity("Untouched")
    poll(ledger, connection)
    org.change("Opportunity", edited, StageName="Negotiation/Review")
    result = poll(ledger, connection)
    assert result.stored == 1
    again = poll(ledger, connection)
    assert again.stored == 0
    assert count(ledger, inbox, inbox.c.object_id == edited) == 2


def test_ties_at_the_cursor_are_read_again_and_dropped(ledger, org, org_url):
    tied = add_connection(ledger.engine, "tied", "salesforce",
                          settings=settings(org_url, lookback_seconds=0))
    org.freeze(T0)
    org.opportunity("First")
    first = poll(ledger, tied)
    assert dt.datetime.fromisoformat(first.cursor) == T0
    late = org.opportunity("Committed late, same SystemModstamp")
    second = poll(ledger, tied)
    assert (second.read, second.stored) == (2, 1)
    assert count(ledger, inbox, inbox.c.object_id == late) == 1


def test_worker_stores_the_deal_and_its_account(ledger, org, connection):
    account = org.create("Account", Name="Acme", BillingCity="Lyon", BillingCountry="FR")
    opportunity = org.opportunity("Renewal", account=account, lines=(("2", "600.25"),))
    poll_connection(ledger.engine, connection)
    Worker(ledger.engine).run_until_idle()
    with ledger.engine.connect() as conn:
        rows = {r.type: json.loads(r.data) for r in conn.execute(select(documents))}
    assert rows["deal"]["source"]["external_id"] == opportunity
    assert rows["deal"]["amount"] == "1200.50"
    assert rows["deal"]["company"] == {"external_id": account, "name": "Acme", "id": None}
    assert rows["contact"]["source"]["external_id"] == account
    assert rows["contact"]["addresses"][0]["country"] == "FR"


def test_a_won_opportunity_becomes_an_invoice_with_its_terms(ledger, org, org_url):
    crm = add_connection(ledger.engine, "won", "salesforce",
                         settings=settings(org_url, payment_terms_field="Payment_Terms__c"))
    account = org.create("Account", Name="Acme")
    opportunity = org.opportunity("Renewal", account=account, lines=(("2", "625.00"),),
                                  Payment_Terms__c="Net 15")
    org.close(opportunity, won=True)
    poll(ledger, crm)
    Worker(ledger.engine).run_until_idle()
    with ledger.engine.connect() as conn:
        (data,) = conn.execute(select(documents.c.data).where(documents.c.type == "invoice"))
    invoice = json.loads(data[0])
    assert invoice["source"]["external_id"] == opportunity
    assert invoice["customer"]["external_id"] == account
    assert invoice["total"] == "1250.00" and invoice["payment_terms"]["net_days"] == 15


@pytest.mark.parametrize("flow", [{}, {"refresh_token": REFRESH_TOKEN}])
def test_an_expired_session_gets_a_new_token(org, org_url, flow):
    org.opportunity("Before")
    connector = build("salesforce", "crm", settings(org_url, **flow))
    stream = connector.stream("opportunities")
    assert len(list(connector.read(stream, None))[0].events) == 1
    org.expire_sessions()
    org.opportunity("After")
    assert sum(len(p.events) for p in connector.read(stream, None)) == 2


def test_request_limit_is_retriable_and_keeps_the_cursor(ledger, org, connection):
    org.opportunity("Deal")
    first = poll(ledger, connection)
    org.limit(0)
    limited = poll(ledger, connection)
    assert "REQUEST_LIMIT_EXCEEDED" in limited.error
    assert limited.cursor == first.cursor
    connector = connection.connector()
    with pytest.raises(RetriableError, match="REQUEST_LIMIT_EXCEEDED"):
        list(connector.read(connector.stream("opportunities"), None))


def test_bad_credentials_are_fatal_and_secret_free(org_url):
    connector = build("salesforce", "crm", settings(org_url, client_secret="not-it"))
    with pytest.raises(FatalError, match="invalid_client") as refused:
        list(connector.read(connector.stream("opportunities"), None))
    assert "not-it" not in str(refused.value)


def test_an_account_edited_alone_comes_through_the_accounts_stream(ledger, org, connection):
    account = org.create("Account", Name="Acme")
    org.opportunity("Renewal", account=account)
    results = {r.stream: r for r in poll_connection(ledger.engine, connection)}
    assert (results["opportunities"].stored, results["accounts"].stored) == (1, 1)
    org.change("Account", account, Name="Acme Holdings")
    results = {r.stream: r for r in poll_connection(ledger.engine, connection)}
    assert (results["opportunities"].stored, results["accounts"].stored) == (0, 1)
    Worker(ledger.engine).run_until_idle()
    with ledger.engine.connect() as conn:
        names = [json.loads(data)["name"] for (data,) in conn.execute(
            select(documents.c.data).where(documents.c.type == "contact",
                                           documents.c.status == "current"))]
    assert names == ["Acme Holdings"]
