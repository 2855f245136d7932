"""Reading /transactions/sync into the bank book, without webhooks: poll, then work."""

import datetime as dt
import json

import httpx
from sqlalchemy import select, update

from ledgerbridge.ledger import Entry, Line, Lineage
from ledgerbridge.money import Money
from ledgerbridge.store.tables import bank_imports, inbox, stream_state
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.sync.worker import Worker
from tests.connectors.plaid.conftest import book, connect

D = "2026-11-20"


def sync(ledger, connection, **kw):
    (result,) = poll_connection(ledger.engine, connection, **kw)
    Worker(ledger.engine).run_until_idle()
    return result


def inbox_rows(ledger):
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(inbox).order_by(inbox.c.id)))


def emulator_state(url):
    return httpx.get(f"{url}/_emulator/state").json()


def test_pages_land_in_the_bank_book_with_their_import_lineage(ledger, bank):
    connection = connect(ledger, bank, count=2)
    ids = [bank.add(f"{n}.25", date=D, name=f"CARD {n}") for n in range(1, 6)]
    result = sync(ledger, connection)
    assert (result.read, result.stored, result.error) == (3, 3, None)  # 5 lines, pages of 2
    lines = book(ledger)
    assert [r.bank_reference for r in lines] == ids
    assert [r.amount for r in lines] == [-125, -225, -325, -425, -525]
    assert {r.status for r in lines} == {"unreconciled"} and not any(r.pending for r in lines)
    with ledger.engine.connect() as conn:
        imports = list(conn.execute(select(bank_imports).order_by(bank_imports.c.id)))
        cursor = json.loads(conn.execute(select(stream_state.c.cursor)).scalar_one())
    assert len(imports) == 3 and all(i.format == "plaid" for i in imports)
    assert imports[0].file_name.startswith(f"plaid:{bank.item_id}:")
    page = json.loads(imports[0].content)
    assert [t["transaction_id"] for t in page["added"]] == ids[:2]
    assert imports[-1].file_name == f"plaid:{bank.item_id}:{cursor}"  # the last page's cursor
    assert {r.import_id for r in lines} == {i.id for i in imports}


def test_the_next_read_starts_at_the_cursor_and_repeats_nothing(ledger, bank):
    connection = connect(ledger, bank)
    bank.add("10.00", date=D)
    sync(ledger, connection)
    again = sync(ledger, connection)
    assert (again.read, again.stored) == (0, 0)
    bank.add("20.00", date=D)
    assert sync(ledger, connection).stored == 1
    assert [r.amount for r in book(ledger)] == [-1000, -2000]


def test_a_backfill_rereads_everything_and_adds_nothing(ledger, bank):
    connection = connect(ledger, bank, count=1)
    for n in range(3):
        bank.add(f"{n + 1}.00", date=D)
    sync(ledger, connection)
    before = [(r.id, r.amount, r.status) for r in book(ledger)]
    result = sync(ledger, connection, since=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert (result.read, result.stored) == (3, 0)  # the same pages: the inbox drops them
    # an overlapping read cut into other pages: stored, and the bank book drops it
    other = connect(ledger, bank, name="plaid-2", count=2)
    assert sync(ledger, other).stored == 2
    assert [(r.id, r.amount, r.status) for r in book(ledger)] == before


def test_pending_then_posted_is_one_line(ledger, bank):
    connection = connect(ledger, bank)
    pending = bank.add("59.99", date=D, pending=True, name="AMZN MKTP")
    sync(ledger, connection)
    (line,) = book(ledger)
    assert (line.pending, line.bank_reference) == (True, pending)
    posted = bank.post(pending, date="2026-11-22", name="AMAZON MARKETPLACE")
    sync(ledger, connection)
    (after,) = book(ledger)
    assert after.id == line.id
    assert (after.pending, after.bank_reference, after.booking_date, after.amount) == (
        False, posted, dt.date(2026, 11, 22), -5999)


def test_posted_without_a_link_replaces_the_pending_line_too(ledger, bank):
    connection = connect(ledger, bank)
    other = bank.add("59.99", date=D, pending=True, name="ANOTHER SAME-PRICE BUY")
    pending = bank.add("59.99", date=D, pending=True, name="AMZN MKTP")
    sync(ledger, connection)
    posted = bank.post(pending, link=False, date="2026-11-22")
    sync(ledger, connection)
    assert sorted((r.bank_reference, r.pending) for r in book(ledger)) == sorted(
        [(other, True), (posted, False)])


def test_a_modified_transaction_updates_its_line(ledger, bank):
    connection = connect(ledger, bank)
    txn = bank.add("20.00", date=D, pending=True, name="RESTAURANT")
    sync(ledger, connection)
    bank.modify(txn, amount="24.00", merchant_name="Chez Nous")  # the tip came in
    sync(ledger, connection)
    (line,) = book(ledger)
    assert (line.amount, line.counterparty, line.bank_reference) == (-2400, "Chez Nous", txn)


def test_a_removed_transaction_removes_its_line(ledger, bank):
    connection = connect(ledger, bank)
    keep = bank.add("5.00", date=D)
    gone = bank.add("7.00", date=D, pending=True)
    sync(ledger, connection)
    bank.remove(gone)
    sync(ledger, connection)
    assert [r.bank_reference for r in book(ledger)] == [keep]


def invoice(ledger, party, amount, number):
    usd = Money.parse(amount, "USD")
    ledger.post(Entry(date=dt.date(2026, 11, 20), memo=f"Invoice {number}",
                      lineage=Lineage(document_id=number),
                      lines=(Line("1100", usd, party=party), Line("4010", -usd))))


def test_a_reconciled_line_that_is_removed_or_changed_goes_to_review(ledger, bank):
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    invoice(ledger, "Globex Ltd", "99.00", "INV-1002")
    connection = connect(ledger, bank)
    paid = bank.add("-1250.00", date="2026-11-21", name="PAYMENT INV-1001 ACME CORP")
    other = bank.add("-99.00", date="2026-11-21", name="GLOBEX LTD INV-1002")
    sync(ledger, connection)  # the worker reconciles the account once it has committed
    assert {r.status for r in book(ledger)} == {"reconciled"}
    bank.remove(paid)
    bank.modify(other, amount="-90.00")
    bank.add("1.00", date=D)
    sync(ledger, connection)
    lines = {r.bank_reference: r for r in book(ledger)}
    assert lines[paid].status == "review" and "withdrew this line after reconciliation" in \
        lines[paid].review_reason
    assert lines[other].status == "review" and lines[other].amount == 9900  # kept
    assert "changed this line after it was reconciled" in lines[other].review_reason
    assert "now 90.00 USD on 2026-11-21" in lines[other].review_reason, lines[other].review_reason
    sync(ledger, connection)
    assert len(book(ledger)) == 3


def test_jpy_and_three_decimal_amounts_are_exact(ledger, bank):
    yen = bank.open_account(name="Yen", iso_currency_code="JPY")
    dinar = bank.open_account(name="Dinar", iso_currency_code="KWD")
    connection = connect(ledger, bank, accounts={yen: "1010", dinar: "1020",
                                                 bank.accounts[0]: "1010"})
    bank.add("1500", account_id=yen, date=D)
    bank.add("-987654", account_id=yen, date=D)
    bank.add("12.345", account_id=dinar, date=D)
    bank.add("-0.001", account_id=dinar, date=D)
    bank.add("0.30", date=D)
    sync(ledger, connection)
    assert [(r.amount, r.currency) for r in book(ledger)] == [
        (-1500, "JPY"), (987654, "JPY"), (-12345, "KWD"), (1, "KWD"), (-30, "USD")]


def test_an_unmapped_account_is_dead_lettered_naming_it(ledger, bank):
    connection = connect(ledger, bank)
    bank.add("3.00", date=D, account_id=bank.accounts[1])
    sync(ledger, connection)
    (row,) = inbox_rows(ledger)
    assert row.status == "dead"
    assert f"Plaid account '{bank.accounts[1]}' is not mapped" in row.last_error
    assert book(ledger) == []


def test_an_account_mapped_to_null_is_left_out(ledger, bank):
    connection = connect(ledger, bank, accounts={bank.accounts[0]: "1010",
                                                 bank.accounts[1]: None})
    bank.add("3.00", date=D, account_id=bank.accounts[1])
    bank.add("4.00", date=D)
    sync(ledger, connection)
    assert [r.amount for r in book(ledger)] == [-400]


def test_an_unknown_currency_is_dead_lettered_naming_it(ledger, bank):
    coin = bank.open_account(name="Coins", unofficial_currency_code="DOGE")
    connection = connect(ledger, bank, accounts={coin: "1010"})
    txn = bank.add("42.5", account_id=coin, date=D)
    sync(ledger, connection)
    (row,) = inbox_rows(ledger)
    assert row.status == "dead"
    assert txn in row.last_error and "unofficial_currency_code 'DOGE'" in row.last_error


def test_a_change_during_pagination_restarts_from_the_first_cursor(ledger, bank):
    connection = connect(ledger, bank, count=1)
    for n in range(3):
        bank.add(f"{n + 1}.00", date=D)
    bank.call("/_emulator/pagination/mutate", transactions=[{"amount": "9.00", "date": D}])
    requests = emulator_state(bank.url)["sync_requests"]
    result = sync(ledger, connection)
    assert result.error is None
    # page 1, the refused page 2, then all 4 pages again from the first cursor
    assert emulator_state(bank.url)["sync_requests"] - requests == 1 + 1 + 4
    assert sorted(r.amount for r in book(ledger)) == [-900, -300, -200, -100]


def test_plaid_errors_are_reported_without_secrets(ledger, bank):
    bad = connect(ledger, bank, name="bad-token", access_token="access-sandbox-nope")
    (result,) = poll_connection(ledger.engine, bad)
    assert "INVALID_ACCESS_TOKEN" in result.error and "access-sandbox-nope" not in result.error
    wrong = connect(ledger, bank, name="bad-keys", secret="wrong-secret")
    (result,) = poll_connection(ledger.engine, wrong)
    assert "INVALID_API_KEYS" in result.error and "wrong-secret" not in result.error
    assert inbox_rows(ledger) == []


def test_an_unreachable_plaid_is_a_temporary_failure(ledger, bank):
    connection = connect(ledger, bank, base_url="http://127.0.0.1:9")
    (result,) = poll_connection(ledger.engine, connection)
    assert "ConnectError" in result.error


def test_pages_of_one_feed_are_applied_in_the_order_they_were_read(ledger, bank):
    connection = connect(ledger, bank)
    txn = bank.add("10.00", date=D)
    poll_connection(ledger.engine, connection)
    bank.modify(txn, amount="20.00")
    poll_connection(ledger.engine, connection)
    first, second = inbox_rows(ledger)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with ledger.engine.begin() as conn:  # the first page is busy elsewhere, or failed
        conn.execute(update(inbox).where(inbox.c.id == first.id).values(
            status="failed", next_attempt_at=later))
    Worker(ledger.engine).run_until_idle()
    waiting = inbox_rows(ledger)[1]
    assert (waiting.status, waiting.depends_on) == ("waiting", f"feed-batch:{first.id}")
    assert book(ledger) == []
    with ledger.engine.begin() as conn:
        conn.execute(update(inbox).where(inbox.c.id == first.id).values(next_attempt_at=None))
    Worker(ledger.engine).run_until_idle()
    assert [r.status for r in inbox_rows(ledger)] == ["posted", "posted"]
    assert [r.amount for r in book(ledger)] == [-2000]  # not the older -1000
    assert second.id == waiting.id


def test_plaids_category_is_kept_on_the_bank_line_and_follows_a_change(ledger, bank):
    connection = connect(ledger, bank)
    fee = {"primary": "BANK_FEES", "detailed": "BANK_FEES_OVERDRAFT_FEES",
           "confidence_level": "HIGH"}
    txn_id = bank.add("35.00", date=D, name="OVERDRAFT FEE", personal_finance_category=fee)
    sync(ledger, connection)
    [line] = book(ledger)
    assert (line.category_code, line.kind, line.mcc) == ("BANK_FEES_OVERDRAFT_FEES", "fee", None)
    bank.modify(txn_id, personal_finance_category={**fee, "detailed": "BANK_FEES_OTHER_BANK_FEES"})
    sync(ledger, connection)
    [line] = book(ledger)
    assert line.category_code == "BANK_FEES_OTHER_BANK_FEES"
