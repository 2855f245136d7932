"""A month of the demo company pushed to each emulated package and read back unchanged.

The packages run as real HTTP servers (the connectors' emulators); reading back
goes through the REST API, the way an integration would.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import select

from ledgerbridge.money import Money
from ledgerbridge.store.tables import sync_log
from ledgerbridge.unified import BadRequest, Bridge, PreconditionFailed, adapter_for
from tests.connectors.quickbooks.conftest import connect as connect_qbo
from tests.connectors.xero.conftest import connect as connect_xero
from tests.unified.conftest import post_all, sqlite_only
from tests.unified.demo_month import demo_month


def _everything(api, kind: str, connection: str) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        params = {"connection": connection, "limit": 5, **({"cursor": cursor} if cursor else {})}
        answer = api.get(f"/unified/v1/{kind}", params=params)
        assert answer.status_code == 200, answer.text
        items += [r["data"] for r in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items


def _invoices(api, connection: str) -> dict[str, tuple]:
    return {d["number"]: (d["issue_date"], d["due_date"], d["currency"], d["subtotal"],
                          d["tax_total"], d["total"], d["customer"]["name"])
            for d in _everything(api, "invoices", connection)}


def _payments(api, connection: str, numbers: dict[str, str]) -> dict[tuple, tuple]:
    """(date, amount, invoice number) of each payment; ``numbers`` maps ids to numbers."""
    return {(d["date"], d["amount"]): tuple(
        numbers[a["document"]["external_id"]] for a in d["applications"])
        for d in _everything(api, "payments", connection)}


def _balances(api, connection: str) -> dict[str, Money]:
    """What each customer still owes, from the invoices and payments read back."""
    owed: dict[str, Money] = defaultdict(lambda: Money(0, "USD"))
    names = {}
    for d in _everything(api, "invoices", connection):
        owed[d["customer"]["name"]] += Money.parse(d["total"], "USD")
        names[d["source"]["external_id"]] = d["customer"]["name"]
    for d in _everything(api, "payments", connection):
        for a in d["applications"]:
            owed[names[a["document"]["external_id"]]] -= Money.parse(a["amount"], "USD")
    return dict(owed)


def _numbers(api, connection: str) -> dict[str, str]:
    return {d["source"]["external_id"]: d["number"]
            for d in _everything(api, "invoices", connection)}


@pytest.fixture
def month(ours):
    """The demo month posted to the ledger."""
    documents = demo_month()
    post_all(ours, documents)
    return documents


def _same_month(api, target: str) -> None:
    assert _invoices(api, target) == _invoices(api, "ledger")
    assert _payments(api, target, _numbers(api, target)) == _payments(
        api, "ledger", _numbers(api, "ledger"))
    assert _balances(api, target) == _balances(api, "ledger")


def test_quickbooks_round_trip_and_a_payment_changed_there(books, month, api, qbo):
    connect_qbo(books.engine, qbo, "qbo")
    bridge = Bridge(books.engine, adapter_for(books.engine, "qbo"), accept_gaps=True)
    outcomes = bridge.push()
    assert {o.action for o in outcomes} == {"created"}
    taxed = [o for o in outcomes if o.kind == "invoices"]
    assert all("lines.*.tax_lines" in {g.field for g in o.gaps} for o in taxed)
    _same_month(api, "qbo")
    assert {o.action for o in bridge.push()} == {"unchanged"}

    # Someone corrects a payment in QuickBooks: it was 40.00 short.
    paid = qbo.company.records["Payment"]
    payment = next(iter(paid.values()))
    short = payment["TotalAmt"] - 40
    qbo.save("Payment", Id=payment["Id"], SyncToken=payment["SyncToken"], sparse=True,
             TotalAmt=short, Line=[{**payment["Line"][0], "Amount": short}])
    receivable = books.engine and adapter_for(books.engine).get("accounts", "1100")
    pulled = bridge.pull()
    assert [(o.kind, o.action) for o in pulled] == [("payments", "pulled")]
    ours = adapter_for(books.engine)
    ledger_payment = next(r for r in ours.list("payments").items
                          if r.data.source.external_id == payment["PaymentRefNum"])
    assert ledger_payment.data.amount.decimal == short
    after = ours.get("accounts", "1100").data.balance
    assert after - receivable.data.balance == Money(4000, "USD")
    _same_month(api, "qbo")
    with books.engine.connect() as conn:
        assert conn.execute(select(sync_log.c.kind)).scalars().all() == []


@sqlite_only
def test_xero_round_trip(books, month, api, xero):
    xero.control("/limits", minute=100_000, day=100_000)
    connect_xero(books, xero, "books-xero")
    bridge = Bridge(books.engine, adapter_for(books.engine, "books-xero"), accept_gaps=True)
    outcomes = bridge.push()
    assert {o.action for o in outcomes} == {"created"}, [o for o in outcomes
                                                         if o.action != "created"]
    _same_month(api, "books-xero")

    target = adapter_for(books.engine, "books-xero")
    contact = target.list("contacts", limit=1).items[0]
    renamed = contact.data.model_copy(update={"emails": ("billing@example.com",)})
    changed = target.update("contacts", contact.id, renamed, version=contact.version)
    assert changed.data.emails == ("billing@example.com",)
    with pytest.raises(PreconditionFailed, match="changed in Xero"):
        target.update("contacts", contact.id, renamed, version=contact.version)
    invoice = target.list("invoices", limit=1).items[0]
    with pytest.raises(BadRequest, match="not updated in Xero"):
        target.update("invoices", invoice.id, invoice.data, version=invoice.version)
