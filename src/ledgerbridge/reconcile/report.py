"""The reconciliation report of one bank account at a date.

Three sections, one row each:

* ``balance``: per day with activity, the book balance of the account, the
  statement balance (the sum of its booked statement lines) and the difference;
* ``bank``: statement lines not reconciled yet, with their age in days and bucket;
* ``book``: lines on the account that no statement line has matched (cheques not
  yet cashed, deposits in transit), with their age.

Reconciled pairs carry equal amounts on both sides, so at the last day the
difference is exactly the unreconciled book lines less the unreconciled bank lines.
Statement lines held for review (probable duplicates) and pending ones are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import Connection, func, select

from ledgerbridge.ledger import Ledger
from ledgerbridge.money import Money
from ledgerbridge.reconcile.candidates import bank_account_id, linked_amounts, usable_entries
from ledgerbridge.report import Column, ColumnKind, Report, Row
from ledgerbridge.store.tables import bank_lines, journal_entries, journal_lines

__all__ = ["AGE_BUCKETS", "age_bucket", "reconciliation_report"]

AGE_BUCKETS = ((30, "0-30"), (60, "31-60"), (90, "61-90"))
OLDEST = "over 90"
_MONEY = ColumnKind.MONEY
COLUMNS = (
    Column("section", "Section"),
    Column("date", "Date", ColumnKind.DATE),
    Column("id", "Id", ColumnKind.INT),
    Column("description", "Description"),
    Column("book", "Book", _MONEY),
    Column("bank", "Bank", _MONEY),
    Column("difference", "Difference", _MONEY),
    Column("amount", "Amount", _MONEY),
    Column("age", "Age (days)", ColumnKind.INT),
    Column("bucket", "Age"),
)


def age_bucket(days: int) -> str:
    """The age bucket of something ``days`` old: 0-30, 31-60, 61-90 or over 90."""
    return next((name for limit, name in AGE_BUCKETS if days <= limit), OLDEST)


def _daily(conn: Connection, query) -> dict[dt.date, int]:  # noqa: ANN001 - a select
    return {day: int(total) for day, total in conn.execute(query)}


def _balances(book: dict[dt.date, int], bank: dict[dt.date, int]) -> Iterator[Row]:
    book_total = bank_total = 0
    for day in sorted(book.keys() | bank.keys()):
        book_total += book.get(day, 0)
        bank_total += bank.get(day, 0)
        yield {"section": "balance", "date": day, "book": book_total, "bank": bank_total,
               "difference": book_total - bank_total}


def _open_row(section: str, as_of: dt.date, id_: int, day: dt.date, amount: int,
              text: str | None) -> Row:
    age = (as_of - day).days
    return {"section": section, "date": day, "id": id_, "description": text or "",
            "amount": amount, "age": age, "bucket": age_bucket(age)}


def reconciliation_report(ledger: Ledger, account: str = "1010", *,
                          as_of: dt.date) -> Report:
    """Book against statement balance per day, then what is not reconciled, aged."""
    currency = ledger.entity.functional_currency
    with ledger.engine.connect() as conn:
        account_id = bank_account_id(conn, ledger, account)
        on_book = (journal_lines.c.entity_id == ledger.entity.id,
                   journal_lines.c.account_id == account_id, journal_lines.c.date <= as_of)
        on_statement = (bank_lines.c.account_id == account_id,
                        bank_lines.c.booking_date <= as_of, bank_lines.c.pending.is_(False),
                        bank_lines.c.status.in_(("unreconciled", "reconciled")),
                        bank_lines.c.currency == currency)
        book = _daily(conn, select(journal_lines.c.date, func.sum(journal_lines.c.amount))
                      .where(*on_book).group_by(journal_lines.c.date))
        bank = _daily(conn, select(bank_lines.c.booking_date, func.sum(bank_lines.c.amount))
                      .where(*on_statement).group_by(bank_lines.c.booking_date))
        rows = list(_balances(book, bank))
        open_bank = [
            _open_row("bank", as_of, r.id, r.booking_date, r.amount, r.description)
            for r in conn.execute(
                select(bank_lines.c.id, bank_lines.c.booking_date, bank_lines.c.amount,
                       bank_lines.c.description)
                .where(*on_statement, bank_lines.c.status == "unreconciled")
                .order_by(bank_lines.c.booking_date, bank_lines.c.id))
        ]
        linked = linked_amounts(conn, ledger)
        open_book = [
            _open_row("book", as_of, r.entry_id, r.date, r.amount - linked.get(r.id, 0),
                      r.memo or r.entry_memo)
            for r in conn.execute(
                select(journal_lines.c.id, journal_lines.c.entry_id, journal_lines.c.date,
                       journal_lines.c.amount, journal_lines.c.memo,
                       journal_entries.c.memo.label("entry_memo"))
                .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
                .where(usable_entries(ledger), *on_book)
                .order_by(journal_lines.c.date, journal_lines.c.id))
            if r.amount != linked.get(r.id, 0)
        ]
    last = rows[-1] if rows else {"book": 0, "bank": 0, "difference": 0}
    buckets = {name: 0 for _, name in (*AGE_BUCKETS, (0, OLDEST))}
    for row in open_bank:
        buckets[row["bucket"]] += 1
    return Report(
        title=f"Bank reconciliation of account {account}",
        subtitle=f"{ledger.entity.name} - as of {as_of.isoformat()}",
        columns=COLUMNS,
        rows=[*rows, *open_bank, *open_book],
        currency=currency,
        meta={
            "account": account, "as_of": as_of,
            "book_balance": Money(last["book"], currency),
            "bank_balance": Money(last["bank"], currency),
            "difference": Money(last["difference"], currency),
            "unreconciled_bank": Money(sum(r["amount"] for r in open_bank), currency),
            "unreconciled_book": Money(sum(r["amount"] for r in open_book), currency),
            "bank_lines_by_age": buckets,
        },
        rows_key="rows",
    )
