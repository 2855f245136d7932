"""Part payments of items booked in another currency: relief at the carrying rate."""

import datetime as dt
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.connectors.bankfeeds.bankbook import import_statements
from ledgerbridge.connectors.bankfeeds.camt import CAMT
from ledgerbridge.ledger import Entry, LedgerError, Line, Lineage
from ledgerbridge.money import Money
from ledgerbridge.reconcile import ReconcileError, accept, run, undo
from ledgerbridge.reconcile.candidates import open_item
from ledgerbridge.reconcile.rules import load_amount_rules
from ledgerbridge.reconcile.score import SNAP
from ledgerbridge.store.tables import accounts, bank_lines, journal_lines
from tests.reconcile.test_partial_fx import eur_invoice
from tests.reconcile.test_reconcile import D, balance, bank, invoice, links, recs

SAMPLE = Path(__file__).parents[1] / "connectors" / "bankfeeds" / "samples"


def converted(ledger, amount, eur, text, who="OZONE SARL", day=D):
    """A USD bank line that says the payer sent ``eur`` euros."""
    line_id = bank(ledger, amount, text, who, day)
    with ledger.engine.begin() as conn:
        conn.execute(update(bank_lines).where(bank_lines.c.id == line_id).values(
            original_amount=Money.parse(eur, "EUR").minor, original_currency="EUR"))
    return line_id


def eur_balance(ledger, code="1100", party="Ozone SARL"):
    """The account's balance in euros: the original amounts of its EUR lines."""
    query = select(func.coalesce(func.sum(journal_lines.c.original_amount), 0)).join(
        accounts, accounts.c.id == journal_lines.c.account_id).where(
        accounts.c.entity_id == ledger.entity.id, accounts.c.code == code,
        journal_lines.c.currency == "EUR", journal_lines.c.party == party)
    with ledger.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def test_a_part_relieves_its_share_at_the_carrying_rate_and_the_rest_settles(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")  # 1,100.00 USD
    converted(ledger, "462.00", "400.00", "INV-2001 first instalment")
    assert run(ledger).auto_accepted == 1
    (first,) = recs(ledger)
    assert first.kind == "partial"
    assert "part payment: 400.00 of 1000.00 EUR open" in first.reasons
    # 400 EUR carried at 1.10 is 440.00 USD; the bank paid 462.00: a 22.00 gain
    assert (balance(ledger, "1100"), eur_balance(ledger)) == (66000, 60000)
    assert balance(ledger, "4920") == -2200
    item_link = next(lk for lk in links(ledger, first.id) if lk.journal_line_id)
    assert (item_link.amount, item_link.original_amount) == (44000, 40000)

    converted(ledger, "650.00", "600.00", "INV-2001 balance", day=D + dt.timedelta(14))
    assert run(ledger).auto_accepted == 1
    assert recs(ledger)[-1].kind == "fx"
    assert (balance(ledger, "1100"), eur_balance(ledger)) == (0, 0)
    assert balance(ledger, "4920") == -2200 + 1000  # the rest cost 10.00
    assert balance(ledger, "1010") == 46200 + 65000


def test_undo_restores_both_currencies_and_a_new_part_takes_its_place(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    converted(ledger, "462.00", "400.00", "INV-2001")
    converted(ledger, "330.00", "300.00", "INV-2001")
    assert run(ledger).auto_accepted == 2
    assert (balance(ledger, "1100"), eur_balance(ledger)) == (33000, 30000)
    first = recs(ledger)[0]
    undo(ledger, first.id)
    assert (balance(ledger, "1100"), eur_balance(ledger)) == (77000, 70000)
    assert balance(ledger, "4920") == 0  # only the first part had a difference
    converted(ledger, "330.00", "300.00", "INV-2001")
    assert run(ledger).auto_accepted == 2  # the reopened line and the new one: 700 EUR
    assert (balance(ledger, "1100"), eur_balance(ledger)) == (0, 0)
    assert balance(ledger, "1010") == 46200 + 33000 + 33000


def test_parts_that_round_still_leave_nothing_open(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.0857", "INV-2001")  # 1,085.70 USD
    for eur, usd in (("333.33", "360.00"), ("333.33", "361.00"), ("333.34", "362.00")):
        converted(ledger, usd, eur, "INV-2001")
        run(ledger)
    assert all(r.status == "accepted" for r in recs(ledger))
    assert (balance(ledger, "1100"), eur_balance(ledger)) == (0, 0)
    assert balance(ledger, "4920") == -(36000 + 36100 + 36200 - 108570)


def test_several_parts_in_one_run_are_relieved_in_turn(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.0857", "INV-2001")
    for eur in ("333.33", "333.33", "333.34"):
        converted(ledger, "361.00", eur, "INV-2001")
    assert run(ledger).auto_accepted == 3
    assert (balance(ledger, "1100"), eur_balance(ledger)) == (0, 0)


def test_parts_adding_up_to_more_than_is_open_wait_for_a_decision(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    converted(ledger, "700.00", "600.00", "INV-2001")
    converted(ledger, "700.00", "600.00", "INV-2001")
    result = run(ledger)
    assert (result.auto_accepted, result.suggested) == (0, 2)
    first, second = recs(ledger)
    accept(ledger, first.id)
    with pytest.raises(ReconcileError, match="600.00 EUR is not a part of the 400.00 EUR open"):
        accept(ledger, second.id)


def test_exactly_what_is_open_in_its_currency_settles_without_a_reference(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    converted(ledger, "1080.00", "1000.00", "TRANSFER", who="Ozone SARL")
    assert run(ledger).auto_accepted == 1
    (rec,) = recs(ledger)
    assert rec.kind == "fx" and "paid 1000.00 EUR (bank)" in rec.reasons
    assert (balance(ledger, "1100"), eur_balance(ledger), balance(ledger, "4920")) == (
        0, 0, 2000)


def test_an_original_one_cent_off_what_is_open_settles_it_all(ledger):
    eur_invoice(ledger, "Ozone SARL", "195.00", "1.09", "INV-2001")
    converted(ledger, "212.48", "195.01", "INV-2001")  # OFX ORIGCURRENCY: TRNAMT / CURRATE
    assert run(ledger).auto_accepted == 1
    assert (balance(ledger, "1100"), eur_balance(ledger)) == (0, 0)


def test_without_an_original_the_user_gives_the_amount(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    bank(ledger, "462.00", "INV-2001", "OZONE SARL")
    assert run(ledger).auto_accepted == 0
    (rec,) = recs(ledger)
    assert rec.kind == "partial" and "give the EUR amount" in rec.reasons
    with pytest.raises(ReconcileError, match="give the EUR amount the bank line paid"):
        accept(ledger, rec.id)
    with pytest.raises(ReconcileError, match="1200.00 EUR is not a part of the 1000.00 EUR"):
        accept(ledger, rec.id, original="1200.00")
    with pytest.raises(ReconcileError, match="original amount"):
        accept(ledger, rec.id, original="4OO")
    accept(ledger, rec.id, original="400.00")
    assert (balance(ledger, "1100"), eur_balance(ledger), balance(ledger, "4920")) == (
        66000, 60000, -2200)


def test_an_original_amount_only_applies_to_one_foreign_item(ledger):
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    bank(ledger, "500.00", "INV-1001", "ACME CORP")
    run(ledger, auto_threshold=101)
    with pytest.raises(ReconcileError, match="does not settle exactly one item in another"):
        accept(ledger, recs(ledger)[0].id, original="400.00")


def test_the_cli_accepts_with_the_original_amount(ledger, db_url):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    bank(ledger, "462.00", "INV-2001", "OZONE SARL")
    run(ledger)
    (rec,) = recs(ledger)
    runner = CliRunner()
    refused = runner.invoke(app, ["reconcile", "accept", str(rec.id), "--db", db_url])
    assert refused.exit_code != 0 and "give the EUR" in " ".join(refused.output.split())
    done = runner.invoke(app, ["reconcile", "accept", str(rec.id), "--original", "400.00",
                               "--db", db_url])
    assert done.exit_code == 0, done.output
    assert eur_balance(ledger) == 60000


def test_status_shows_what_the_payer_sent(ledger, db_url):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    converted(ledger, "700.00", "600.00", "INV-2001")
    converted(ledger, "700.00", "600.00", "INV-2001")
    run(ledger)
    shown = CliRunner().invoke(app, ["reconcile", "status", "--format", "json",
                                     "--db", db_url])
    assert [p["sent"] for p in json.loads(shown.output)["proposals"]] == ["600.00 EUR"] * 2


def test_an_amount_rule_reads_the_original_from_the_text(ledger):
    rules = load_amount_rules("""
original_amounts:
  - name: wires
    when: {description_contains: ORIG}
    pattern: 'ORIG (?P<currency>[A-Z]{3}) (?P<amount>[0-9.,]+)'
""")
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    bank(ledger, "462.00", "INV-2001 ORIG EUR 400,00 RATE 1,155", "OZONE SARL")
    assert run(ledger, amounts=rules).auto_accepted == 1
    assert "paid 400.00 EUR (amount rule wires)" in recs(ledger)[0].reasons
    assert (balance(ledger, "1100"), eur_balance(ledger)) == (66000, 60000)


@pytest.mark.parametrize(("text", "problem"), [
    ("original_amounts: [{pattern: 'EUR ([0-9]+)'}]", "group named amount"),
    ("original_amounts: [{pattern: '(?P<amount>'}]", "not a regular expression"),
    ("original_amounts: [{pattern: '(?P<amount>1)', currency: EURO}]", "ISO 4217"),
])
def test_bad_amount_rules_say_what_is_wrong(text, problem):
    with pytest.raises(LedgerError, match=problem):
        load_amount_rules(text, source="rules.yaml")


def test_a_camt_statement_with_instructed_amounts_settles_an_eur_invoice(ledger):
    eur_invoice(ledger, "Ozone SARL", "1000.00", "1.10", "INV-2001")
    data = (SAMPLE / "camt053_converted_eur.xml").read_bytes()
    import_statements(ledger, "1010", CAMT.parse(data), file_name="usd.xml", content=data)
    result = run(ledger)
    assert result.auto_accepted == 2
    assert (balance(ledger, "1100"), eur_balance(ledger), balance(ledger, "4920")) == (
        0, 0, -2200 + 1000)


def test_a_payable_in_another_currency_is_paid_in_parts(ledger):
    eur = Money.parse("500.00", "EUR")
    ledger.post(Entry(date=D, memo="Bill BILL-7701", lineage=Lineage(document_id="BILL-7701"),
                      lines=(Line("6100", eur, Decimal("1.20")),
                             Line("2010", -eur, Decimal("1.20"), party="Ozone SARL"))))
    converted(ledger, "-250.00", "-200.00", "BILL-7701 part")
    assert run(ledger).auto_accepted == 1
    assert (balance(ledger, "2010"), eur_balance(ledger, "2010")) == (-36000, -30000)
    assert balance(ledger, "4920") == 1000  # paid 250.00 for 240.00 carried: a loss


_numbers = itertools.count(1)


def undo_and_set_aside(ledger, rec):
    """Undo a reconciliation and send its bank line to review, out of later runs."""
    undo(ledger, rec.id)
    with ledger.engine.begin() as conn:
        conn.execute(update(bank_lines).where(bank_lines.c.id.in_(
            [lk.bank_line_id for lk in links(ledger, rec.id) if lk.bank_line_id])).values(
            status="review"))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=st.integers(min_value=100, max_value=10_000_000),
       rate=st.decimals(min_value=Decimal("0.5"), max_value=Decimal("2"), places=4),
       steps=st.lists(st.tuples(st.integers(min_value=1, max_value=10_000),
                                st.integers(min_value=-500, max_value=500), st.booleans()),
                      min_size=1, max_size=4))
def test_any_sequence_of_parts_and_undos_keeps_the_books_consistent(ledger, total, rate, steps):
    """Parts (a share of what is open, a bank rate off the carrying one) and undos."""
    n = next(_numbers)
    party, number = f"Client {n}", f"INV-{80000 + n}"
    eur = Money(total, "EUR")
    ledger.post(Entry(date=D, memo=number, lineage=Lineage(document_id=number),
                      lines=(Line("1100", eur, rate, party=party), Line("4010", -eur, rate))))
    start = balance(ledger, "1100", party)
    with ledger.engine.connect() as conn:
        line_id = conn.execute(select(journal_lines.c.id).where(
            journal_lines.c.party == party)).scalar_one()
    for share, drift, undo_one in steps:
        with ledger.engine.connect() as conn:
            item = open_item(conn, ledger, line_id)
        if item is None:
            break
        part = max(1, item.open_original * share // 10_000)
        # a part within SNAP of what is open is taken for all of it (rounded rates)
        relieved = item.open if item.open_original - part <= SNAP else item.relief(part)
        usd = max(1, relieved + drift)
        converted(ledger, Money(usd, "USD").text(), Money(part, "EUR").text(), number, party)
        before = balance(ledger, "4920")
        assert run(ledger).auto_accepted == 1
        assert balance(ledger, "4920") - before == relieved - usd
        accepted = [r for r in recs(ledger) if r.status == "accepted"]
        if undo_one and accepted:
            undo_and_set_aside(ledger, accepted[len(accepted) // 2])
        with ledger.engine.connect() as conn:
            now = open_item(conn, ledger, line_id)
        assert balance(ledger, "1100", party) == (now.open if now else 0)
        assert eur_balance(ledger, party=party) == (now.open_original if now else 0)
        assert balance(ledger, "1100") + balance(ledger, "1010") + balance(ledger, "4920") == (
            -balance(ledger, "4010"))
    for rec in recs(ledger):
        if rec.status == "accepted":
            undo_and_set_aside(ledger, rec)
    assert (balance(ledger, "1100", party), eur_balance(ledger, party=party)) == (start, total)
    assert [balance(ledger, code) for code in ("1010", "4920")] == [0, 0]
