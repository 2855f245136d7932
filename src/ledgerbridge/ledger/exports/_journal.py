"""Reading an entity's journal for export: one consistent snapshot, streamed.

The chart, the first use of each account and currency (small aggregates) are read
first; entries then stream from one ordered query over journal_entries,
journal_lines and accounts, grouped into entries while iterating, so memory holds
one entry at a time whatever the size of the journal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from operator import attrgetter
from typing import TextIO

from sqlalchemy import ColumnElement, Connection, Row, Select, func, select

from ledgerbridge.ledger.book import Ledger
from ledgerbridge.ledger.model import (
    AccountType,
    JournalEntry,
    JournalLine,
    LedgerError,
    Lineage,
)
from ledgerbridge.money import Money, currency_exponent, format_minor
from ledgerbridge.store.tables import accounts, journal_entries, journal_lines

__all__ = [
    "ExportAccount",
    "Journal",
    "Progress",
    "ProgressCounter",
    "half_unit",
    "lineage_fields",
    "one_line",
    "open_journal",
    "posting_amount",
    "reversal_group",
    "unique_names",
    "write_journal",
]

Progress = Callable[[int], None]
"""Called with the number of transactions written since the previous call."""

YIELD_PER = 1000
_PROGRESS_EVERY = 1000


@dataclass(frozen=True, slots=True)
class ExportAccount:
    """An account of the chart with the date it is first used in the export."""

    code: str
    name: str
    type: AccountType
    active: bool
    first_use: dt.date | None


@dataclass(frozen=True, slots=True)
class Journal:
    """What a writer needs: the entity, its chart, currencies used and the entries.

    Attributes:
        functional: the entity's functional currency.
        accounts: the whole chart, ordered by code.
        currencies: currency code -> first date it is used, in first-use order.
        first_date: date of the first exported entry (None when there is none).
        entries: the entries, ordered by date then id; iterate once.

    """

    entity_code: str
    entity_name: str
    functional: str
    accounts: tuple[ExportAccount, ...]
    currencies: dict[str, dt.date]
    first_date: dt.date | None
    entries: Iterator[JournalEntry]


@contextmanager
def open_journal(
    ledger: Ledger, start: dt.date | None = None, end: dt.date | None = None
) -> Iterator[Journal]:
    """Open a read snapshot of the ledger's entries dated ``start``..``end`` (inclusive)."""
    if start is not None and end is not None and start > end:
        raise LedgerError(f"export start {start} is after its end {end}")
    entity = ledger.entity
    with ledger.engine.connect() as conn:
        conn = _snapshot(conn)
        first_use = dict(
            conn.execute(
                _in_range(
                    select(journal_lines.c.account_id, func.min(journal_lines.c.date))
                    .where(journal_lines.c.entity_id == entity.id)
                    .group_by(journal_lines.c.account_id),
                    journal_lines.c.date, start, end,
                )
            ).all()
        )
        # Sorted here, not by the database's collation: names deduplicate in this
        # order, and it must be the same on every database.
        chart = tuple(sorted(
            (
                ExportAccount(r.code, r.name, AccountType(r.type), bool(r.active),
                              _as_date(first_use.get(r.id)))
                for r in conn.execute(
                    select(accounts.c.id, accounts.c.code, accounts.c.name,
                           accounts.c.type, accounts.c.active)
                    .where(accounts.c.entity_id == entity.id)
                )
            ),
            key=attrgetter("code"),
        ))
        used = conn.execute(
            _in_range(
                select(journal_lines.c.currency, func.min(journal_lines.c.date).label("first"))
                .where(journal_lines.c.entity_id == entity.id)
                .group_by(journal_lines.c.currency),
                journal_lines.c.date, start, end,
            ).order_by("first", journal_lines.c.currency)
        ).all()
        currencies = {cur: _as_date(day) for cur, day in used}
        stream = conn.execution_options(stream_results=True, yield_per=YIELD_PER)
        rows = stream.execute(_entry_rows(entity.id, start, end))
        try:
            yield Journal(
                entity_code=entity.code,
                entity_name=entity.name,
                functional=entity.functional_currency,
                accounts=chart,
                currencies=currencies,
                first_date=min(currencies.values(), default=None),
                entries=_group(rows, entity.code, entity.functional_currency),
            )
        finally:
            rows.close()


def _snapshot(conn: Connection) -> Connection:
    """Make every query of one export see the same committed state."""
    if conn.dialect.name == "postgresql":
        return conn.execution_options(isolation_level="REPEATABLE READ")
    if conn.dialect.name == "sqlite":
        # pysqlite only opens transactions for writes; an explicit BEGIN makes the
        # reads below share one WAL snapshot (ended by the rollback on close).
        conn.exec_driver_sql("BEGIN")
    return conn


def _in_range(
    query: Select, column: ColumnElement, start: dt.date | None, end: dt.date | None
) -> Select:
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column <= end)
    return query


def _as_date(value: object) -> dt.date | None:
    # SQLite returns MIN() over a date column as text: the aggregate loses the type.
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _entry_rows(entity_id: int, start: dt.date | None, end: dt.date | None) -> Select:
    e, ln, a = journal_entries, journal_lines, accounts
    reversal = journal_entries.alias("reversal")
    query = (
        select(
            e.c.id, e.c.date, e.c.memo, e.c.posted_at, e.c.reverses_id, e.c.idempotency_key,
            e.c.connection, e.c.object_type, e.c.external_id, e.c.document_id,
            e.c.raw_payload_id,
            reversal.c.id.label("reversed_by_id"),
            ln.c.line_no, a.c.code, a.c.name.label("account_name"), ln.c.amount,
            ln.c.currency, ln.c.original_amount, ln.c.rate,
            ln.c.memo.label("line_memo"), ln.c.party, ln.c.due_date, ln.c.tax_code,
        )
        .join(ln, ln.c.entry_id == e.c.id)
        .join(a, a.c.id == ln.c.account_id)
        .outerjoin(reversal, reversal.c.reverses_id == e.c.id)
        .where(e.c.entity_id == entity_id)
        .order_by(e.c.date, e.c.id, ln.c.line_no)
    )
    return _in_range(query, e.c.date, start, end)


def _group(rows: Iterable[Row], entity: str, functional: str) -> Iterator[JournalEntry]:
    for _, group in groupby(rows, key=attrgetter("id")):
        lines = []
        for r in group:
            lines.append(
                JournalLine(
                    line_no=r.line_no,
                    account=r.code,
                    account_name=r.account_name,
                    amount=Money(r.amount, functional),
                    original=Money(r.original_amount, r.currency),
                    rate=r.rate,
                    memo=r.line_memo,
                    party=r.party,
                    due_date=r.due_date,
                    tax_code=r.tax_code,
                )
            )
        yield JournalEntry(
            id=r.id,
            entity=entity,
            date=r.date,
            memo=r.memo,
            posted_at=r.posted_at,
            lines=tuple(lines),
            lineage=Lineage(
                r.connection, r.object_type, r.external_id, r.document_id, r.raw_payload_id
            ),
            idempotency_key=r.idempotency_key,
            reverses_id=r.reverses_id,
            reversed_by_id=r.reversed_by_id,
        )


def lineage_fields(entry: JournalEntry) -> list[tuple[str, str]]:
    """The entry's id, lineage and reversal links as ``(lb-key, text)`` pairs."""
    fields = [("lb-entry-id", str(entry.id))]
    lineage = entry.lineage
    for key, value in (
        ("lb-connection", lineage.connection),
        ("lb-object-type", lineage.object_type),
        ("lb-external-id", lineage.external_id),
        ("lb-document-id", lineage.document_id),
        ("lb-raw-payload-id", lineage.raw_payload_id),
        ("lb-reverses", entry.reverses_id),
        ("lb-reversed-by", entry.reversed_by_id),
    ):
        if value is not None:
            fields.append((key, str(value)))
    return fields


def reversal_group(entry: JournalEntry) -> int | None:
    """Id shared by a reversed entry and its reversal (the reversed one's), else None."""
    if entry.reverses_id is not None:
        return entry.reverses_id
    return entry.id if entry.reversed_by_id is not None else None


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, newlines included, as one space."""
    return " ".join(text.split())


def posting_amount(line: JournalLine) -> tuple[str, str | None]:
    """The posting's amount text and, for a foreign line, its total price text.

    A foreign line is written as its original amount with a total price equal to
    its functional amount (``-100.00 EUR`` priced ``108.57 USD``): the posting's
    weight is then exactly the functional amount we store. The price is unsigned;
    when the signs disagree or the original is zero (rounding residue), the weight
    cannot be written that way and the functional amount is written instead.
    """
    functional, original = line.amount, line.original
    if original.currency == functional.currency or not _priceable(original, functional):
        return _amount(functional), None
    return _amount(original), _amount(Money(abs(functional.minor), functional.currency))


def _priceable(original: Money, functional: Money) -> bool:
    if original.minor == 0:
        return functional.minor == 0
    return original.minor * functional.minor >= 0


def _amount(money: Money) -> str:
    return f"{format_minor(money.minor, money.currency)} {money.currency}"


def half_unit(currency: str) -> str:
    """Half a minor unit of ``currency`` as text (USD ``0.005``, JPY ``0.5``)."""
    return format(Decimal(5).scaleb(-(currency_exponent(currency) + 1)), "f")


def unique_names(accounts: tuple[ExportAccount, ...], name: Callable[[ExportAccount], str]
                 ) -> dict[str, str]:
    """Map each account code to ``name(account)``, suffixing ``-2``, ``-3`` ... on clashes."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    for account in accounts:
        base = candidate = name(account)
        n = 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate.casefold())
        names[account.code] = candidate
    return names


class ProgressCounter:
    """Counts written transactions and reports them to ``progress`` in batches."""

    def __init__(self, progress: Progress | None) -> None:
        self.total = 0
        self._pending = 0
        self._progress = progress

    def add(self) -> None:
        """Count one transaction."""
        self.total += 1
        self._pending += 1
        if self._pending >= _PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        """Report what has not been reported yet."""
        if self._progress is not None and self._pending:
            self._progress(self._pending)
        self._pending = 0


def write_journal(
    ledger: Ledger,
    out: TextIO,
    *,
    account_name: Callable[[ExportAccount], str],
    header: Callable[[TextIO, Journal, dict[str, str], dt.date | None], None],
    transaction: Callable[[JournalEntry, dict[str, str], int], str],
    start: dt.date | None,
    end: dt.date | None,
    progress: Progress | None,
) -> int:
    """Stream the journal through one format's header and transaction writers.

    Returns the number of transactions written; ``progress`` gets counts in batches.
    """
    counter = ProgressCounter(progress)
    with open_journal(ledger, start, end) as journal:
        names = unique_names(journal.accounts, account_name)
        header(out, journal, names, start)
        width = max((len(n) for n in names.values()), default=0)
        for entry in journal.entries:
            out.write(transaction(entry, names, width))
            counter.add()
    counter.flush()
    return counter.total
