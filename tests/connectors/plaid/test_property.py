"""Any history at the bank, read at any moments in any page size: the bank book equals it."""

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.money import parse_minor
from ledgerbridge.store.tables import bank_lines
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.sync.worker import Worker
from tests.connectors.plaid.conftest import Bank, connect

D = dt.date(2026, 11, 1)
_names = itertools.count(1)

amounts = st.one_of(st.sampled_from(["4.50", "-4.50", "10.00", "0.01", "-1250.00"]),
                    st.integers(-100_000, 100_000).map(lambda c: str(Decimal(c).scaleb(-2))))
days = st.integers(0, 6).map(lambda n: (D + dt.timedelta(days=n)).isoformat())
change = st.one_of(
    st.tuples(st.just("add"), amounts, days, st.booleans(), st.integers(0, 1)),
    st.tuples(st.just("modify"), st.integers(0, 99), amounts, days),
    st.tuples(st.just("remove"), st.integers(0, 99)),
    st.tuples(st.just("post"), st.integers(0, 99), days, st.booleans()),
)
rounds = st.lists(st.lists(change, max_size=8), min_size=1, max_size=5)  # a read after each


def expected(sandbox, item):
    codes = {item.accounts[0]["account_id"]: "1010", item.accounts[1]["account_id"]: "1020"}
    return sorted(
        (t["transaction_id"], codes[t["account_id"]], -parse_minor(t["amount"], "USD"),
         t["pending"], (t["authorized_date"] if t["pending"] else t["date"]))
        for t in item.current.values())


def stored(ledger):
    query = select(bank_lines).where(bank_lines.c.entity_id == ledger.entity.id)
    with ledger.engine.connect() as conn:
        rows = list(conn.execute(query))
    codes = {r.account_id for r in rows}
    assert {r.status for r in rows} <= {"unreconciled"}, [r.review_reason for r in rows]
    assert len(codes) <= 2
    return sorted((r.bank_reference, _code(ledger, r.account_id), r.amount, r.pending,
                   r.booking_date.isoformat()) for r in rows)


def _code(ledger, account_id):
    from ledgerbridge.store.tables import accounts

    with ledger.engine.connect() as conn:
        return conn.execute(select(accounts.c.code).where(
            accounts.c.id == account_id)).scalar_one()


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=rounds, count=st.integers(1, 4))
def test_the_bank_book_follows_any_history(engine, live_plaid, history, count):
    url, sandbox = live_plaid
    n = next(_names)
    ledger = Ledger.create(engine, entity=f"prop{n}", chart=standard_chart())
    item = sandbox.new_item(None)
    bank = Bank(url, item.access_token, item.item_id, [a["account_id"] for a in item.accounts])
    connection = connect(ledger, bank, name=f"plaid-{n}", count=count,
                         accounts={bank.accounts[0]: "1010", bank.accounts[1]: "1020"})
    worker = Worker(engine)

    def sync():
        (result,) = poll_connection(engine, connection)
        assert result.error is None, result.error
        worker.run_until_idle()
        assert stored(ledger) == expected(sandbox, item)

    for changes in history:
        for op in changes:
            current = list(item.current)
            pending = [t for t in current if item.current[t]["pending"]]
            if op[0] == "add":
                _, amount, day, is_pending, account = op
                sandbox.add_transaction(item, {"amount": amount, "date": day,
                                               "pending": is_pending,
                                               "account_id": bank.accounts[account]})
            elif op[0] == "modify" and current:
                _, index, amount, day = op
                sandbox.modify_transaction(item, current[index % len(current)],
                                           {"amount": amount, "date": day})
            elif op[0] == "remove" and current:
                sandbox.remove_transaction(item, current[op[1] % len(current)])
            elif op[0] == "post" and pending:
                _, index, day, link = op
                sandbox.post_transaction(item, pending[index % len(pending)], {"date": day},
                                         link=link)
        sync()
