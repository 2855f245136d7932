"""HubSpot webhooks through the gateway and the worker to stored documents."""

from __future__ import annotations

from tests.connectors.hubspot.conftest import connect
from tests.connectors.hubspot.helpers import current, inbox_rows, make_due, work


def test_deal_webhooks_become_deal_and_contact_documents(ledger, pushing_hubspot):
    hub = pushing_hubspot
    connect(ledger, hub)
    deal_id = hub.deal()
    assert set(hub.portal.deliveries) == {202}
    work(ledger)
    deal = current(ledger, "deal")[deal_id]
    assert (deal["name"], deal["status"], deal["amount"], deal["stage"]) == (
        "Acme renewal", "open", "1250.00", "Contract Sent")
    assert [line["description"] for line in deal["lines"]] == ["Licence", "Onboarding"]
    assert deal["payment_terms"]["net_days"] == 30
    contacts = current(ledger, "contact")
    company_id = deal["company"]["external_id"]
    assert contacts[company_id]["name"] == "Acme Corp"
    (person,) = (c for c in contacts.values() if c["is_person"])
    assert person["name"] == "Ada Lovelace" and person["company"]["external_id"] == company_id
    statuses = {row.object_type: row.status for row in inbox_rows(ledger)}
    assert statuses["line_item"] == "ignored" and statuses["deal"] == "posted"


def test_a_deal_won_then_moved_back_is_open_again(ledger, pushing_hubspot):
    hub = pushing_hubspot
    connect(ledger, hub)
    deal_id = hub.deal()
    hub.move(deal_id, "closedwon")
    work(ledger)
    assert current(ledger, "deal")[deal_id]["status"] == "won"
    assert current(ledger, "invoice")[deal_id]["total"] == "1250.00"
    hub.move(deal_id, "contractsent")
    work(ledger)
    assert current(ledger, "deal")[deal_id]["status"] == "open"
    assert current(ledger, "credit_note")[deal_id]["total"] == "1250.00"  # the default policy
    hub.move(deal_id, "closedlost")
    work(ledger)
    assert current(ledger, "deal")[deal_id]["status"] == "lost"


def test_v1_v2_and_v3_deliveries_are_accepted_and_a_redelivery_stored_once(
        ledger, pushing_hubspot):
    hub = pushing_hubspot
    connect(ledger, hub)
    for version in ("v1", "v2"):
        hub.control("POST", "/webhooks", {"signature_version": version})
        hub.create("companies", name=f"Signed {version}")
    hub.control("POST", "/webhooks", {"signature_version": "v3"})
    company = hub.create("companies", name="Globex")
    event = hub.portal.event("companies", "propertyChange", company, "name", "Globex")
    hub.portal.send([event])
    hub.portal.send([event])
    assert hub.portal.deliveries == [202, 202, 202, 202, 200]
    work(ledger)
    assert current(ledger, "contact")[f"company:{company}"]["name"] == "Globex"


def test_a_wrong_signature_is_refused_and_nothing_stored(ledger, pushing_hubspot):
    connect(ledger, pushing_hubspot, client_secret="another-apps-secret")
    pushing_hubspot.deal()
    assert set(pushing_hubspot.portal.deliveries) == {401}
    assert inbox_rows(ledger) == []


def test_a_rate_limited_fetch_is_retried_by_the_worker(ledger, pushing_hubspot):
    hub = pushing_hubspot
    connect(ledger, hub, max_rate_limit_wait=0)
    company = hub.create("companies", name="Initech")
    hub.control("POST", "/rate-limit", {"count": 1})
    work(ledger)
    (row,) = inbox_rows(ledger)
    assert row.status == "failed" and "HTTP 429" in row.last_error
    assert "ten_secondly_rolling limit" in row.last_error
    make_due(ledger)
    work(ledger)
    assert inbox_rows(ledger)[0].status == "posted"
    assert current(ledger, "contact")[f"company:{company}"]["name"] == "Initech"
