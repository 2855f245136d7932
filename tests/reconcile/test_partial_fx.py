import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledgerbridge.ledger import Entry, Line, Lineage
from ledgerbridge.money import Money
from ledgerbridge.reconcile import accept, run, undo
from ledgerbridge.store.tables import bank_lines
from tests.reconcile.test_reconcile import D, balance, bank, invoice, line_status, recs


def eur_invoice(ledger, party, amount, rate, number):
    eur = Money.parse(amount, "EUR")
    return ledger.post(Entry(
        date=D, memo=f"Invoice {number}", lineage=Lineage(document_id=number),
        lines=(Line("1100", eur, Decimal(rate), party=party),
               Line("4010", -eur, Decimal(rate))),
    ))


def test_two_lines_each_paying_part_of_one_invoice(ledger):
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    first = bank(ledger, "500.00", "INV-1001 PART 1", "ACME CORP", D + dt.timedelta(1))
    second = bank(ledger, "750.00", "INV-1001 REST", "ACME CORP", D + dt.timedelta(3))
    result = run(ledger)
    assert (result.auto_accepted, result.entries_posted) == (2, 2)
    assert {r.kind for r in recs(ledger)} == {"partial"}
    assert "part payment: 500.00 of 1250.00 open" in recs(ledger)[0].reasons
    assert (line_status(ledger, first), line_status(ledger, second)) == (
        "reconciled", "reconciled")
    assert balance(ledger, "1100", "Acme Corp") == 0
    assert balance(ledger, "1010") == 125000


def test_three_lines_over_two_runs_settle_one_invoice(ledger):
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    bank(ledger, "400.00", "INV-1001", "ACME CORP")
    bank(ledger, "400.00", "INV-1001", "ACME CORP")
    assert run(ledger).auto_accepted == 2
    assert balance(ledger, "1100", "Acme Corp") == 45000
    bank(ledger, "450.00", "INV-1001", "ACME CORP")
    assert run(ledger).auto_accepted == 1
    assert recs(ledger)[-1].reasons.startswith("amount exact")
    assert balance(ledger, "1100", "Acme Corp") == 0


def test_parts_adding_up_to_more_than_is_open_are_only_proposed(ledger):
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    bank(ledger, "800.00", "INV-1001", "ACME CORP")
    bank(ledger, "800.00", "INV-1001", "ACME CORP")
    result = run(ledger)
    assert (result.auto_accepted, result.suggested) == (0, 2)
    first, second = recs(ledger)
    accept(ledger, first.id)
    assert balance(ledger, "1100", "Acme Corp") == 45000


def test_foreign_invoice_paid_at_a_better_rate_books_the_gain(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")  # 1,100.00 USD
    bank(ledger, "1120.00", "INV-2001", "OZONE")
    result = run(ledger)
    assert result.auto_accepted == 1
    (rec,) = recs(ledger)
    assert rec.kind == "fx" and "exchange difference 20.00 on an item in EUR" in rec.reasons
    assert balance(ledger, "1100", "Ozone SARL") == 0
    assert balance(ledger, "1010") == 112000
    assert balance(ledger, "4920") == -2000  # a gain is a credit


def test_foreign_invoice_paid_at_a_worse_rate_by_hand_books_the_loss(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    bank(ledger, "1084.99", "TRANSFER INV-2001", "SOMEONE ELSE")
    run(ledger, auto_threshold=101)  # nothing automatic: decided by hand
    (rec,) = recs(ledger)
    assert rec.kind == "fx"
    accept(ledger, rec.id)
    assert balance(ledger, "4920") == 1501
    assert balance(ledger, "1100") == 0
    undo(ledger, rec.id)
    assert (balance(ledger, "4920"), balance(ledger, "1100")) == (0, 110000)


def test_a_foreign_item_far_off_its_value_is_not_an_exchange_difference(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    bank(ledger, "1300.00", "INV-2001", "OZONE")
    assert run(ledger).auto_accepted == 0
    assert balance(ledger, "4920") == 0


_numbers = itertools.count(7001)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.integers(min_value=1, max_value=40_000), min_size=1, max_size=3),
       rest=st.integers(min_value=0, max_value=50_000))
def test_accepting_then_undoing_parts_restores_every_balance(ledger, parts, rest):
    number = f"INV-{next(_numbers)}"
    invoice(ledger, "Acme Corp", Money(sum(parts) + rest, "USD").text(), number)
    for part in parts:
        bank(ledger, Money(part, "USD").text(), number, "ACME CORP")
    run(ledger)
    with ledger.engine.connect() as conn:
        reconciled = conn.execute(select(func.coalesce(func.sum(bank_lines.c.amount), 0))
                                  .where(bank_lines.c.status == "reconciled")).scalar_one()
    assert balance(ledger, "1010") == reconciled
    assert balance(ledger, "1100") + balance(ledger, "6650") == (
        -balance(ledger, "4010") - reconciled)
    for rec in recs(ledger):
        if rec.status == "accepted":
            undo(ledger, rec.id)
    assert [balance(ledger, code) for code in ("1010", "6650", "4920")] == [0, 0, 0]
    assert balance(ledger, "1100") == -balance(ledger, "4010")
