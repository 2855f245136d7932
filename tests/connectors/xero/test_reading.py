"""Reading Xero: streams with paging and If-Modified-Since cursors, tenants, tokens, limits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from ledgerbridge.connectors.oauth import TokenStore
from ledgerbridge.connectors.xero.client import RateLimited
from ledgerbridge.connectors.xero.org import Organisation
from ledgerbridge.sync.errors import FatalError
from tests.connectors.xero.conftest import connect, emulated


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """These tests exercise the API client; storage is covered on both databases elsewhere."""
    return sqlite_url


def _records(pages) -> list[dict]:
    return [json.loads(e.body)["record"] for page in pages for e in page.events]


def test_invoices_of_both_types_are_read_page_by_page_and_resumed_from_the_cursor(
        ledger, xero):
    for n in range(130):
        xero.org.save_invoice({"Type": "ACCPAY" if n % 3 == 0 else "ACCREC",
                               "Contact": {"Name": f"Party {n % 7}"}, "Status": "AUTHORISED",
                               "LineItems": [{"Description": "Item", "UnitAmount": n + 1}]})
    connector = connect(ledger, xero)
    stream = dataclasses.replace(connector.stream("invoices"), lookback=dt.timedelta(0))
    pages = list(connector.read(stream, None))
    assert [(len(p.events), p.more) for p in pages] == [(100, True), (30, False)]
    assert pages[0].cursor is None  # moves with the last page only
    records = _records(pages)
    assert {r["Type"] for r in records} == {"ACCREC", "ACCPAY"}
    assert len({r["InvoiceID"] for r in records}) == 130
    newest = max(records, key=lambda r: r["UpdatedDateUTC"])
    assert dt.datetime.fromisoformat(pages[-1].cursor) == \
        dt.datetime.fromtimestamp(int(newest["UpdatedDateUTC"][6:19]) / 1000, dt.UTC)
    event = pages[0].events[0]
    assert (event.object_type, event.object_version) == ("invoice",
                                                         records[0]["UpdatedDateUTC"])

    changed = xero.org.save_invoice({"InvoiceID": records[5]["InvoiceID"],
                                     "Reference": "changed"})
    added = xero.org.save_invoice({"Type": "ACCREC", "Contact": {"Name": "New"},
                                   "LineItems": [{"Description": "x", "UnitAmount": 1}]})
    later = _records(connector.read(stream, pages[-1].cursor))
    assert {r["InvoiceID"] for r in later} == {changed["InvoiceID"], added["InvoiceID"]}


def test_the_lookback_reads_recent_changes_again(ledger, xero):
    xero.invoice()
    connector = connect(ledger, xero)
    stream = connector.stream("invoices")
    first = list(connector.read(stream, None))
    again = list(connector.read(stream, first[-1].cursor))
    assert [e.object_version for p in again for e in p.events] == \
        [e.object_version for p in first for e in p.events]


def test_every_stream_reads_its_collection(ledger, xero):
    invoice = xero.invoice()
    xero.user("Payments", Invoice={"InvoiceID": invoice["InvoiceID"]}, Account={"Code": "090"},
              Amount="50.00")
    xero.user("CreditNotes", Type="ACCRECCREDIT", Contact={"Name": "Acme Ltd"},
              LineItems=[{"Description": "Credit", "UnitAmount": "5"}])
    xero.user("BankTransactions", Type="RECEIVE", Contact={"Name": "Acme Ltd"},
              BankAccount={"Code": "090"}, LineItems=[{"Description": "Cash",
                                                       "UnitAmount": "7"}])
    connector = connect(ledger, xero)
    counts = {s.name: len(_records(connector.read(s, None))) for s in connector.streams}
    assert counts == {"invoices": 1, "payments": 1, "credit_notes": 1, "contacts": 1,
                      "bank_transactions": 1}


def test_the_only_tenant_is_chosen_and_several_need_tenant_id(ledger):
    orgs = (Organisation("North Ltd", seed=1), Organisation("South Ltd", seed=2))
    with emulated(tenants=orgs) as xero:
        orgs[1].save_contact({"Name": "Only in South"})
        connector = connect(ledger, xero, name="both")
        with pytest.raises(FatalError, match="set tenant_id.*North Ltd.*South Ltd"):
            list(connector.read(connector.stream("contacts"), None))
        chosen = connect(ledger, xero, name="south", tenant_id=orgs[1].tenant_id)
        names = [r["Name"] for r in _records(chosen.read(chosen.stream("contacts"), None))]
        assert names == ["Only in South"]


def test_an_expired_token_is_refreshed_and_the_rotated_token_kept(ledger, xero):
    xero.invoice()
    connector = connect(ledger, xero)
    stream = connector.stream("invoices")
    assert len(_records(connector.read(stream, None))) == 1
    store = TokenStore(ledger.engine, connector.connection)
    before = store.load()
    xero.control("/tokens/expire")
    assert len(_records(connector.read(stream, None))) == 1
    after = store.load()
    assert after.refresh_token != before.refresh_token
    assert after.access_token != before.access_token
    secrets = json.dumps(json.loads(ledger.engine.connect().exec_driver_sql(
        "SELECT secrets FROM connections").scalar()))
    assert after.refresh_token not in secrets  # kept encrypted


def test_a_rate_limit_is_retriable_with_xeros_wait(ledger, xero):
    connector = connect(ledger, xero)
    stream = connector.stream("contacts")
    list(connector.read(stream, None))  # token and tenant settled
    xero.control("/limits", minute=1, day=100)
    with pytest.raises(RateLimited) as caught:
        list(connector.read(stream, None))
    assert caught.value.problem == "minute" and 1 <= caught.value.retry_after <= 60
    assert "HTTP 429" in str(caught.value)
