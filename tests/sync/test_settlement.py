import datetime as dt
import itertools
import json

from sqlalchemy import insert, select

from ledgerbridge.reconcile import accept, run, undo
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    connections,
    journal_lines,
    outbox,
    reconciliation_links,
    reconciliations,
)
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.worker import Worker
from tests.sync.conftest import SECRET
from tests.sync.samples import invoice
from tests.sync.test_worker import deliver

ALL_STATES = """
writeback:
  - {on: invoice.paid, connection: source, command: mark_paid, fields: [due_date]}
  - {on: invoice.partially_paid, connection: source, command: record_payment}
  - {on: invoice.open, connection: source, command: reopen}
"""
_keys = itertools.count(1)


def crm(ledger, mapping=ALL_STATES):
    return add_connection(ledger.engine, "crm", "webhook", mapping=mapping,
                          settings={"secret": SECRET})


def crm_invoice(ledger, connection, number="INV-2041"):
    document = invoice(number)  # 100.00 + 8.25 tax = 108.25, Acme Corp
    document["source"]["connection"] = "crm"
    deliver(ledger, connection, document)
    Worker(ledger.engine).run_until_idle()


def payment(ledger, connection, external_id, amount, day, number="INV-2041"):
    deliver(ledger, connection, {
        "type": "payment",
        "source": {"connection": "crm", "object_type": "payment", "external_id": external_id},
        "date": day, "amount": amount, "currency": "USD", "method": "bank_transfer",
        "contact": {"external_id": "acme-corp", "name": "Acme Corp"},
        "applications": [{"document": {"external_id": number}, "document_type": "invoice",
                          "amount": amount}],
    })
    Worker(ledger.engine).run_until_idle()


def bank(ledger, amount_minor, description, day):
    with ledger.engine.begin() as conn:
        account_id = conn.execute(select(accounts.c.id).where(
            accounts.c.entity_id == ledger.entity.id, accounts.c.code == "1010")).scalar_one()
        return account_id, conn.execute(insert(bank_lines).values(
            entity_id=ledger.entity.id, account_id=account_id, dedupe_key=f"k{next(_keys)}",
            occurrence=1, booking_date=day, amount=amount_minor, currency="USD",
            description=description, counterparty="ACME CORP", pending=False,
            status="unreconciled")).inserted_primary_key[0]


def receivable_line(ledger):
    with ledger.engine.connect() as conn:
        return conn.execute(select(journal_lines.c.id).join(
            accounts, accounts.c.id == journal_lines.c.account_id).where(
            accounts.c.code == "1100").order_by(journal_lines.c.id)).scalars().first()


def proposal(ledger, amount_minor, day):
    """A bank line paying part of the invoice, proposed as a match (as a person would pick)."""
    account_id, line = bank(ledger, amount_minor, "PART PAYMENT", day)
    with ledger.engine.begin() as conn:
        rid = conn.execute(insert(reconciliations).values(
            entity_id=ledger.entity.id, account_id=account_id, status="proposed", kind="item",
            confidence=50, reasons="picked by hand")).inserted_primary_key[0]
        conn.execute(insert(reconciliation_links), [
            {"reconciliation_id": rid, "bank_line_id": line, "journal_line_id": None,
             "amount": amount_minor},
            {"reconciliation_id": rid, "bank_line_id": None,
             "journal_line_id": receivable_line(ledger), "amount": amount_minor}])
    return rid


def sent(ledger):
    """(target connection, command, payload) of every queued command, oldest first."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(connections.c.name, outbox.c.command, outbox.c.payload)
                            .join(connections, connections.c.id == outbox.c.connection_id)
                            .order_by(outbox.c.id))
        return [(name, command, json.loads(payload)) for name, command, payload in rows]


def state(payload):
    return payload["status"], payload["amount_due"], payload["paid_date"]


def test_accepted_reconciliation_queues_the_paid_write_back(ledger):
    connection = crm(ledger)
    crm_invoice(ledger, connection)
    bank(ledger, 10825, "PAYMENT INV-2041 THANK YOU", dt.date(2026, 3, 5))
    assert run(ledger).auto_accepted == 1
    assert sent(ledger) == [("crm", "mark_paid", {
        "type": "invoice", "connection": "crm", "external_id": "INV-2041", "status": "paid",
        "number": "INV-2041", "currency": "USD", "total": "108.25", "amount_due": "0.00",
        "paid_date": "2026-03-05", "due_date": "2026-03-03"})]


def test_partial_then_full_then_undone_reconciliations(ledger):
    connection = crm(ledger)
    crm_invoice(ledger, connection)
    first = proposal(ledger, 5000, dt.date(2026, 3, 4))
    second = proposal(ledger, 5825, dt.date(2026, 3, 9))
    accept(ledger, first)
    accept(ledger, first)  # twice: nothing new
    accept(ledger, second)
    undo(ledger, second)
    undo(ledger, first)
    undo(ledger, first)
    assert [(command, state(p)) for _, command, p in sent(ledger)] == [
        ("record_payment", ("partially_paid", "58.25", None)),
        ("mark_paid", ("paid", "0.00", "2026-03-09")),
        ("record_payment", ("partially_paid", "58.25", None)),
        ("reopen", ("open", "108.25", None)),
    ]


def test_paid_again_after_an_undo_is_sent_again(ledger):
    connection = crm(ledger)
    crm_invoice(ledger, connection)
    first = proposal(ledger, 10825, dt.date(2026, 3, 4))
    accept(ledger, first)
    undo(ledger, first)
    again = proposal(ledger, 10825, dt.date(2026, 3, 6))
    accept(ledger, again)
    assert [state(p) for *_, p in sent(ledger)] == [
        ("paid", "0.00", "2026-03-04"), ("open", "108.25", None),
        ("paid", "0.00", "2026-03-06")]


def test_payment_documents_applied_by_the_worker(ledger):
    connection = crm(ledger)
    crm_invoice(ledger, connection)
    payment(ledger, connection, "pay_1", "40.00", "2026-03-10")
    payment(ledger, connection, "pay_1", "40.00", "2026-03-10")  # the same again
    payment(ledger, connection, "pay_2", "68.25", "2026-03-12")
    assert [(command, state(p)) for _, command, p in sent(ledger)] == [
        ("record_payment", ("partially_paid", "68.25", None)),
        ("mark_paid", ("paid", "0.00", "2026-03-12")),
    ]


def test_payment_before_its_invoice_waits_then_writes_back(ledger):
    connection = crm(ledger)
    payment(ledger, connection, "pay_1", "108.25", "2026-03-10")
    assert sent(ledger) == []
    crm_invoice(ledger, connection)
    Worker(ledger.engine).run_until_idle()
    assert [state(p) for *_, p in sent(ledger)] == [("paid", "0.00", "2026-03-10")]


def test_nothing_is_queued_without_a_matching_rule(ledger):
    only_partial = "writeback:\n  - {on: invoice.partially_paid, connection: source, command: x}\n"
    connection = crm(ledger, only_partial)
    crm_invoice(ledger, connection)
    payment(ledger, connection, "pay_1", "108.25", "2026-03-10")
    bank(ledger, 10825, "PAYMENT INV-2041", dt.date(2026, 3, 5))
    run(ledger)
    assert sent(ledger) == []


def test_a_named_target_gets_the_command_and_the_source_is_not_echoed(ledger):
    add_connection(ledger.engine, "books", "webhook", settings={"secret": "other"})
    connection = crm(ledger, "writeback:\n"
                             "  - {on: invoice.paid, connection: books, command: settle}\n"
                             "  - {on: invoice.paid, connection: source, command: mark_paid}\n")
    crm_invoice(ledger, connection)
    payment(ledger, connection, "pay_1", "108.25", "2026-03-10")
    assert [(target, command) for target, command, _ in sent(ledger)] == [
        ("books", "settle"), ("crm", "mark_paid")]
    paid = invoice("INV-2041", version="2", status="paid")  # the CRM says paid in turn
    paid["source"]["connection"] = "crm"
    deliver(ledger, connection, paid)
    Worker(ledger.engine).run_until_idle()
    assert [(target, command) for target, command, _ in sent(ledger)] == [
        ("books", "settle"), ("crm", "mark_paid"), ("books", "settle")]


def test_invoice_marked_paid_by_the_crm_stays_settled(ledger):
    connection = crm(ledger)
    crm_invoice(ledger, connection)
    bank(ledger, 10825, "PAYMENT INV-2041", dt.date(2026, 3, 5))
    run(ledger)
    paid = invoice("INV-2041", version="2", status="paid")  # the write-back came back
    paid["source"]["connection"] = "crm"
    deliver(ledger, connection, paid)
    Worker(ledger.engine).run_until_idle()
    bank(ledger, 10825, "PAYMENT INV-2041 AGAIN", dt.date(2026, 3, 6))
    result = run(ledger)
    assert (result.auto_accepted, result.suggested) == (0, 0)  # nothing left to settle
    assert [state(p) for *_, p in sent(ledger)] == [("paid", "0.00", "2026-03-05")]
