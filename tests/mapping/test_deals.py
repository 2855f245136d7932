"""A won deal becomes an invoice; re-opened, changed and re-won deals are never doubled."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from ledgerbridge.documents import parse_document
from ledgerbridge.store.tables import accounts, documents, inbox, journal_lines
from ledgerbridge.sync.connections import add_connection
from tests.sync.conftest import SECRET
from tests.sync.test_worker import deliver, work

STAMP = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def deal(status="won", *, amount="1000.00", minutes=0, company=True, lines=None, terms=None):
    """A deal as a CRM connector normalizes it; ``minutes`` moves its last change."""
    stamp = STAMP + dt.timedelta(minutes=minutes)
    doc = {
        "type": "deal",
        "source": {"connection": "crm", "object_type": "deal", "external_id": "D1",
                   "updated_at": stamp.isoformat()},
        "name": "Acme renewal", "stage": {"won": "closedwon", "lost": "closedlost"}
        .get(status, "negotiation"), "status": status, "amount": amount,
        "currency": "USD", "close_date": "2026-03-01",
        "lines": lines if lines is not None else [
            {"description": "Annual plan", "quantity": "2", "unit_price": "400.00"},
            {"description": "Onboarding", "amount": "200.00"}],
    }
    if company:
        doc["company"] = {"external_id": "C9", "name": "Acme Corp"}
    if terms is not None:
        doc["payment_terms"] = {"net_days": terms}
    return doc


@pytest.fixture
def crm(ledger):
    def make(mapping=None):
        return add_connection(ledger.engine, "crm", "webhook", mapping=mapping,
                              settings={"secret": SECRET})
    return make


def receivable(ledger) -> int:
    query = (select(func.coalesce(func.sum(journal_lines.c.amount), 0))
             .join(accounts, accounts.c.id == journal_lines.c.account_id)
             .where(accounts.c.code == "1100"))
    with ledger.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def current(ledger, type_):
    with ledger.engine.connect() as conn:
        row = conn.execute(select(documents.c.data).where(
            documents.c.type == type_, documents.c.status.in_(("current", "voided")))).first()
    return None if row is None else parse_document(row.data)


def send(ledger, hook, document):
    deliver(ledger, hook, document)
    return work(ledger)


def test_won_deal_becomes_one_invoice_with_terms_and_lines(ledger, crm):
    hook = crm()
    send(ledger, hook, deal("open"))
    assert current(ledger, "invoice") is None and receivable(ledger) == 0
    send(ledger, hook, deal(minutes=1, terms=45))
    invoice = current(ledger, "invoice")
    assert invoice.number == "INV-D1" and invoice.customer.name == "Acme Corp"
    assert invoice.issue_date == dt.date(2026, 3, 1)
    assert invoice.due_date == dt.date(2026, 4, 15)  # the deal's own 45 days
    assert invoice.total.minor == 100000 and len(invoice.lines) == 2
    assert receivable(ledger) == 100000
    send(ledger, hook, deal(minutes=2))  # touched in the CRM, nothing changed
    assert receivable(ledger) == 100000


def test_reopened_deal_is_credited_and_rewon_deal_stands_again(ledger, crm):
    hook = crm()
    send(ledger, hook, deal())
    send(ledger, hook, deal("open", minutes=1))
    note = current(ledger, "credit_note")
    assert note.number == "CN-INV-D1" and note.invoice.external_id == "D1"
    assert receivable(ledger) == 0
    send(ledger, hook, deal("lost", minutes=2))  # already credited: nothing more
    assert receivable(ledger) == 0
    send(ledger, hook, deal(minutes=3))  # won again, unchanged: the credit is voided
    assert current(ledger, "credit_note").status == "void"
    assert current(ledger, "invoice").number == "INV-D1"
    assert receivable(ledger) == 100000


def test_changed_deal_stops_for_a_person_by_default(ledger, crm):
    hook = crm()
    send(ledger, hook, deal())
    stats = send(ledger, hook, deal(minutes=1, lines=[{"amount": "800.00"}]))
    assert stats.dead == 1
    with ledger.engine.connect() as conn:
        error = conn.execute(select(inbox.c.last_error).where(
            inbox.c.status == "dead")).scalar_one()
    assert "changed after invoice INV-D1" in error and "1000.00 -> 800.00" in error
    assert receivable(ledger) == 100000  # the issued invoice stands untouched


def test_reissue_policy_replaces_the_invoice_under_a_new_number(ledger, crm):
    hook = crm("deals: {on_change: reissue}\n")
    send(ledger, hook, deal())
    send(ledger, hook, deal(minutes=1, lines=[{"amount": "800.00"}]))
    assert current(ledger, "invoice").number == "INV-D1/2"
    assert receivable(ledger) == 80000
    send(ledger, hook, deal(minutes=2, lines=[{"amount": "750.00"}]))
    assert current(ledger, "invoice").number == "INV-D1/3"
    assert receivable(ledger) == 75000


def test_exception_policy_on_reopen_and_a_deal_nobody_can_be_invoiced(ledger, crm):
    hook = crm("deals: {on_reopen: exception}\n")
    send(ledger, hook, deal())
    assert send(ledger, hook, deal("open", minutes=1)).dead == 1
    assert receivable(ledger) == 100000
    assert send(ledger, hook, {**deal(minutes=2), "source": {
        "connection": "crm", "object_type": "deal", "external_id": "D2"},
        "company": None}).dead == 1


def test_tax_from_the_mapping_is_added_to_untaxed_lines(ledger, crm):
    hook = crm("deals: {tax_jurisdiction: US-NY, tax_percent: '8.875'}\n")
    send(ledger, hook, deal(lines=[{"amount": "100.00"}, {"amount": "33.33"}]))
    invoice = current(ledger, "invoice")
    assert [t.amount.minor for ln in invoice.lines for t in ln.tax_lines] == [888, 296]
    assert invoice.total.minor == 13333 + 888 + 296
    assert receivable(ledger) == invoice.total.minor
