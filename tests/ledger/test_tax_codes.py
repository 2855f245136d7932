"""Tax codes: how they are made, split gross amounts, and round trips through every posting path."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ledgerbridge.ledger import Entry, Ledger, Line
from ledgerbridge.ledger.book import PostingBatch
from ledgerbridge.ledger.exports import write_beancount, write_hledger
from ledgerbridge.ledger.jsonl import EntryReader
from ledgerbridge.ledger.posting import PostingContext, prepare_lines
from ledgerbridge.ledger.tax import jurisdiction_of, percent_of, split_gross, tax_code
from ledgerbridge.mapping import load_rules
from ledgerbridge.money import Money
from ledgerbridge.reconcile.rules import BankRule
from ledgerbridge.store.tables import accounts, journal_lines
from ledgerbridge.sync.bulk_apply import NewObjects
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.inbox import Channel, store_events
from ledgerbridge.sync.worker import Worker
from tests.mapping.helpers import add_connection_row, apply
from tests.sync.conftest import SECRET
from tests.sync.samples import invoice

D = dt.date(2026, 3, 2)


def test_our_code_is_the_source_code_else_jurisdiction_and_percent():
    assert tax_code("GB", None, Decimal("20")) == "GB-20"
    assert tax_code("DE", None, Decimal("19.00")) == "DE-19"
    assert tax_code("US-CA", None, Decimal("7.250")) == "US-CA-7.25"
    assert tax_code("GB", None, Decimal("0")) == "ZERO"
    assert tax_code("US-TX") == "US-TX"
    assert tax_code("GB", "GB-VAT20", Decimal("20")) == "GB-VAT20"
    # e-invoice VAT categories (UNCL5305) are read, not copied
    assert tax_code("GB-S-20", "S", Decimal("20")) == "GB-20"
    assert tax_code("DE-E-0", "E", Decimal("0")) == "EXEMPT"
    assert tax_code("DE-Z-0", "Z", Decimal("0")) == "ZERO"
    assert tax_code("DE-AE-0", "AE", Decimal("0")) == "REVERSE"


def test_a_code_states_its_percent_and_jurisdiction():
    assert percent_of("GB-20") == 20 and jurisdiction_of("GB-20") == "GB"
    assert percent_of("US-CA-7.25") == Decimal("7.25") and jurisdiction_of("US-CA-7.25") == "US-CA"
    assert percent_of("EXEMPT") == 0 and jurisdiction_of("EXEMPT") is None
    assert percent_of("INPUT2") is None and percent_of("US-TX") is None


EXPONENTS = {"JPY": 0, "EUR": 2, "KWD": 3}


@given(gross=st.integers(-10**13, 10**13),
       percent=st.decimals(min_value=0, max_value=100, places=3),
       currency=st.sampled_from(sorted(EXPONENTS)))
def test_a_split_entry_balances_and_net_plus_tax_is_the_gross(gross, percent, currency):
    net, tax = split_gross(gross, percent)
    assert net + tax == gross
    exact = Decimal(gross) * percent / (100 + percent)
    assert abs(tax - exact) <= Decimal("0.5")
    rule = BankRule(account="6300", tax_code="X-1", tax_percent=percent, tax_account="2200")
    lines = (Line("1010", Money(-gross, currency)),  # the bank line: money out
             *rule.lines_for(-gross, currency, "card"))
    ctx = PostingContext(1, currency, {"1010": (1, True), "6300": (2, True),
                                       "2200": (3, True)}, {})
    if gross == 0:
        return
    prepared = prepare_lines(ctx, Entry(D, lines))
    assert sum(p.amount for p in prepared) == 0
    assert [p.tax_code for p in prepared] == [None] + ["X-1"] * (len(prepared) - 1)


def _taxed(n: int = 0) -> Entry:
    return Entry(D, (Line("6300", Money(10000 + n, "USD"), tax_code="GB-20"),
                     Line("2200", Money(2000, "USD"), tax_code="GB-20"),
                     Line("2010", Money(-12000 - n, "USD"), party="Office World")),
                 memo=f"bill {n}")


def codes(ledger: Ledger, entry_id: int | None = None) -> list[tuple[str, int, str | None]]:
    query = select(accounts.c.code, journal_lines.c.amount, journal_lines.c.tax_code).join(
        accounts, accounts.c.id == journal_lines.c.account_id).where(
        journal_lines.c.entity_id == ledger.entity.id).order_by(journal_lines.c.id)
    if entry_id is not None:
        query = query.where(journal_lines.c.entry_id == entry_id)
    with ledger.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


EXPECTED = [("6300", 10000, "GB-20"), ("2200", 2000, "GB-20"), ("2010", -12000, None)]


def test_post_reverse_and_read_keep_the_code(ledger):
    first = ledger.post(_taxed())
    assert codes(ledger, first) == EXPECTED
    assert [ln.tax_code for ln in ledger.entry(first).lines] == ["GB-20", "GB-20", None]
    back = ledger.reverse(first)
    assert codes(ledger, back) == [(a, -m, c) for a, m, c in EXPECTED]


def test_post_many_keeps_the_code_in_small_and_bulk_chunks(ledger):
    # 40 entries of 3 lines: 120 rows, past the size from which PostgreSQL takes COPY
    result = ledger.post_many([_taxed() for _ in range(40)])
    assert result.posted == 40
    assert codes(ledger) == EXPECTED * 40
    ledger.post_many([_taxed()])
    assert codes(ledger)[-3:] == EXPECTED


def test_a_posting_batch_keeps_the_code(ledger):
    with ledger.engine.begin() as conn:
        batch = PostingBatch(ledger, conn)
        batch.write([(e, batch.check(e)) for e in (_taxed(), _taxed())])
    assert codes(ledger) == EXPECTED * 2


def test_an_entry_file_line_may_carry_a_code(ledger):
    text = json.dumps({"date": "2026-03-02", "lines": [
        {"account": "6300", "debit": "100.00", "tax_code": "GB-20"},
        {"account": "2200", "debit": "20.00", "tax_code": "GB-20"},
        {"account": "2010", "credit": "120.00"}]})
    ledger.post_many(EntryReader(io.StringIO(text), "USD"))
    assert codes(ledger) == EXPECTED


BILL = {
    "type": "bill", "source": {"connection": "demo", "object_type": "bill", "external_id": "B-1"},
    "vendor": {"external_id": "ow", "name": "Office World"}, "number": "B-1",
    "issue_date": "2026-03-02", "currency": "USD",
    "lines": [{"description": "Paper", "amount": "100.00",
               "tax_lines": [{"jurisdiction": "GB", "percent": "20", "amount": "20.00"}]},
              {"description": "Stamps", "amount": "10.00",
               "tax_lines": [{"jurisdiction": "GB", "percent": "0", "amount": "0.00"}]}],
}


def test_posting_rules_put_the_code_on_tax_lines_and_the_lines_it_was_charged_on(ledger):
    rules = load_rules("accounts: {recoverable_tax: \"2200\", expense: \"6300\"}")
    applied = apply(ledger, add_connection_row(ledger), rules, BILL)
    assert applied.entry_id is not None
    assert codes(ledger) == [("6300", 10000, "GB-20"), ("6300", 1000, "ZERO"),
                             ("2200", 2000, "GB-20"), ("2010", -13000, None)]


def test_tax_counted_into_the_cost_still_codes_the_cost_line(ledger):
    doc = {**BILL, "lines": BILL["lines"][:1],
           "tax_lines": []}
    apply(ledger, add_connection_row(ledger), load_rules(None), doc)
    assert codes(ledger)[0] == ("6900", 12000, "GB-20")


def _taxed_invoice(number: str) -> dict:
    doc = invoice(number, "100.00", "8.25")
    doc["lines"][0]["tax_lines"][0]["percent"] = "8.25"
    return doc


@pytest.mark.parametrize("bulk", [True, False])
def test_the_sync_engine_stores_codes_in_bulk_and_one_by_one(ledger, bulk):
    hook = add_connection(ledger.engine, "hook", "webhook", settings={"secret": SECRET})
    from tests.sync.test_bulk_apply import _events

    with ledger.engine.begin() as conn:
        store_events(conn, hook.id, Channel.WEBHOOK,
                     _events([_taxed_invoice(f"INV-{n}") for n in range(30)]))
    with pytest.MonkeyPatch.context() as patch:
        if not bulk:
            patch.setattr(NewObjects, "plan", _refuse)
        Worker(ledger.engine, batch=100).run_until_idle()
    found = codes(ledger)
    assert len(found) == 90
    assert {(a, c) for a, _, c in found} == {("1100", None), ("4020", "US-TX-8.25"),
                                              ("2200", "US-TX-8.25")}


def _refuse(*_args: object, **_kwargs: object) -> bool:
    from ledgerbridge.sync.bulk_apply import OneByOne

    raise OneByOne


def store_tax_rate(ledger: Ledger, code: str, jurisdiction: str, percent: str) -> None:
    """A catalog TaxRate document, stored as the sync engine stores it."""
    apply(ledger, add_connection_row(ledger, f"catalog-{code}"), load_rules(None), {
        "type": "tax_rate", "source": {"connection": "catalog", "object_type": "tax_rate",
                                       "external_id": code},
        "name": f"{jurisdiction} {percent} %", "tax_code": code, "jurisdiction": jurisdiction,
        "percent": percent})


def test_exports_carry_the_code_as_line_metadata(ledger):
    ledger.post(_taxed())
    beancount, hledger = io.StringIO(), io.StringIO()
    write_beancount(ledger, beancount)
    write_hledger(ledger, hledger)
    assert beancount.getvalue().count('lb-tax-code: "GB-20"') == 2
    assert hledger.getvalue().count("; lb-tax-code:GB-20") == 2
