import datetime as dt
import itertools

import pytest
from sqlalchemy import func, insert, select

from ledgerbridge.ledger import Entry, Line, Lineage, PeriodStatus
from ledgerbridge.money import Money
from ledgerbridge.reconcile import ReconcileError, accept, reject, run, undo
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    journal_entries,
    journal_lines,
    reconciliation_links,
    reconciliations,
)

D = dt.date(2026, 3, 2)
_keys = itertools.count(1)


def usd(text):
    return Money.parse(text, "USD")


def invoice(ledger, party, amount, number, date=D):
    return ledger.post(Entry(
        date=date, memo=f"Invoice {number}", lineage=Lineage(document_id=number),
        lines=(Line("1100", usd(amount), party=party), Line("4010", -usd(amount))),
    ))


def bill(ledger, party, amount, number, date=D):
    return ledger.post(Entry(
        date=date, memo=f"Bill {number}", lineage=Lineage(document_id=number),
        lines=(Line("6100", usd(amount)), Line("2010", -usd(amount), party=party)),
    ))


def bank(ledger, amount, description, counterparty, date=D, *, status="unreconciled",
         reason=None):
    """A USD bank line on account 1010, as an import would store it."""
    with ledger.engine.begin() as conn:
        account_id = conn.execute(select(accounts.c.id).where(
            accounts.c.entity_id == ledger.entity.id, accounts.c.code == "1010")).scalar_one()
        return conn.execute(insert(bank_lines).values(
            entity_id=ledger.entity.id, account_id=account_id, dedupe_key=f"k{next(_keys)}",
            occurrence=1, booking_date=date, amount=usd(amount).minor, currency="USD",
            description=description, counterparty=counterparty, pending=False,
            status=status, review_reason=reason)).inserted_primary_key[0]


def balance(ledger, code, party=None):
    query = select(func.coalesce(func.sum(journal_lines.c.amount), 0)).join(
        accounts, accounts.c.id == journal_lines.c.account_id).where(
        accounts.c.entity_id == ledger.entity.id, accounts.c.code == code)
    if party is not None:
        query = query.where(journal_lines.c.party == party)
    with ledger.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def recs(ledger):
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(reconciliations).order_by(reconciliations.c.id)))


def links(ledger, rid):
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(reconciliation_links).where(
            reconciliation_links.c.reconciliation_id == rid)))


def line_status(ledger, line_id):
    with ledger.engine.connect() as conn:
        return conn.execute(select(bank_lines.c.status).where(
            bank_lines.c.id == line_id)).scalar_one()


def entry_count(ledger):
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(journal_entries)).scalar_one()


def test_reference_and_exact_amount_is_accepted_and_settles_the_receivable(ledger):
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    line = bank(ledger, "1250.00", "PAYMENT INV-1001 THANK YOU", "ACME CORP", D + dt.timedelta(1))
    result = run(ledger)
    assert (result.bank_lines, result.auto_accepted, result.entries_posted) == (1, 1, 1)
    (rec,) = recs(ledger)
    assert rec.status == "accepted" and rec.confidence >= 90 and rec.entry_id is not None
    assert "reference INV-1001 in text" in rec.reasons and "1 day apart" in rec.reasons
    assert balance(ledger, "1100", "Acme Corp") == 0
    assert balance(ledger, "1010") == 125000
    assert line_status(ledger, line) == "reconciled"
    assert accept(ledger, rec.id) == rec.entry_id  # accepting twice posts nothing new


def test_name_typo_and_date_shift_without_reference_is_only_a_suggestion(ledger):
    invoice(ledger, "Johnson & Partners LLC", "830.40", "INV-2001")
    line = bank(ledger, "830.40", "INCOMING TRANSFER", "JONSON PARTNRS", D + dt.timedelta(2))
    result = run(ledger)
    assert (result.auto_accepted, result.suggested) == (0, 1)
    (rec,) = recs(ledger)
    assert rec.status == "proposed" and rec.confidence < 90
    assert line_status(ledger, line) == "unreconciled"
    assert balance(ledger, "1100") == 83040


def test_two_identical_open_invoices_without_reference_are_ambiguous(ledger):
    invoice(ledger, "Globex Ltd", "99.00", "INV-3001")
    invoice(ledger, "Globex Ltd", "99.00", "INV-3002")
    bank(ledger, "99.00", "TRANSFER", "GLOBEX LTD")
    result = run(ledger)
    assert result.auto_accepted == 0
    assert {r.status for r in recs(ledger)} == {"proposed"}
    assert len(recs(ledger)) == 2


def test_one_bank_line_paying_two_invoices_of_one_customer(ledger):
    invoice(ledger, "Initech Inc", "400.00", "INV-4001")
    invoice(ledger, "Initech Inc", "250.50", "INV-4002")
    invoice(ledger, "Umbrella GmbH", "650.50", "INV-4003", D - dt.timedelta(40))
    line = bank(ledger, "650.50", "INV-4001 INV-4002", "INITECH")
    result = run(ledger)
    assert result.auto_accepted == 1
    (rec,) = [r for r in recs(ledger) if r.status == "accepted"]
    assert rec.kind == "group"
    journal = [lk for lk in links(ledger, rec.id) if lk.journal_line_id is not None]
    assert sorted(lk.amount for lk in journal) == [25050, 40000]
    assert [lk.bank_line_id for lk in links(ledger, rec.id) if lk.bank_line_id] == [line]
    assert balance(ledger, "1100", "Initech Inc") == 0
    assert balance(ledger, "1100", "Umbrella GmbH") == 65050


def test_bank_fee_deducted_goes_to_bank_charges(ledger):
    invoice(ledger, "Stark Industries", "500.00", "INV-5001")
    bank(ledger, "497.00", "INV-5001", "STARK INDUSTRIES")
    result = run(ledger)
    assert result.auto_accepted == 1
    (rec,) = recs(ledger)
    assert rec.fee == 300 and "fee 3.00" in rec.reasons
    assert balance(ledger, "6650") == 300
    assert balance(ledger, "1100") == 0
    assert balance(ledger, "1010") == 49700


def test_payment_already_in_the_book_is_linked_without_a_new_entry(ledger):
    invoice(ledger, "Wayne Enterprises", "75.25", "INV-6001")
    ledger.post(Entry(
        date=D, memo="Payment for INV-6001", lineage=Lineage(external_id="ch_123"),
        lines=(Line("1010", usd("75.25"), party="Wayne Enterprises"),
               Line("1100", -usd("75.25"), party="Wayne Enterprises")),
    ))
    entries = entry_count(ledger)
    line = bank(ledger, "75.25", "STRIPE ch_123", "WAYNE ENTERPRISES")
    result = run(ledger)
    assert (result.auto_accepted, result.entries_posted) == (1, 0)
    (rec,) = recs(ledger)
    assert rec.kind == "book" and rec.entry_id is None
    assert entry_count(ledger) == entries
    assert line_status(ledger, line) == "reconciled"
    assert balance(ledger, "1010") == 7525


def test_payable_settled_by_a_bank_debit(ledger):
    bill(ledger, "Hooli LLC", "1200.00", "B-7001")
    bank(ledger, "-1200.00", "B-7001 HOOLI", "Hooli")
    assert run(ledger).auto_accepted == 1
    assert balance(ledger, "2010", "Hooli LLC") == 0
    assert balance(ledger, "1010") == -120000


def test_undo_reverses_the_entry_and_reopens_the_line(ledger):
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    line = bank(ledger, "1250.00", "INV-1001", "ACME CORP")
    run(ledger)
    (rec,) = recs(ledger)
    reversal = undo(ledger, rec.id)
    assert reversal is not None
    assert line_status(ledger, line) == "unreconciled"
    assert balance(ledger, "1100", "Acme Corp") == 125000
    assert balance(ledger, "1010") == 0
    assert undo(ledger, rec.id) is None  # twice: nothing more
    with pytest.raises(ReconcileError, match="undone"):
        accept(ledger, rec.id)
    result = run(ledger)  # the invoice is open again and matches again
    assert result.auto_accepted == 1
    assert balance(ledger, "1100", "Acme Corp") == 0


def test_running_twice_creates_no_duplicate_proposals(ledger):
    invoice(ledger, "Globex Ltd", "99.00", "INV-3001")
    invoice(ledger, "Globex Ltd", "99.00", "INV-3002")
    invoice(ledger, "Acme Corp", "10.00", "INV-1")
    bank(ledger, "99.00", "TRANSFER", "GLOBEX LTD")
    bank(ledger, "10.00", "INV-1 ACME", "ACME")
    run(ledger)
    first = [(r.status, r.kind) for r in recs(ledger)]
    second = run(ledger)
    assert second.bank_lines == 1 and second.auto_accepted == 0
    assert sorted((r.status, r.kind) for r in recs(ledger)) == sorted(first)
    assert len(recs(ledger)) == 3


def test_reject_and_accept_by_hand(ledger):
    invoice(ledger, "Globex Ltd", "99.00", "INV-3001", D - dt.timedelta(1))
    invoice(ledger, "Globex Ltd", "99.00", "INV-3002")
    line = bank(ledger, "99.00", "TRANSFER", "GLOBX")
    run(ledger)
    first, second = recs(ledger)
    reject(ledger, first.id)
    reject(ledger, first.id)  # twice: harmless
    run(ledger)
    remaining = [r for r in recs(ledger) if r.status == "proposed"]
    assert len(remaining) == 1  # the rejected match is not proposed again
    entry_id = accept(ledger, remaining[0].id)
    assert entry_id is not None and line_status(ledger, line) == "reconciled"
    assert balance(ledger, "1100", "Globex Ltd") == 9900
    with pytest.raises(ReconcileError, match="undo"):
        reject(ledger, remaining[0].id)


@pytest.mark.parametrize("status", [PeriodStatus.CLOSED, PeriodStatus.LOCKED])
def test_a_shut_period_keeps_its_match_a_proposal_and_the_rest_is_accepted(ledger, status):
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001", D - dt.timedelta(30))
    invoice(ledger, "Initech Inc", "400.00", "INV-4001")
    early = bank(ledger, "1250.00", "INV-1001", "ACME CORP", D - dt.timedelta(28))
    late = bank(ledger, "400.00", "INV-4001", "INITECH", D)
    ledger.set_period("2026-02", status)
    result = run(ledger)
    assert (result.auto_accepted, result.suggested) == (1, 1)
    assert (line_status(ledger, early), line_status(ledger, late)) == (
        "unreconciled", "reconciled")
    (waiting,) = [r for r in recs(ledger) if r.status == "proposed"]
    assert f"period 2026-02 is {status.value}" in waiting.reasons
    assert balance(ledger, "1100", "Acme Corp") == 125000
    ledger.set_period("2026-02", PeriodStatus.OPEN)
    assert run(ledger).auto_accepted == 1
    assert balance(ledger, "1100") == 0
