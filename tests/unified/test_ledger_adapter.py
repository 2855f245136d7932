"""The ledger behind the unified interface: documents, versions, paging, accounts, entries."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerbridge.documents import parse_document
from ledgerbridge.money import Money
from ledgerbridge.unified import (
    AccountingAdapter,
    BadRequest,
    Conflict,
    NotFound,
    PreconditionFailed,
)
from tests.unified.conftest import post_all
from tests.unified.demo_month import demo_month


def _invoice(external_id: str, amount: str = "100.00", **extra: object) -> dict:
    return {"type": "invoice", "source": {"connection": "demo", "object_type": "invoice",
                                          "external_id": external_id},
            "customer": {"external_id": "acme", "name": "Acme"}, "issue_date": "2026-04-02",
            "currency": "USD", "lines": [{"description": "Work", "amount": amount}], **extra}


def test_a_month_posts_and_reads_back_as_it_was_sent(ours, books):
    assert isinstance(ours, AccountingAdapter) and ours.gaps == {}
    month = demo_month()
    ids = post_all(ours, month)
    invoices = ours.list("invoices").items
    assert [r.data.number for r in invoices] == [d.number for d in month if d.type == "invoice"]
    first = invoices[0]
    assert first.id == ids[first.data.source.external_id] == first.data.id
    assert ours.get("invoices", first.id) == first
    sent = next(d for d in month if d.source.external_id == first.data.source.external_id)
    assert first.data.model_dump(exclude={"id"}) == sent.model_dump(exclude={"id"})
    receivable = ours.get("accounts", "1100").data.balance
    billed = sum(d.total.minor for d in month if d.type == "invoice")
    paid = sum(d.amount.minor for d in month if d.type == "payment")
    assert receivable == Money(billed - paid, "USD")


def test_an_update_is_a_new_version_that_reverses_and_reposts(ours):
    record = ours.create("invoices", parse_document(_invoice("INV-1")))
    changed = parse_document(_invoice("INV-1", "250.00"))
    updated = ours.update("invoices", record.id, changed, version=record.version)
    assert (updated.id, updated.data.total) == (record.id, Money(25000, "USD"))
    assert updated.version != record.version
    assert ours.get("accounts", "1100").data.balance == Money(25000, "USD")
    entries = ours.list("journal-entries").items
    assert [e.data.reverses for e in entries] == [None, entries[0].id, None]
    assert entries[0].data.reversed_by == entries[1].id
    with pytest.raises(PreconditionFailed, match="read it again"):
        ours.update("invoices", record.id, changed, version=record.version)


def test_writes_that_cannot_be_carried_out_say_why(ours):
    record = ours.create("invoices", parse_document(_invoice("INV-1")))
    with pytest.raises(Conflict, match="exists already"):
        ours.create("invoices", parse_document(_invoice("INV-1")))
    with pytest.raises(Conflict, match="another record"):
        ours.update("invoices", record.id, parse_document(_invoice("INV-2")),
                    version=record.version)
    stranger = _invoice("INV-3")
    stranger["source"]["connection"] = "nowhere"
    with pytest.raises(BadRequest, match="'nowhere' is not a connection"):
        ours.create("invoices", parse_document(stranger))
    with pytest.raises(BadRequest, match="is a invoice, not one of the payments"):
        ours.create("payments", parse_document(_invoice("INV-4")))
    with pytest.raises(BadRequest, match="read only"):
        ours.create("journal-entries", parse_document(_invoice("INV-5")))
    with pytest.raises(NotFound, match="no invoice 999"):
        ours.get("invoices", "999")
    with pytest.raises(NotFound, match="is not a kind"):
        ours.list("orders")


def test_pages_miss_nothing_and_repeat_nothing_while_records_arrive(ours):
    for n in range(5):
        ours.create("invoices", parse_document(_invoice(f"A-{n}")))
    seen: list[str] = []
    page = ours.list("invoices", limit=2)
    arrived = 0
    while True:
        seen += [r.data.source.external_id for r in page.items]
        ours.create("invoices", parse_document(_invoice(f"B-{arrived}")))  # during paging
        arrived += 1
        if page.next_cursor is None or arrived > 20:
            break
        page = ours.list("invoices", cursor=page.next_cursor, limit=2)
    assert seen[:5] == [f"A-{n}" for n in range(5)]
    assert len(seen) == len(set(seen))
    everything = [r.data.source.external_id for r in ours.list("invoices", limit=500).items]
    assert seen == everything[:len(seen)]


def test_updated_since_and_accounts_by_code(ours):
    ours.create("invoices", parse_document(_invoice("OLD")))
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert ours.list("invoices", updated_since=future).items == ()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert len(ours.list("invoices", updated_since=past).items) == 1
    first = ours.list("accounts", limit=3)
    second = ours.list("accounts", cursor=first.next_cursor, limit=3)
    codes = [r.id for r in first.items + second.items]
    assert codes == sorted(codes) and len(set(codes)) == 6
    with pytest.raises(BadRequest, match="no change time"):
        ours.list("accounts", updated_since=dt.datetime.now(dt.UTC))
    with pytest.raises(BadRequest, match="out of range"):
        ours.list("accounts", limit=0)
