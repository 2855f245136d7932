import datetime as dt

from sqlalchemy import select

from ledgerbridge.ledger import Entry, Line, Lineage
from ledgerbridge.reconcile import run
from ledgerbridge.reconcile.candidates import references
from ledgerbridge.store.tables import journal_lines
from tests.reconcile.test_reconcile import D, bank, invoice, links, recs, usd


def test_references_are_whole_tokens_holding_a_digit():
    found = references("Paid inv-1001, INV 2002 and ab1c", "E2E/77A")
    assert found == {"INV1001", "2002", "INV2002", "AB1C", "E2E77A"}
    assert references("PAYMENT THANK YOU", None) == set()
    assert references("12.345.678 abc") == {"12345678"}


def test_several_invoices_paid_without_reference_are_found_by_the_name(ledger):
    invoice(ledger, "Initech Inc", "400.00", "INV-4001")
    invoice(ledger, "Initech Inc", "250.50", "INV-4002")
    invoice(ledger, "Initech Inc", "99.00", "INV-4003")
    invoice(ledger, "Globex Ltd", "650.50", "INV-4004", D - dt.timedelta(60))
    line = bank(ledger, "650.50", "TRANSFER", "INITECH INC", D + dt.timedelta(2))
    run(ledger)
    groups = [r for r in recs(ledger) if r.kind == "group"]
    assert len(groups) == 1
    linked = links(ledger, groups[0].id)
    assert [lk.bank_line_id for lk in linked if lk.bank_line_id] == [line]
    assert sorted(lk.amount for lk in linked if lk.journal_line_id) == [25050, 40000]


def test_many_runs_in_one_process_give_the_same_proposals(ledger):
    invoice(ledger, "Globex Ltd", "99.00", "INV-3001")
    invoice(ledger, "Globex Ltd", "99.00", "INV-3002")
    bank(ledger, "99.00", "TRANSFER", "GLOBEX LTD")
    run(ledger)
    first = [(r.kind, r.confidence, r.reasons) for r in recs(ledger)]
    run(ledger)  # name scores now come from the cache
    assert [(r.kind, r.confidence, r.reasons) for r in recs(ledger)] == first


def test_a_payment_posted_elsewhere_settles_the_invoice_it_names_not_the_oldest(ledger):
    older = invoice(ledger, "Vandelay Imports", "8500.00", "INV-1009", D - dt.timedelta(12))
    invoice(ledger, "Vandelay Imports", "8900.00", "INV-1013", D - dt.timedelta(3))
    ledger.post(Entry(date=D, memo="Payment ch_1", lineage=Lineage(document_id="ch_1"), lines=(
        Line("1150", usd("8900.00")),
        Line("1100", -usd("8900.00"), party="Vandelay Imports", memo="Invoice INV-1013"))))
    line = bank(ledger, "8500.00", "TRANSFER FROM VANDELAY IMPORTS INV-1009",
                "VANDELAY IMPORTS", D + dt.timedelta(1))
    run(ledger)
    (rec,) = recs(ledger)
    assert (rec.kind, rec.status) == ("item", "accepted")
    settled = {lk.journal_line_id: lk.amount for lk in links(ledger, rec.id)
               if lk.journal_line_id}
    with ledger.engine.connect() as conn:
        item_line = conn.execute(select(journal_lines.c.id).where(
            journal_lines.c.entry_id == older, journal_lines.c.amount > 0)).scalar_one()
    assert settled == {item_line: 850000}
    assert [lk.bank_line_id for lk in links(ledger, rec.id) if lk.bank_line_id] == [line]
