"""The ledger of one entity: chart, posting, reversals, periods and reading entries.

Every write runs in one database transaction. Methods accept an open connection
(``conn=``) so callers such as the sync engine can post an entry in the same
transaction as their own bookkeeping; without one they open their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import Connection, Engine, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from ledgerbridge.ledger.balances import record as record_balances
from ledgerbridge.ledger.model import (
    Account,
    AccountType,
    Entry,
    JournalEntry,
    JournalLine,
    LedgerError,
    Lineage,
    PeriodStatus,
    PostingError,
)
from ledgerbridge.ledger.posting import (
    PostingContext,
    PreparedLine,
    check_period,
    prepare_lines,
)
from ledgerbridge.money import Money, MoneyError, currency_exponent
from ledgerbridge.store.bulk import date_param, insert_returning_id, insert_rows, reserve_ids
from ledgerbridge.store.tables import (
    accounts,
    entities,
    journal_entries,
    journal_lines,
    periods,
)

__all__ = ["Entity", "Ledger", "PostResult", "PostingBatch"]

Progress = Callable[[int], None]
_PERIOD_FORMAT = "%Y-%m"
_ENTRY_COLUMNS = (
    "id", "entity_id", "date", "memo", "reverses_id", "idempotency_key",
    "connection", "object_type", "external_id", "document_id", "raw_payload_id",
)
# Statements of the posting hot path, built once (their SQL compiles once too).
_CHART = select(accounts.c.code, accounts.c.id, accounts.c.active).where(
    accounts.c.entity_id == bindparam("entity_id")
)
_PERIODS_SHARED = (
    select(periods.c.period, periods.c.status)
    .select_from(entities.outerjoin(periods, periods.c.entity_id == entities.c.id))
    .where(entities.c.id == bindparam("entity_id"))
    .with_for_update(read=True, of=entities)
)
_ONE_KEY = select(journal_entries.c.idempotency_key, journal_entries.c.id).where(
    journal_entries.c.entity_id == bindparam("entity_id"),
    journal_entries.c.idempotency_key == bindparam("key"),
)
_LOCK_ENTITY = select(entities.c.id).where(entities.c.id == bindparam("id")).with_for_update()
_LINE_COLUMNS = (
    "entry_id", "entity_id", "date", "line_no", "account_id", "amount", "currency",
    "original_amount", "rate", "memo", "party", "due_date", "tax_code",
)


@dataclass(frozen=True, slots=True)
class Entity:
    """A company whose books the ledger keeps, in one functional currency."""

    id: int
    code: str
    name: str
    functional_currency: str


@dataclass(frozen=True, slots=True)
class PostResult:
    """What a batch post did: new entry ids and entries skipped as already posted."""

    posted: int
    duplicates: int
    first_id: int | None
    last_id: int | None


class Ledger:
    """Books of one entity stored in a database."""

    def __init__(self, engine: Engine, entity: str = "default") -> None:
        self.engine = engine
        with engine.connect() as conn:
            row = conn.execute(select(entities).where(entities.c.code == entity)).first()
        if row is None:
            raise LedgerError(f"no entity {entity!r} in this database; run `ledgerbridge init`")
        self.entity = Entity(row.id, row.code, row.name, row.functional_currency)
        self._chart: dict[str, tuple[int, bool]] | None = None

    @classmethod
    def create(
        cls,
        engine: Engine,
        *,
        entity: str = "default",
        name: str | None = None,
        currency: str = "USD",
        chart: Iterable[Account] = (),
    ) -> Ledger:
        """Create an entity with its chart of accounts and return its ledger."""
        try:
            currency_exponent(currency)
        except MoneyError as exc:
            raise LedgerError(str(exc)) from None
        with engine.begin() as conn:
            exists = conn.execute(select(entities.c.id).where(entities.c.code == entity))
            if exists.first() is not None:
                raise LedgerError(f"entity {entity!r} already exists")
            conn.execute(
                insert(entities).values(
                    code=entity, name=name or entity, functional_currency=currency
                )
            )
        ledger = cls(engine, entity)
        ledger.add_accounts(chart)
        return ledger

    @contextmanager
    def _tx(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
            return
        with self.engine.begin() as new:
            yield new

    # -- chart of accounts -------------------------------------------------

    def add_accounts(self, chart: Iterable[Account], *, conn: Connection | None = None) -> int:
        """Add accounts (parents before children); an existing code is an error."""
        chart = list(chart)
        self._chart = None
        with self._tx(conn) as c:
            ids = self._account_ids(c)
            for account in chart:
                if account.code in ids:
                    raise LedgerError(f"account {account.code!r} already exists")
                parent_id = None
                if account.parent is not None:
                    if account.parent not in ids:
                        raise LedgerError(
                            f"account {account.code!r}: parent {account.parent!r} not found"
                        )
                    parent_id = ids[account.parent]
                result = c.execute(
                    insert(accounts).values(
                        entity_id=self.entity.id,
                        code=account.code,
                        name=account.name,
                        type=AccountType(account.type).value,
                        subtype=account.subtype,
                        parent_id=parent_id,
                        active=account.active,
                        description=account.description,
                    )
                )
                ids[account.code] = result.inserted_primary_key[0]
        return len(chart)

    def accounts(self, *, conn: Connection | None = None) -> list[Account]:
        """The chart of accounts, ordered by code."""
        parent = accounts.alias("parent")
        query = (
            select(accounts, parent.c.code.label("parent_code"))
            .outerjoin(parent, parent.c.id == accounts.c.parent_id)
            .where(accounts.c.entity_id == self.entity.id)
            .order_by(accounts.c.code)
        )
        with self._tx(conn) as c:
            return [
                Account(
                    code=r.code,
                    name=r.name,
                    type=AccountType(r.type),
                    subtype=r.subtype,
                    parent=r.parent_code,
                    description=r.description,
                    active=r.active,
                )
                for r in c.execute(query)
            ]

    def _account_ids(self, conn: Connection) -> dict[str, int]:
        query = select(accounts.c.code, accounts.c.id).where(
            accounts.c.entity_id == self.entity.id
        )
        return {code: id_ for code, id_ in conn.execute(query)}

    # -- periods ------------------------------------------------------------

    def set_period(
        self, period: str, status: PeriodStatus, *, conn: Connection | None = None
    ) -> None:
        """Open, close or lock an accounting month (``YYYY-MM``)."""
        try:
            dt.datetime.strptime(period, _PERIOD_FORMAT)
        except ValueError:
            raise LedgerError(f"period {period!r} is not a month like 2026-01") from None
        status = PeriodStatus(status)
        key = (periods.c.entity_id == self.entity.id) & (periods.c.period == period)
        with self._tx(conn) as c:
            c.execute(_LOCK_ENTITY, {"id": self.entity.id})  # waits for postings in flight
            c.execute(periods.delete().where(key))
            if status is not PeriodStatus.OPEN:
                c.execute(
                    insert(periods).values(
                        entity_id=self.entity.id, period=period, status=status.value
                    )
                )

    def periods(self, *, conn: Connection | None = None) -> dict[str, PeriodStatus]:
        """Months that are closed or locked; every other month is open."""
        query = select(periods.c.period, periods.c.status).where(
            periods.c.entity_id == self.entity.id
        )
        with self._tx(conn) as c:
            return {p: PeriodStatus(s) for p, s in c.execute(query)}

    # -- posting --------------------------------------------------------------

    def post(
        self, entry: Entry, *, allow_closed: bool = False, conn: Connection | None = None
    ) -> int:
        """Post one entry and return its id (the existing id if its key was posted)."""
        with self._tx(conn) as c:
            existing = self._existing_keys(c, [entry.idempotency_key])
            if entry.idempotency_key in existing:
                return existing[entry.idempotency_key]
            ctx = self._context(c, allow_closed, (ln.account for ln in entry.lines))
            return self._insert(c, [(entry, _checked(ctx, entry))])[0]

    def post_many(
        self,
        entries: Iterable[Entry],
        *,
        allow_closed: bool = False,
        conn: Connection | None = None,
        chunk_size: int = 5000,
        progress: Progress | None = None,
    ) -> PostResult:
        """Post a stream of entries in one transaction: all of them or none.

        Entries whose idempotency key is already in the ledger (or earlier in the
        stream) are skipped and counted as duplicates. A bad entry raises
        PostingError naming its position (``entry 3``) and the reason.
        """
        posted = duplicates = 0
        first_id = last_id = None
        iterator = iter(entries)
        with self._tx(conn) as c:
            self._chart = None  # a bulk post reads the chart afresh
            ctx = self._context(c, allow_closed)
            seen: set[str] = set()
            offset = 0
            while chunk := list(islice(iterator, chunk_size)):
                keys = [e.idempotency_key for e in chunk if e.idempotency_key is not None]
                posted_keys = self._existing_keys(c, keys)
                batch: list[tuple[Entry, list[PreparedLine]]] = []
                for i, entry in enumerate(chunk, start=offset + 1):
                    key = entry.idempotency_key
                    if key is not None:
                        if key in posted_keys or key in seen:
                            duplicates += 1
                            continue
                        seen.add(key)
                    try:
                        batch.append((entry, prepare_lines(ctx, entry)))
                    except (PostingError, MoneyError) as exc:
                        reason = exc.reason if isinstance(exc, PostingError) else str(exc)
                        raise PostingError(reason, record=f"entry {i}") from None
                offset += len(chunk)
                if batch:
                    ids = self._insert(c, batch)
                    first_id = first_id if first_id is not None else ids[0]
                    last_id = ids[-1]
                    posted += len(ids)
                if progress is not None:
                    progress(len(chunk))
        return PostResult(posted, duplicates, first_id, last_id)

    def _context(
        self, conn: Connection, allow_closed: bool, codes: Iterable[str] = ()
    ) -> PostingContext:
        """What posting checks against: the chart (cached) and this moment's periods.

        The chart is cached per Ledger and reloaded when ``codes`` name an account
        it does not know (accounts are only ever added); period states are read in
        the posting's own transaction every time, so a lock is never missed.
        """
        # The period states, read under a shared lock on the entity row (PostgreSQL),
        # so a period cannot be locked while this posting is in flight.
        states = {p: PeriodStatus(st) for p, st in
                  conn.execute(_PERIODS_SHARED, {"entity_id": self.entity.id}) if p}
        chart = self._chart
        if chart is None or any(code not in chart for code in codes):
            rows = conn.execute(_CHART, {"entity_id": self.entity.id})
            chart = self._chart = {code: (id_, active) for code, id_, active in rows}
        return PostingContext(
            entity_id=self.entity.id,
            functional=self.entity.functional_currency,
            accounts=chart,
            periods=states,
            allow_closed=allow_closed,
        )

    def _existing_keys(self, conn: Connection, keys: list[str | None]) -> dict[str, int]:
        wanted = [k for k in keys if k is not None]
        if not wanted:
            return {}
        if len(wanted) == 1:
            found = conn.execute(_ONE_KEY, {"entity_id": self.entity.id, "key": wanted[0]})
            return {k: id_ for k, id_ in found}
        query = select(journal_entries.c.idempotency_key, journal_entries.c.id).where(
            journal_entries.c.entity_id == self.entity.id,
            journal_entries.c.idempotency_key.in_(wanted),
        )
        return {k: id_ for k, id_ in conn.execute(query)}

    def _insert(
        self,
        conn: Connection,
        batch: list[tuple[Entry, list[PreparedLine]]],
        reverses: int | None = None,
    ) -> list[int]:
        entity_id = self.entity.id
        as_date = date_param(conn)
        heads = [
            (entity_id, as_date(e.date), e.memo, reverses, e.idempotency_key,
             e.lineage.connection, e.lineage.object_type, e.lineage.external_id,
             e.lineage.document_id, e.lineage.raw_payload_id)
            for e, _ in batch
        ]
        try:
            if len(batch) == 1:  # one round trip: the database hands out the id
                ids = [insert_returning_id(conn, journal_entries, _ENTRY_COLUMNS[1:], heads[0])]
            else:
                ids = reserve_ids(conn, journal_entries, len(batch))
                insert_rows(conn, journal_entries, _ENTRY_COLUMNS,
                            [(id_, *head) for id_, head in zip(ids, heads, strict=True)])
        except IntegrityError as exc:
            raise PostingError(f"conflicts with a posted entry: {exc.orig}") from None
        insert_rows(conn, journal_lines, _LINE_COLUMNS, [
            (id_, entity_id, head[1], n, account_id, amount, currency, original,
             None if rate is None else str(rate), memo, party, due, tax_code)
            for id_, head, (_, lines) in zip(ids, heads, batch, strict=True)
            for n, (account_id, amount, currency, original, rate, memo, party, due, tax_code)
            in enumerate(lines, start=1)
        ])
        record_balances(conn, entity_id, batch)
        return ids

    # -- reversals -------------------------------------------------------------

    def reverse(
        self,
        entry_id: int,
        *,
        date: dt.date | None = None,
        memo: str | None = None,
        allow_closed: bool = False,
        conn: Connection | None = None,
    ) -> int:
        """Post the exact opposite of an entry and return the new entry's id.

        The reversal is dated ``date`` (default: the original's date) and negates
        every line's functional and original amount, so the pair nets to zero to
        the cent. An entry can be reversed once.
        """
        with self._tx(conn) as c:
            original = self.entry(entry_id, conn=c)
            if original.reversed_by_id is not None:
                raise LedgerError(
                    f"entry {entry_id} was already reversed by entry {original.reversed_by_id}"
                )
            ctx = self._context(c, allow_closed, (ln.account for ln in original.lines))
            day = date or original.date
            try:
                check_period(ctx, day)
            except PostingError as exc:
                raise PostingError(
                    f"{exc.reason} (choose another date for the reversal)",
                    record=f"reversal of entry {entry_id}",
                ) from None
            entry = Entry(
                date=day,
                lines=(),
                memo=memo or f"Reversal of entry {entry_id}: {original.memo}".rstrip(": "),
                lineage=original.lineage,
            )
            lines = [
                PreparedLine(
                    ctx.accounts[ln.account][0],
                    -ln.amount.minor,
                    ln.original.currency,
                    -ln.original.minor,
                    ln.rate,
                    ln.memo,
                    ln.party,
                    ln.due_date,
                    ln.tax_code,
                )
                for ln in original.lines
            ]
            return self._insert(c, [(entry, lines)], reverses=entry_id)[0]

    # -- reading ------------------------------------------------------------------

    def entry(self, entry_id: int, *, conn: Connection | None = None) -> JournalEntry:
        """Read one posted entry with its lines."""
        reversal = journal_entries.alias("reversal")
        head = (
            select(journal_entries, reversal.c.id.label("reversed_by_id"))
            .outerjoin(reversal, reversal.c.reverses_id == journal_entries.c.id)
            .where(
                journal_entries.c.id == entry_id,
                journal_entries.c.entity_id == self.entity.id,
            )
        )
        body = (
            select(journal_lines, accounts.c.code, accounts.c.name)
            .join(accounts, accounts.c.id == journal_lines.c.account_id)
            .where(journal_lines.c.entry_id == entry_id)
            .order_by(journal_lines.c.line_no)
        )
        with self._tx(conn) as c:
            row = c.execute(head).first()
            if row is None:
                raise LedgerError(f"no entry {entry_id} in entity {self.entity.code!r}")
            lines = tuple(self._journal_line(r) for r in c.execute(body))
        return JournalEntry(
            id=row.id,
            entity=self.entity.code,
            date=row.date,
            memo=row.memo,
            posted_at=row.posted_at,
            lines=lines,
            lineage=Lineage(
                row.connection, row.object_type, row.external_id,
                row.document_id, row.raw_payload_id,
            ),
            idempotency_key=row.idempotency_key,
            reverses_id=row.reverses_id,
            reversed_by_id=row.reversed_by_id,
        )

    def _journal_line(self, r) -> JournalLine:  # noqa: ANN001 - a result row
        return JournalLine(
            line_no=r.line_no,
            account=r.code,
            account_name=r.name,
            amount=Money(r.amount, self.entity.functional_currency),
            original=Money(r.original_amount, r.currency),
            rate=r.rate,
            memo=r.memo,
            party=r.party,
            due_date=r.due_date,
            tax_code=r.tax_code,
        )


def _checked(ctx: PostingContext, entry: Entry) -> list[PreparedLine]:
    """``prepare_lines``, with a currency problem reported as a PostingError."""
    try:
        return prepare_lines(ctx, entry)
    except MoneyError as exc:
        raise PostingError(str(exc)) from None


class PostingBatch:
    """Entries checked one at a time, then written together: ``Ledger.post`` in bulk.

    ``check`` refuses an entry exactly as ``post`` would, reading the chart and the
    period states once (under the same shared lock on the entity); ``write`` inserts
    every checked entry with one statement per table. Use both in one transaction.
    """

    def __init__(self, ledger: Ledger, conn: Connection) -> None:
        self.ledger = ledger
        self.conn = conn
        self._ctx: PostingContext | None = None

    def check(self, entry: Entry) -> list[PreparedLine]:
        """The entry's lines, ready to write; raises PostingError when ``post`` would."""
        ctx = self._ctx
        if ctx is None or any(ln.account not in ctx.accounts for ln in entry.lines):
            ctx = self._ctx = self.ledger._context(
                self.conn, False, [ln.account for ln in entry.lines])
        return _checked(ctx, entry)

    def posted(self, keys: list[str | None]) -> dict[str, int]:
        """The ids of the entries already posted under these idempotency keys."""
        return self.ledger._existing_keys(self.conn, keys)

    def write(self, batch: list[tuple[Entry, list[PreparedLine]]]) -> list[int]:
        """Insert checked entries (keys not yet posted); returns their ids in order."""
        return self.ledger._insert(self.conn, batch)
