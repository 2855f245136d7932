"""Period balances: the monthly table always equals the journal, and reports read it exactly."""

import datetime as dt
import itertools
import threading
from collections import defaultdict
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, text

from ledgerbridge.ledger import Entry, Ledger, Line
from ledgerbridge.ledger.balances import month_range
from ledgerbridge.ledger.book import PostingBatch
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.ledger.reports import (
    balance_sheet,
    cash_flow,
    general_ledger,
    income_statement,
    trial_balance,
)
from ledgerbridge.money import Money
from ledgerbridge.report import to_json_obj
from ledgerbridge.store import upgrade
from ledgerbridge.store.tables import (
    entities,
    journal_entries,
    journal_lines,
    monthly_balances,
)
from tests.store.test_migrations import empty_engine  # noqa: F401 - a fixture used below

D = dt.date
_jl = journal_lines
ACCOUNTS = ("1010", "1100", "1510", "2010", "2500", "3010", "3900", "4010", "5000", "6100")
FIRST_DAY = D(2025, 11, 1)
LAST_DAY = D(2026, 4, 30)
BOUNDARIES = [day for n in range((LAST_DAY - FIRST_DAY).days + 1)
              if (day := FIRST_DAY + dt.timedelta(days=n)).day in (1, 28, 29, 30, 31)]

days = st.integers(0, (LAST_DAY - FIRST_DAY).days).map(lambda n: FIRST_DAY + dt.timedelta(n))
any_day = st.one_of(days, st.sampled_from(BOUNDARIES))  # month edges come up often


@st.composite
def entries(draw):
    """A balanced entry of one or two debit/credit pairs (an account may meet itself)."""
    lines = []
    for _ in range(draw(st.integers(1, 2))):
        debit, credit = draw(st.sampled_from(ACCOUNTS)), draw(st.sampled_from(ACCOUNTS))
        amount = draw(st.integers(1, 10**9))
        lines += [Line(debit, Money(amount, "USD")), Line(credit, Money(-amount, "USD"))]
    return Entry(draw(any_day), tuple(lines))


operations = st.lists(st.one_of(
    st.tuples(st.just("post"), entries()),
    st.tuples(st.just("bulk"), st.lists(entries(), min_size=1, max_size=5)),
    st.tuples(st.just("batch"), st.lists(entries(), min_size=1, max_size=3)),
    st.tuples(st.just("reverse"), st.integers(0, 1000), st.none() | any_day),
), min_size=1, max_size=8)
ranges = st.lists(st.tuples(any_day, any_day).map(sorted), min_size=1, max_size=3)
_entities = itertools.count(1)


def apply(book: Ledger, ops) -> None:
    """Post, bulk-post, batch-write and reverse as ``ops`` say, each in its own transaction."""
    for op in ops:
        if op[0] == "post":
            book.post(op[1])
        elif op[0] == "bulk":
            book.post_many(op[1])
        elif op[0] == "batch":
            with book.engine.begin() as conn:
                batch = PostingBatch(book, conn)
                batch.write([(entry, batch.check(entry)) for entry in op[1]])
        else:
            _, pick, day = op
            reversal = journal_entries.alias("reversal")
            open_ids = select(journal_entries.c.id).where(
                journal_entries.c.entity_id == book.entity.id,
                ~select(reversal.c.id).where(reversal.c.reverses_id == journal_entries.c.id)
                .exists(),
            ).order_by(journal_entries.c.id)
            with book.engine.connect() as conn:
                ids = conn.execute(open_ids).scalars().all()
            if ids:
                book.reverse(ids[pick % len(ids)], date=day)


def journal_months(engine, entity_id: int) -> dict[tuple[int, dt.date], int]:
    """The slow reference: every journal line summed per account and month in Python."""
    totals: dict[tuple[int, dt.date], int] = defaultdict(int)
    with engine.connect() as conn:
        lines = conn.execute(select(_jl.c.account_id, _jl.c.date, _jl.c.amount)
                             .where(_jl.c.entity_id == entity_id))
        for account_id, day, amount in lines:
            totals[account_id, day.replace(day=1)] += amount
    return dict(totals)


def table_months(engine, entity_id: int) -> dict[tuple[int, dt.date], int]:
    """What monthly_balances holds for the entity, its shards added up."""
    mb = monthly_balances
    with engine.connect() as conn:
        rows = conn.execute(select(mb.c.account_id, mb.c.month, func.sum(mb.c.amount))
                            .where(mb.c.entity_id == entity_id)
                            .group_by(mb.c.account_id, mb.c.month))
        return {(account_id, month): int(amount) for account_id, month, amount in rows}


def full_scan(conn, ledger, start, end, account_ids):
    """The reports' balances as computed before period balances: one scan of the lines."""
    query = (select(_jl.c.account_id, func.sum(_jl.c.amount))
             .where(_jl.c.entity_id == ledger.entity.id, _jl.c.account_id.in_(list(account_ids)))
             .group_by(_jl.c.account_id))
    if start is not None:
        query = query.where(_jl.c.date >= start)
    if end is not None:
        query = query.where(_jl.c.date <= end)
    return {account_id: int(net) for account_id, net in conn.execute(query)}


def reports(book: Ledger, start: dt.date, end: dt.date) -> list[dict]:
    """Every balance-based report (and two account pages) for one range, as JSON objects."""
    built = [
        trial_balance(book, start=start, end=end),
        trial_balance(book, end=end),
        balance_sheet(book, end=end),
        income_statement(book, start=start, end=end),
        cash_flow(book, start=start, end=end),
        general_ledger(book, "1010", start=start, end=end),
        general_ledger(book, "4010", start=start),
    ]
    return [to_json_obj(report) for report in built]


# -- the split of a date range ----------------------------------------------------------


def test_month_range_examples():
    assert month_range(D(2026, 1, 1), D(2026, 3, 31)) == ((D(2026, 1, 1), D(2026, 4, 1)), [])
    assert month_range(D(2026, 1, 15), D(2026, 3, 10)) == (
        (D(2026, 2, 1), D(2026, 3, 1)), [(D(2026, 1, 15), D(2026, 1, 31)),
                                         (D(2026, 3, 1), D(2026, 3, 10))])
    assert month_range(D(2026, 1, 15), D(2026, 2, 10)) == (
        None, [(D(2026, 1, 15), D(2026, 2, 10))])
    assert month_range(None, D(2024, 2, 29)) == ((None, D(2024, 3, 1)), [])
    assert month_range(D(2026, 12, 2), None) == (
        (D(2027, 1, 1), None), [(D(2026, 12, 2), D(2026, 12, 31))])
    assert month_range(None, None) == ((None, None), [])
    last = dt.date.max
    assert month_range(D(9999, 12, 2), None) == (None, [(D(9999, 12, 2), last)])
    assert month_range(D(9999, 11, 1), last) == ((D(9999, 11, 1), None), [])
    assert month_range(None, D(1, 1, 5)) == ((None, D(1, 1, 1)), [(D(1, 1, 1), D(1, 1, 5))])


@given(start=st.none() | any_day, end=st.none() | any_day)
def test_month_range_covers_every_day_of_the_range_once(start, end):
    (months, edges) = month_range(start, end)
    if months is not None:
        first, stop = months
        assert all(day is None or day.day == 1 for day in (first, stop))
    for n in range(-40, (LAST_DAY - FIRST_DAY).days + 40):
        day = FIRST_DAY + dt.timedelta(days=n)
        wanted = (start is None or day >= start) and (end is None or day <= end)
        in_months = months is not None and (months[0] is None or day >= months[0]) and (
            months[1] is None or day < months[1])
        in_edges = sum(lo <= day <= hi for lo, hi in edges)
        assert in_months + in_edges == wanted


# -- the invariant and the reports, on SQLite and PostgreSQL -----------------------------


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, periods=ranges)
def test_period_balances_equal_the_journal_and_reports_match_a_full_scan(engine, ops, periods):
    book = Ledger.create(engine, entity=f"mix{next(_entities)}", chart=standard_chart())
    apply(book, ops)
    assert table_months(engine, book.entity.id) == journal_months(engine, book.entity.id)
    for start, end in periods:
        fast = reports(book, start, end)
        with patch("ledgerbridge.ledger.reports._balances", full_scan):
            slow = reports(book, start, end)
        assert fast == slow


def test_an_account_month_that_nets_to_zero_still_shows_in_the_trial_balance(ledger):
    first = ledger.post(Entry(D(2026, 2, 10), (Line("6100", Money(500, "USD")),
                                               Line("1010", Money(-500, "USD")))))
    ledger.reverse(first)
    assert table_months(ledger.engine, ledger.entity.id) == journal_months(
        ledger.engine, ledger.entity.id)
    feb = trial_balance(ledger, start=D(2026, 2, 1), end=D(2026, 2, 28))
    assert [(r["account"], r["debit"], r["credit"]) for r in feb.rows] == [
        ("1010", 0, 0), ("6100", 0, 0)]


def test_reports_at_the_ends_of_the_calendar(ledger):
    ledger.post(Entry(D(2026, 2, 10), (Line("1010", Money(500, "USD")),
                                       Line("4010", Money(-500, "USD")))))
    first, last = dt.date.min, dt.date.max
    assert income_statement(ledger, start=D(9999, 12, 2), end=last).meta["net_income"] == (
        Money(0, "USD"))
    assert cash_flow(ledger, start=first, end=last).meta["closing_cash"] == Money(500, "USD")
    assert general_ledger(ledger, "1010", start=first).meta["closing_balance"] == (
        Money(500, "USD"))
    assert trial_balance(ledger, end=last).totals == {"debit": 500, "credit": 500}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def _race(ledger, poster, errors: list[BaseException], *, step: int) -> None:
    """Run ``poster`` in four threads, every other one backwards; the table must agree."""
    threads = [threading.Thread(target=poster, args=(i % 2 == 1, step * (i + 1)))
               for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert table_months(ledger.engine, ledger.entity.id) == journal_months(
        ledger.engine, ledger.entity.id)


def test_concurrent_posters_in_opposite_account_order_do_not_deadlock(ledger):
    """Each poster upserts the same account-months, half of them listing them backwards."""
    codes = list(ACCOUNTS[:6])
    errors: list[BaseException] = []

    def poster(reverse: bool, seed: int) -> None:
        order = codes[::-1] if reverse else codes
        try:
            for n in range(15):
                batch = [Entry(D(2026, 3, 1 + k), (Line(a, Money(seed + n, "USD")),
                                                   Line(b, Money(-seed - n, "USD"))))
                         for k, (a, b) in enumerate(itertools.pairwise(order))]
                ledger.post_many(batch)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    _race(ledger, poster, errors, step=100)


def test_workers_posting_several_entries_per_transaction_do_not_deadlock(ledger):
    """Like sync workers: one transaction, several posts, accounts met in opposite orders.

    Each thread posts its first entry, waits until every thread has, then posts the
    second: row locks taken at each post would cross and deadlock on PostgreSQL.
    """
    if ledger.engine.dialect.name == "sqlite":
        pytest.skip("SQLite lets one writer in at a time: there are no row locks to cross")
    codes = list(ACCOUNTS[:4])
    errors: list[BaseException] = []
    barrier = threading.Barrier(4, timeout=20)

    def worker(reverse: bool, amount: int) -> None:
        first, second = (codes[:2], codes[2:]) if not reverse else (codes[2:], codes[:2])
        try:
            with ledger.engine.begin() as conn:
                for pair in (first, second):
                    ledger.post(Entry(D(2026, 5, 2), (Line(pair[0], Money(amount, "USD")),
                                                      Line(pair[1], Money(-amount, "USD")))),
                                conn=conn)
                    if pair is first:
                        barrier.wait()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    _race(ledger, worker, errors, step=10)


def test_a_rolled_back_savepoint_drops_its_sums(ledger):
    a, b = ACCOUNTS[:2]
    with ledger.engine.begin() as conn:
        ledger.post(Entry(D(2026, 6, 1), (Line(a, Money(5, "USD")), Line(b, Money(-5, "USD")))),
                    conn=conn)
        savepoint = conn.begin_nested()
        ledger.post(Entry(D(2026, 6, 2), (Line(a, Money(7, "USD")), Line(b, Money(-7, "USD")))),
                    conn=conn)
        savepoint.rollback()
    with pytest.raises(RuntimeError), ledger.engine.begin() as conn:
        ledger.post(Entry(D(2026, 6, 3), (Line(a, Money(9, "USD")), Line(b, Money(-9, "USD")))),
                    conn=conn)
        raise RuntimeError("the caller gives up")
    assert table_months(ledger.engine, ledger.entity.id) == journal_months(
        ledger.engine, ledger.entity.id)
    assert sorted(table_months(ledger.engine, ledger.entity.id).values()) == [-5, 5]


# -- the migration fills the table from the journal --------------------------------------


@pytest.fixture
def engine_at_0006(empty_engine):  # noqa: F811 - the imported fixture
    """An empty database (SQLite, PostgreSQL) migrated up to the revision before this table."""
    upgrade(empty_engine, "0006")
    return empty_engine


def test_migration_backfills_period_balances_from_posted_lines(engine_at_0006):
    engine = engine_at_0006
    lines = [  # entity, day, account, amount: two entities, a month that nets to zero
        (1, D(2025, 12, 31), 1, 700), (1, D(2025, 12, 31), 2, -700),
        (1, D(2026, 1, 1), 1, 250), (1, D(2026, 1, 20), 1, -250), (1, D(2026, 1, 1), 2, 0),
        (1, D(2026, 1, 31), 2, -40), (1, D(2026, 1, 31), 1, 40),
        (1, D(2026, 2, 3), 2, 5), (1, D(2026, 2, 27), 2, -5),
        (2, D(2026, 1, 5), 3, 9), (2, D(2026, 1, 5), 4, -9),
    ]
    with engine.begin() as conn:
        conn.execute(insert(entities), [{"id": 1, "code": "a", "name": "A",
                                         "functional_currency": "USD"},
                                        {"id": 2, "code": "b", "name": "B",
                                         "functional_currency": "USD"}])
        conn.execute(text("INSERT INTO accounts (id, entity_id, code, name, type) VALUES "
                          "(1, 1, '1010', 'Bank', 'asset'), (2, 1, '4010', 'Sales', 'income'),"
                          " (3, 2, '1010', 'Bank', 'asset'), (4, 2, '4010', 'Sales', 'income')"))
        for n, (entity_id, day, account_id, amount) in enumerate(lines, start=1):
            conn.execute(insert(journal_entries).values(id=n, entity_id=entity_id, date=day))
            conn.execute(insert(journal_lines).values(
                entry_id=n, entity_id=entity_id, date=day, line_no=1, account_id=account_id,
                amount=amount, currency="USD", original_amount=amount))
    upgrade(engine, "0007")
    assert table_months(engine, 1) == journal_months(engine, 1) == {
        (1, D(2025, 12, 1)): 700, (2, D(2025, 12, 1)): -700,
        (1, D(2026, 1, 1)): 40, (2, D(2026, 1, 1)): -40, (2, D(2026, 2, 1)): 0,
    }
    assert table_months(engine, 2) == {(3, D(2026, 1, 1)): 9, (4, D(2026, 1, 1)): -9}
