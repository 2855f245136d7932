import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from ledgerbridge.ledger import (
    Account,
    AccountType,
    Entry,
    Ledger,
    LedgerError,
    Line,
    Lineage,
    PeriodStatus,
    PostingError,
)
from ledgerbridge.money import Money
from ledgerbridge.store.tables import journal_lines

JAN = dt.date(2026, 1, 31)


def usd(text_amount):
    return Money.parse(text_amount, "USD")


def sale(amount="10.00", day=JAN, **kw):
    m = usd(amount)
    return Entry(day, (Line("1010", m), Line("4010", -m)), "sale", **kw)


def test_post_and_read_back_with_lineage(ledger):
    lineage = Lineage("stripe-main", "charge", "ch_123", "doc-1", "raw-9")
    entry_id = ledger.post(sale(lineage=lineage))
    posted = ledger.entry(entry_id)
    assert posted.lineage == lineage
    assert [(ln.account, ln.amount) for ln in posted.lines] == [
        ("1010", usd("10.00")),
        ("4010", usd("-10.00")),
    ]
    assert posted.lines[0].account_name == "Checking Account"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (Entry(JAN, (Line("1010", usd("10.00")), Line("4010", usd("-9.99")))),
         "does not balance in USD: debits 10.00 != credits 9.99 (difference 0.01)"),
        (Entry(JAN, (Line("1010", usd("10.00")), Line("9999", usd("-10.00")))),
         "unknown account '9999'"),
        (Entry(JAN, (Line("1010", usd("10.00")),)), "at least two lines"),
        (Entry(JAN, (Line("1010", usd("0")), Line("4010", usd("0")))), "moves no money"),
        (Entry(JAN, (Line("1010", Money.parse("10", "EUR")), Line("4010", usd("-10")))),
         "a EUR line needs a rate to USD"),
        (Entry(JAN, (Line("1010", usd("10"), rate=Decimal("2")), Line("4010", usd("-10")))),
         "a USD line cannot have a rate"),
    ],
)
def test_bad_entries_are_refused_with_the_reason(ledger, entry, message):
    with pytest.raises(PostingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ledger.post(entry)
    assert _line_count(ledger) == 0


def test_batch_is_all_or_nothing_and_names_the_entry(ledger):
    bad = Entry(JAN, (Line("1010", usd("1.00")), Line("4010", usd("-2.00"))))
    with pytest.raises(PostingError) as info:
        ledger.post_many([sale(), sale(), bad, sale()])
    assert info.value.record == "entry 3"
    assert _line_count(ledger) == 0


def test_inactive_account_is_refused(ledger):
    ledger.add_accounts([Account("6999", "Old", AccountType.EXPENSE, active=False)])
    m = usd("5")
    with pytest.raises(PostingError, match="inactive"):
        ledger.post(Entry(JAN, (Line("6999", m), Line("1010", -m))))


def test_foreign_currency_lines_keep_original_and_rate(ledger):
    eur = Money.parse("100.00", "EUR")
    entry_id = ledger.post(
        Entry(JAN, (Line("1100", eur, rate=Decimal("1.0857")),
                    Line("4020", -eur, rate=Decimal("1.0857"))))
    )
    lines = ledger.entry(entry_id).lines
    assert lines[0].amount == usd("108.57")
    assert lines[0].original == eur
    assert lines[0].rate == Decimal("1.0857")


def test_rounding_residue_is_allocated_so_the_entry_balances(ledger):
    # Three EUR 33.33 lines at 1.0857 round to 36.19 each (108.57) but their total,
    # EUR 99.99, is 108.56: the exact amounts balance, so the cent is allocated.
    rate = Decimal("1.0857")
    part = Money.parse("33.33", "EUR")
    lines = (Line("4010", -part, rate=rate),) * 3 + (
        Line("1100", Money.parse("99.99", "EUR"), rate=rate),
    )
    entry_id = ledger.post(Entry(JAN, lines))
    amounts = [ln.amount.minor for ln in ledger.entry(entry_id).lines]
    assert sum(amounts) == 0
    assert amounts[3] == 10856
    assert sorted(amounts[:3]) == [-3619, -3619, -3618]


def test_mixed_currencies_that_do_not_balance_are_refused(ledger):
    eur = Money.parse("100.00", "EUR")
    with pytest.raises(PostingError, match="does not balance"):
        ledger.post(Entry(JAN, (Line("1100", eur, rate=Decimal("1.10")),
                                Line("4020", usd("-108.57")))))


def test_idempotency_key_posts_once(ledger):
    first = ledger.post(sale(idempotency_key="evt-1"))
    assert ledger.post(sale(idempotency_key="evt-1")) == first
    result = ledger.post_many([sale(idempotency_key="evt-1"), sale(idempotency_key="evt-2"),
                               sale(idempotency_key="evt-2")])
    assert (result.posted, result.duplicates) == (1, 2)
    assert _line_count(ledger) == 4


def test_reversal_nets_to_zero_and_happens_once(ledger):
    eur = Money.parse("33.33", "EUR")
    original = ledger.post(Entry(JAN, (Line("1100", eur, rate=Decimal("1.0857")),
                                       Line("4020", -eur, rate=Decimal("1.0857")))))
    reversal = ledger.reverse(original, memo="wrong customer")
    assert ledger.entry(reversal).reverses_id == original
    assert ledger.entry(original).reversed_by_id == reversal
    assert _sum_by_account(ledger) == {}
    with pytest.raises(LedgerError, match=f"already reversed by entry {reversal}"):
        ledger.reverse(original)


def test_locked_period_refuses_posting_and_reversal(ledger):
    entry_id = ledger.post(sale())
    ledger.set_period("2026-01", PeriodStatus.LOCKED)
    with pytest.raises(PostingError, match="period 2026-01 is locked"):
        ledger.post(sale())
    with pytest.raises(PostingError, match="choose another date"):
        ledger.reverse(entry_id)
    with pytest.raises(PostingError, match="locked"):
        ledger.post(sale(), allow_closed=True)
    assert ledger.reverse(entry_id, date=dt.date(2026, 2, 1))
    ledger.set_period("2026-01", PeriodStatus.OPEN)
    assert ledger.post(sale())


def test_closed_period_needs_an_explicit_adjusting_entry(ledger):
    ledger.set_period("2026-01", PeriodStatus.CLOSED)
    with pytest.raises(PostingError, match="period 2026-01 is closed"):
        ledger.post(sale())
    assert ledger.post(sale(), allow_closed=True)
    assert ledger.periods() == {"2026-01": PeriodStatus.CLOSED}


def test_bad_period_name(ledger):
    with pytest.raises(LedgerError, match="not a month"):
        ledger.set_period("2026-13", PeriodStatus.LOCKED)


@pytest.mark.parametrize("statement", [
    "UPDATE journal_lines SET amount = amount + 1",
    "DELETE FROM journal_lines",
    "UPDATE journal_entries SET memo = 'edited'",
    "DELETE FROM journal_entries",
])
def test_posted_rows_cannot_be_changed_even_in_sql(ledger, statement):
    ledger.post(sale())
    with pytest.raises(DBAPIError, match="immutable"):
        with ledger.engine.begin() as conn:
            conn.execute(text(statement))
    assert _line_count(ledger) == 2


def test_entities_are_separate_books(engine):
    usd_book = Ledger.create(engine, entity="us", currency="USD",
                             chart=[Account("1", "Cash", AccountType.ASSET),
                                    Account("4", "Sales", AccountType.INCOME)])
    jpy_book = Ledger.create(engine, entity="jp", currency="JPY",
                             chart=[Account("1", "Cash", AccountType.ASSET),
                                    Account("4", "Sales", AccountType.INCOME)])
    yen = Money.parse("1500", "JPY")
    jpy_book.post(Entry(JAN, (Line("1", yen), Line("4", -yen))))
    assert _sum_by_account(usd_book) == {}
    assert sum(_sum_by_account(jpy_book).values()) == 0
    with pytest.raises(LedgerError, match="already exists"):
        Ledger.create(engine, entity="jp", currency="JPY")
    with pytest.raises(LedgerError, match="unknown currency"):
        Ledger.create(engine, entity="zz", currency="ZZZ")


# -- properties -------------------------------------------------------------------

ACCOUNTS = ["1010", "1100", "2010", "3010", "4010", "6100"]
CURRENCIES = {"USD": None, "EUR": Decimal("1.0857"), "JPY": Decimal("0.0067"),
              "KWD": Decimal("3.2571")}


@st.composite
def entries(draw):
    """Balanced entries in one currency each, some foreign."""
    currency = draw(st.sampled_from(sorted(CURRENCIES)))
    amounts = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=4))
    accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=len(amounts) + 1,
                             max_size=len(amounts) + 1))
    rate = CURRENCIES[currency]
    lines = [Line(a, Money(m, currency), rate) for a, m in zip(accounts, amounts, strict=False)]
    lines.append(Line(accounts[-1], Money(-sum(amounts), currency), rate))
    day = draw(st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)))
    return Entry(day, tuple(draw(st.permutations(lines))))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(entries(), min_size=1, max_size=8))
def test_every_posted_entry_balances_and_reversals_net_to_zero(ledger, batch):
    result = ledger.post_many(batch)
    ids = range(result.first_id, result.last_id + 1)
    for entry_id in ids:
        assert sum(ln.amount.minor for ln in ledger.entry(entry_id).lines) == 0
    before = _sum_by_account(ledger)
    for entry_id in ids:
        ledger.reverse(entry_id)
    after = _sum_by_account(ledger)
    assert all(after.get(k, 0) == 0 for k in set(before) | set(after))


def _line_count(ledger):
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(journal_lines)).scalar()


def _sum_by_account(ledger):
    query = (select(journal_lines.c.account_id, func.sum(journal_lines.c.amount))
             .where(journal_lines.c.entity_id == ledger.entity.id)
             .group_by(journal_lines.c.account_id))
    with ledger.engine.connect() as conn:
        return {a: int(s) for a, s in conn.execute(query) if int(s) != 0}
