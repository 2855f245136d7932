import datetime as dt

from ledgerbridge.reconcile import run
from ledgerbridge.reconcile.candidates import references
from tests.reconcile.test_reconcile import D, bank, invoice, links, recs


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
