"""Cutover: the shadow book's entries become the live book's, each exactly once.

Every shadow entry is posted into the live book with its lineage and idempotency
key (a reversal is promoted as a reversal of the promoted original), and each
promotion is recorded as (shadow entry, live entry) with both ends unique, so the
live book can be checked to hold each shadow entry once. The connection's stored
documents are repointed at the live entries, its bank lines and reconciliations
move to the live bank book, the connection goes back to the live entity with its
own mapping (write-backs included), and the pilot records who cut over and when.
All of it commits in one transaction, or none of it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby
from operator import attrgetter

from sqlalchemy import (
    Connection,
    Engine,
    ScalarSelect,
    Table,
    and_,
    bindparam,
    func,
    insert,
    select,
    update,
)

from ledgerbridge.ledger import Entry, Ledger, LedgerError, Line, Lineage
from ledgerbridge.ledger.model import JournalEntry, JournalLine
from ledgerbridge.money import Money
from ledgerbridge.pilot.shadow import Pilot, PilotStatus, get_pilot
from ledgerbridge.store.tables import (
    accounts,
    bank_imports,
    bank_lines,
    connections,
    documents,
    journal_entries,
    journal_lines,
    pilot_promotions,
    pilots,
    reconciliation_links,
    reconciliations,
)

__all__ = ["Cutover", "Existing", "cutover"]


class Existing(StrEnum):
    """What to do when the live book already holds entries from the connection."""

    REFUSE = "refuse"  # stop and say so (the default)
    SKIP = "skip"  # promote only entries whose idempotency key the live book lacks


@dataclass(frozen=True, slots=True)
class Cutover:
    """What a cutover did."""

    pilot: Pilot
    promoted: int
    skipped: int
    bank_lines: int


def _shadow_book(conn: Connection, ledger: Ledger) -> list[JournalEntry]:
    """Every entry of the shadow book with its lines, oldest first, in one query."""
    e, ln = journal_entries, journal_lines
    rows = conn.execute(
        select(e.c.id, e.c.date, e.c.memo, e.c.reverses_id, e.c.idempotency_key,
               e.c.connection, e.c.object_type, e.c.external_id, e.c.document_id,
               e.c.raw_payload_id, ln.c.line_no, accounts.c.code, ln.c.amount, ln.c.currency,
               ln.c.original_amount, ln.c.rate, ln.c.memo.label("line_memo"), ln.c.party,
               ln.c.due_date)
        .join(ln, ln.c.entry_id == e.c.id).join(accounts, accounts.c.id == ln.c.account_id)
        .where(e.c.entity_id == ledger.entity.id).order_by(e.c.id, ln.c.line_no)).all()
    functional = ledger.entity.functional_currency
    book = []
    for entry_id, group in groupby(rows, key=attrgetter("id")):
        lines = list(group)
        head = lines[0]
        book.append(JournalEntry(
            id=entry_id, entity=ledger.entity.code, date=head.date, memo=head.memo,
            posted_at=dt.datetime.min, reverses_id=head.reverses_id,
            idempotency_key=head.idempotency_key,
            lineage=Lineage(head.connection, head.object_type, head.external_id,
                            head.document_id, head.raw_payload_id),
            lines=tuple(JournalLine(r.line_no, r.code, "", Money(r.amount, functional),
                                    Money(r.original_amount, r.currency), r.rate, r.line_memo,
                                    r.party, r.due_date) for r in lines)))
    return book


def _copy(entry: JournalEntry, key: str) -> Entry:
    """The entry to post in the live book: same lines in their original currency."""
    lines = tuple(Line(ln.account, ln.original, ln.rate, ln.memo, ln.party, ln.due_date)
                  for ln in entry.lines)
    return Entry(entry.date, lines, entry.memo, entry.lineage, key)


def _key(pilot: Pilot, entry: JournalEntry) -> str:
    return entry.idempotency_key or f"pilot-{pilot.id}:{entry.id}"


def _held(conn: Connection, live: Ledger, keys: list[str]) -> dict[str, int]:
    """Keys the live book already holds, with their entries."""
    held: dict[str, int] = {}
    for start in range(0, len(keys), 1000):
        held.update(conn.execute(select(journal_entries.c.idempotency_key, journal_entries.c.id)
                                 .where(journal_entries.c.entity_id == live.entity.id,
                                        journal_entries.c.idempotency_key.in_(
                                            keys[start:start + 1000]))).all())
    return held


def _promote(conn: Connection, pilot: Pilot, book: list[JournalEntry], live: Ledger,
             existing: Existing, progress: Callable[[int], None] | None) -> dict[int, int]:
    """Post every shadow entry into the live book; returns shadow id -> live id.

    Runs of entries go through the ledger's bulk path; a reversal is posted as the
    reversal of its promoted original.
    """
    held = _held(conn, live, [_key(pilot, e) for e in book if e.reverses_id is None])
    if held and existing is Existing.REFUSE:
        key, entry_id = next(iter(held.items()))
        raise LedgerError(f"the live book already has entry {entry_id} with key {key!r}")
    mapped: dict[int, int] = {}
    run: list[JournalEntry] = []

    def flush() -> None:
        """Post the entries gathered so far in bulk, then learn their ids by key."""
        keys = [_key(pilot, e) for e in run]
        live.post_many((_copy(e, key) for e, key in zip(run, keys, strict=True)), conn=conn)
        posted = _held(conn, live, keys)
        mapped.update((e.id, posted[key]) for e, key in zip(run, keys, strict=True))
        if progress is not None:
            progress(len(run))
        run.clear()

    for entry in book:
        if entry.reverses_id is None:
            if _key(pilot, entry) not in held:
                run.append(entry)
            elif progress is not None:
                progress(1)
            continue
        flush()  # a reversal follows its original, which must be posted first
        if entry.reverses_id in mapped:
            mapped[entry.id] = live.reverse(mapped[entry.reverses_id], date=entry.date,
                                            memo=entry.memo, conn=conn)
        if progress is not None:
            progress(1)
    flush()
    if mapped:
        conn.execute(insert(pilot_promotions), [
            {"shadow_entry_id": s, "pilot_id": pilot.id, "live_entry_id": v}
            for s, v in mapped.items()])
    return mapped


def _repoint_documents(conn: Connection, pilot: Pilot, book: list[JournalEntry],
                       live: Ledger, mapped: dict[int, int]) -> None:
    """Documents name the live entries; a skipped one names the live entry of its key."""
    held = _held(conn, live, [_key(pilot, e) for e in book if e.id not in mapped])
    target = {**{e.id: held[_key(pilot, e)] for e in book if _key(pilot, e) in held}, **mapped}
    rows = conn.execute(select(documents.c.id, documents.c.entry_id).where(
        documents.c.connection_id == pilot.connection_id,
        documents.c.entry_id.is_not(None))).all()
    changes = [{"doc": doc_id, "entry": target[entry_id]}
               for doc_id, entry_id in rows if entry_id in target]
    if changes:
        conn.execute(update(documents).where(documents.c.id == bindparam("doc"))
                     .values(entry_id=bindparam("entry")), changes)


def _live_account(table: Table, live: Ledger) -> ScalarSelect:
    """The live account with the code of ``table``'s (shadow) account."""
    shadow_account, live_account = accounts.alias("shadow_account"), accounts.alias("live")
    return (select(live_account.c.id).select_from(live_account)
            .join(shadow_account, shadow_account.c.code == live_account.c.code)
            .where(shadow_account.c.id == table.c.account_id,
                   live_account.c.entity_id == live.entity.id)
            .scalar_subquery())


def _move_bank_book(conn: Connection, shadow: Ledger, live: Ledger,
                    mapped: dict[int, int]) -> int:
    """Move the shadow bank book's lines and reconciliations to the live entity."""
    theirs = bank_lines.alias("live_line")
    clash = conn.execute(
        select(bank_lines.c.id, theirs.c.id).select_from(bank_lines)
        .join(theirs, and_(theirs.c.dedupe_key == bank_lines.c.dedupe_key,
                           theirs.c.occurrence == bank_lines.c.occurrence,
                           theirs.c.account_id == _live_account(bank_lines, live)))
        .where(bank_lines.c.entity_id == shadow.entity.id).limit(1)).first()
    if clash is not None:
        raise LedgerError(f"bank line {clash[0]} of the shadow book is already in the live "
                          f"bank book as line {clash[1]}; remove one before cutover")
    moved = conn.execute(select(func.count()).select_from(bank_lines).where(
        bank_lines.c.entity_id == shadow.entity.id)).scalar_one()
    for table in (bank_imports, bank_lines, reconciliations):
        conn.execute(update(table).where(table.c.entity_id == shadow.entity.id).values(
            entity_id=live.entity.id, account_id=_live_account(table, live)))
    settled = conn.execute(select(reconciliations.c.id, reconciliations.c.entry_id).where(
        reconciliations.c.entry_id.in_(list(mapped)))).all() if mapped else []
    for rec_id, entry_id in settled:
        conn.execute(update(reconciliations).where(reconciliations.c.id == rec_id).values(
            entry_id=mapped[entry_id]))
    links = conn.execute(
        select(reconciliation_links.c.id, journal_lines.c.entry_id, journal_lines.c.line_no)
        .join(journal_lines, journal_lines.c.id == reconciliation_links.c.journal_line_id)
        .where(journal_lines.c.entity_id == shadow.entity.id)).all()
    targets = {mapped[entry_id] for _, entry_id, _ in links}
    new_lines = {(entry_id, line_no): line_id for line_id, entry_id, line_no in conn.execute(
        select(journal_lines.c.id, journal_lines.c.entry_id, journal_lines.c.line_no)
        .where(journal_lines.c.entry_id.in_(targets)))} if targets else {}
    if links:
        conn.execute(update(reconciliation_links)
                     .where(reconciliation_links.c.id == bindparam("link"))
                     .values(journal_line_id=bindparam("line")),
                     [{"link": link_id, "line": new_lines[(mapped[entry_id], line_no)]}
                      for link_id, entry_id, line_no in links])
    return moved


def cutover(engine: Engine, connection: str, *, by: str, existing: Existing = Existing.REFUSE,
            progress: Callable[[int], None] | None = None) -> Cutover:
    """Promote the running pilot of ``connection``: its shadow book becomes live.

    Refused when the live book already has entries from the connection, unless
    ``existing`` says to skip the entries it already holds (matched by idempotency
    key). A period locked in the live book refuses the promotion of its entries.
    """
    with engine.connect() as conn:
        pilot = get_pilot(conn, connection, running=True)
    shadow, live = Ledger(engine, pilot.shadow_entity), Ledger(engine, pilot.live_entity)
    with engine.begin() as conn:
        locked = conn.execute(select(pilots.c.status).where(pilots.c.id == pilot.id)
                              .with_for_update()).scalar_one()
        if locked != PilotStatus.RUNNING:
            raise LedgerError(f"the pilot of {connection!r} was already cut over")
        held = conn.execute(select(func.count()).select_from(journal_entries).where(and_(
            journal_entries.c.entity_id == live.entity.id,
            journal_entries.c.connection == connection))).scalar_one()
        if held and existing is Existing.REFUSE:
            raise LedgerError(
                f"the live book {live.entity.code!r} already has {held} entries from "
                f"connection {connection!r}; cut over with --existing skip to promote only "
                "the entries it does not hold")
        book = _shadow_book(conn, shadow)
        mapped = _promote(conn, pilot, book, live, existing, progress)
        _repoint_documents(conn, pilot, book, live, mapped)
        moved = _move_bank_book(conn, shadow, live, mapped)
        saved = conn.execute(select(pilots.c.mapping).where(pilots.c.id == pilot.id)).scalar()
        conn.execute(update(connections).where(connections.c.id == pilot.connection_id).values(
            entity_id=live.entity.id, mapping=saved))
        conn.execute(update(pilots).where(pilots.c.id == pilot.id).values(
            status=PilotStatus.PROMOTED, cutover_at=dt.datetime.now(dt.UTC), cutover_by=by,
            existing=existing.value, promoted=len(mapped)))
        done = get_pilot(conn, connection)
    return Cutover(done, len(mapped), len(book) - len(mapped), moved)
