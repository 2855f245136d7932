"""Our own books behind the unified interface: stored canonical documents and the ledger.

Documents are the current versions kept by the sync engine (``documents`` table) on
any connection of the entity; a record's id is the row id of its first version, so
it stays the same while new versions replace the content. Pages follow the order
versions were stored in (row id). A write is applied exactly as an incoming
document would be (posting rules, reversal of the old entry, write-backs queued),
under the connection its ``source`` names. Accounts (with balances) and journal
entries are read only: entries are posted, never edited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.sql import ColumnElement

from ledgerbridge.documents import Document, DocumentError, parse_document
from ledgerbridge.ledger import AccountType, JournalEntry, Ledger, LedgerError
from ledgerbridge.ledger.balances import net_by_account
from ledgerbridge.money import Money
from ledgerbridge.store.tables import (
    accounts,
    connections,
    documents,
    journal_entries,
)
from ledgerbridge.sync.apply import apply_document, make_lookup
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.errors import MissingDependency, SyncError
from ledgerbridge.sync.outbox import enqueue
from ledgerbridge.sync.worker import connection_rules
from ledgerbridge.unified.cursor import Position, decode, encode
from ledgerbridge.unified.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PreconditionFailed,
)
from ledgerbridge.unified.model import (
    KINDS,
    AccountView,
    FieldGap,
    JournalEntryView,
    JournalLineView,
    OriginalAmount,
    Page,
    Record,
    document_type,
)

__all__ = ["LEDGER", "LedgerAdapter", "at_or_after", "check_limit", "utc"]

LEDGER = "ledger"
"""The connection name the API gives our own books (the default adapter)."""

MAX_LIMIT = 500
_LIVE = ("current", "voided")


def check_limit(limit: int) -> int:
    """``limit`` when it is a page size the API serves, else BadRequest."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit {limit} is out of range: give 1 to {MAX_LIMIT}")
    return limit


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC time (naive times are taken to be UTC already)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def at_or_after(column: Any, moment: dt.datetime, dialect: str) -> ColumnElement[bool]:
    """``column >= moment`` for a server-stamped time column, on either database.

    SQLite stamps whole seconds as text, so both sides are compared as SQLite's
    normalized datetime text, to the second (a few more records, never fewer).
    """
    moment = utc(moment)
    if dialect == "sqlite":
        return func.datetime(column) >= moment.strftime("%Y-%m-%d %H:%M:%S")
    return column >= moment


def _row_id(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise NotFound(f"there is no {what} {text!r} in the ledger") from None


def _after(position: Position | None) -> int:
    if position is None:
        return 0
    try:
        return int(position.id)
    except ValueError:
        raise BadRequest("this cursor belongs to another kind or connection") from None


class LedgerAdapter:
    """The entity's books: documents of every connection, accounts, journal entries."""

    system: ClassVar[str] = LEDGER
    kinds: tuple[str, ...] = KINDS
    gaps: dict[str, tuple[FieldGap, ...]] = {}

    def __init__(self, engine: Engine, entity: str = "default") -> None:
        self.engine = engine
        self.ledger = Ledger(engine, entity)
        self.connection = LEDGER

    # -- documents -----------------------------------------------------------------

    def _first_id(self) -> Any:
        first = documents.alias("first")
        return (select(func.min(first.c.id))
                .where(first.c.connection_id == documents.c.connection_id,
                       first.c.type == documents.c.type,
                       first.c.external_id == documents.c.external_id)
                .scalar_subquery())

    def _select(self, type_: str, *, first: bool = True) -> Any:
        columns = [documents.c.id, documents.c.created_at, documents.c.version,
                   documents.c.data, documents.c.connection_id, documents.c.external_id]
        if first:
            columns.append(self._first_id().label("first_id"))
        return (select(*columns)
                .join(connections, connections.c.id == documents.c.connection_id)
                .where(connections.c.entity_id == self.ledger.entity.id,
                       documents.c.type == type_, documents.c.status.in_(_LIVE)))

    def _record(self, kind: str, row: Any, first_id: int | None = None) -> Record:
        record_id = str(row.first_id if first_id is None else first_id)
        document = parse_document(row.data).model_copy(update={"id": record_id})
        return Record(id=record_id, kind=kind, connection=LEDGER, version=row.version,
                      updated_at=utc(row.created_at), data=document)

    @staticmethod
    def _first_ids(conn: Connection, type_: str, rows: list[Any]) -> dict[tuple[int, str], int]:
        """The record id (first version row) of each row's document, in one query."""
        names = {row.external_id for row in rows}
        found = conn.execute(  # the index (connection_id, type, external_id) serves it
            select(documents.c.connection_id, documents.c.external_id, func.min(documents.c.id))
            .where(documents.c.connection_id.in_({row.connection_id for row in rows}),
                   documents.c.type == type_, documents.c.external_id.in_(names))
            .group_by(documents.c.connection_id, documents.c.external_id))
        return {(connection_id, name): first for connection_id, name, first in found}

    def list(self, kind: str, *, updated_since: dt.datetime | None = None,
             cursor: str | None = None, limit: int = 100) -> Page:
        """Current documents, accounts or entries, in the order they were stored."""
        check_limit(limit)
        position = None if cursor is None else decode(cursor)
        if kind == "accounts":
            return self._accounts(updated_since, position, limit)
        if kind == "journal-entries":
            return self._entries(updated_since, position, limit)
        type_ = document_type(kind)
        query = self._select(type_, first=False).where(documents.c.id > _after(position))
        with self.engine.connect() as conn:
            if updated_since is not None:
                query = query.where(at_or_after(documents.c.created_at, updated_since,
                                                conn.dialect.name))
            rows = conn.execute(query.order_by(documents.c.id).limit(limit + 1)).all()
            firsts = self._first_ids(conn, type_, rows[:limit]) if rows else {}
        items = [self._record(kind, row, firsts[row.connection_id, row.external_id])
                 for row in rows[:limit]]
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        return Page(items=tuple(items), next_cursor=None if last is None else encode(
            Position(utc(last.created_at), str(last.id))))

    def _current(self, conn: Connection, kind: str, record_id: str) -> Any:
        first = conn.execute(select(documents.c.connection_id, documents.c.external_id).where(
            documents.c.id == _row_id(record_id, kind.rstrip("s")),
            documents.c.type == document_type(kind))).first()
        row = None if first is None else conn.execute(self._select(document_type(kind)).where(
            documents.c.connection_id == first.connection_id,
            documents.c.external_id == first.external_id)).first()
        if row is None or str(row.first_id) != record_id:
            raise NotFound(f"there is no {document_type(kind)} {record_id} in the ledger")
        return row

    def get(self, kind: str, record_id: str) -> Record:
        """One record: a document's current version, an account by code, an entry by id."""
        if kind == "accounts":
            return self._account(record_id)
        if kind == "journal-entries":
            return self._entry(self.ledger.entry(_row_id(record_id, "journal entry")))
        with self.engine.connect() as conn:
            return self._record(kind, self._current(conn, kind, record_id))

    def create(self, kind: str, document: Document, *, accept_gaps: bool = False) -> Record:
        """Store and post a new document under the connection its ``source`` names."""
        self._writable(kind, document)
        with self.engine.begin() as conn:
            existing = conn.execute(self._select(document.type).where(
                connections.c.name == document.source.connection,
                documents.c.external_id == document.source.external_id)).first()
            if existing is not None:
                raise Conflict(f"{_name(document)} exists already as {kind} "
                               f"{existing.first_id}: change it with an update naming version "
                               f"{existing.version!r}", id=str(existing.first_id))
            first_id = self._apply(conn, document)
        return self.get(kind, str(first_id))

    def update(self, kind: str, record_id: str, document: Document, *, version: str,
               accept_gaps: bool = False) -> Record:
        """A new version of the document: the old entry is reversed, a new one posted."""
        self._writable(kind, document)
        with self.engine.begin() as conn:
            row = self._current(conn, kind, record_id)
            if row.version != version:
                raise PreconditionFailed(
                    f"{document.type} {record_id} is at version {row.version!r}, not "
                    f"{version!r}: read it again and reapply your change",
                    current_version=row.version)
            stored = parse_document(row.data)
            if (stored.source.connection, stored.source.external_id) != (
                    document.source.connection, document.source.external_id):
                raise Conflict(f"{_name(document)} is another record than {kind} {record_id} "
                               f"({_name(stored)}): keep its source")
            changed = document.source.model_copy(update={
                "updated_at": dt.datetime.now(dt.UTC), "version": None})
            self._apply(conn, document.model_copy(update={"source": changed, "id": None}))
        return self.get(kind, record_id)

    def _writable(self, kind: str, document: Document) -> None:
        if kind in ("accounts", "journal-entries"):
            raise BadRequest(f"{kind} are read only here: journal entries are posted by the "
                             "ledger from documents, and the chart is kept with "
                             "`ledgerbridge accounts`")
        if document.type != document_type(kind):
            raise BadRequest(f"{_name(document)} is a {document.type}, not one of the {kind}")

    def _apply(self, conn: Connection, document: Document) -> int:
        """Apply ``document`` in ``conn``'s transaction; the record id it is stored under."""
        try:
            record = get_connection(conn, document.source.connection)
        except LedgerError:
            raise BadRequest(f"{_name(document)}: source.connection "
                             f"{document.source.connection!r} is not a connection of this "
                             "ledger; add it first (`ledgerbridge connections add`)") from None
        if record.entity_id != self.ledger.entity.id:
            raise BadRequest(f"{_name(document)}: connection {record.name!r} keeps the books "
                             "of another entity")
        try:
            applied, commands = apply_document(
                conn, self.ledger, record.id, document, connection_rules(record, self.ledger),
                lookup=make_lookup(conn, record.id))
        except MissingDependency as exc:
            raise BadRequest(f"{_name(document)} refers to {exc.key}, which the ledger does "
                             "not have: create that first") from None
        except (SyncError, LedgerError, DocumentError, ValueError) as exc:
            raise BadRequest(f"{_name(document)}: {exc}") from None
        for command in commands:
            enqueue(conn, command, entry_id=applied.entry_id, document_id=applied.document_id)
        return conn.execute(select(func.min(documents.c.id)).where(
            documents.c.connection_id == record.id, documents.c.type == document.type,
            documents.c.external_id == document.source.external_id)).scalar_one()

    # -- accounts and entries ------------------------------------------------------

    def _balances(self) -> dict[str, int]:
        """Each account's balance, debit positive, in the functional currency."""
        entity_id = self.ledger.entity.id
        with self.engine.connect() as conn:
            ids = dict(conn.execute(select(accounts.c.code, accounts.c.id).where(
                accounts.c.entity_id == entity_id)).all())
            net = net_by_account(conn, entity_id, None, None, list(ids.values()))
        return {code: net.get(account_id, 0) for code, account_id in ids.items()}

    def _account_views(self) -> list[AccountView]:
        balances = self._balances()
        currency = self.ledger.entity.functional_currency
        views = []
        for account in self.ledger.accounts():
            sign = 1 if AccountType(account.type).debit_normal else -1
            views.append(AccountView(
                code=account.code, name=account.name, account_type=account.type.value,
                subtype=account.subtype, parent=account.parent, active=account.active,
                currency=currency, balance=Money(sign * balances[account.code], currency)))
        return views

    def _account_record(self, view: AccountView) -> Record:
        version = f"{view.name}|{view.active}|{view.balance.minor if view.balance else 0}"
        return Record(id=view.code, kind="accounts", connection=LEDGER, version=version,
                      updated_at=None, data=view)

    def _account(self, code: str) -> Record:
        found = next((v for v in self._account_views() if v.code == code), None)
        if found is None:
            raise NotFound(f"there is no account {code!r} in the chart")
        return self._account_record(found)

    def _accounts(self, updated_since: dt.datetime | None, position: Position | None,
                  limit: int) -> Page:
        if updated_since is not None:
            raise BadRequest("accounts carry no change time: list them without updated_since")
        after = "" if position is None else position.id
        views = [v for v in self._account_views() if v.code > after]
        page = views[:limit]
        more = len(views) > limit
        return Page(items=tuple(self._account_record(v) for v in page),
                    next_cursor=encode(Position(None, page[-1].code)) if more else None)

    def _entry(self, entry: JournalEntry) -> Record:
        currency = self.ledger.entity.functional_currency
        lines = tuple(JournalLineView(
            account=line.account, account_name=line.account_name, amount=line.amount,
            original=None if line.original.currency == currency else OriginalAmount(
                currency=line.original.currency, amount=line.original, rate=line.rate),
            memo=line.memo, party=line.party, due_date=line.due_date) for line in entry.lines)
        lineage = entry.lineage
        view = JournalEntryView(
            date=entry.date, memo=entry.memo, currency=currency, lines=lines,
            reverses=None if entry.reverses_id is None else str(entry.reverses_id),
            reversed_by=None if entry.reversed_by_id is None else str(entry.reversed_by_id),
            source={"connection": lineage.connection, "object_type": lineage.object_type,
                    "external_id": lineage.external_id})
        return Record(id=str(entry.id), kind="journal-entries", connection=LEDGER,
                      version=f"{entry.id}:{entry.reversed_by_id or ''}",
                      updated_at=utc(entry.posted_at), data=view)

    def _entries(self, updated_since: dt.datetime | None, position: Position | None,
                 limit: int) -> Page:
        query = (select(journal_entries.c.id)
                 .where(journal_entries.c.entity_id == self.ledger.entity.id,
                        journal_entries.c.id > _after(position))
                 .order_by(journal_entries.c.id).limit(limit + 1))
        with self.engine.connect() as conn:
            if updated_since is not None:
                query = query.where(at_or_after(journal_entries.c.posted_at, updated_since,
                                                conn.dialect.name))
            ids = conn.execute(query).scalars().all()
            entries = [self.ledger.entry(i, conn=conn) for i in ids[:limit]]
        items = tuple(self._entry(e) for e in entries)
        more = len(ids) > limit
        return Page(items=items, next_cursor=encode(Position(items[-1].updated_at, items[-1].id))
                    if more else None)


def _name(document: Document) -> str:
    source = document.source
    return f"{document.type} {source.connection}/{source.external_id}"
