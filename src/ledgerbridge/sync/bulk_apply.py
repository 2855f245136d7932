"""Apply a run of events in bulk when every document they carry is a new object.

Most events of a backfill bring objects the ledger has never seen: a charge, a
refund, a fee. For those ``apply_document`` comes down to: store the document as
current (or voided), post its entry, wake what waits for it. :class:`NewObjects`
checks such events one at a time in memory, with the same lookups and the same
errors in the same order as ``apply_document``, and writes a whole run with one
statement per table.

An event that needs more (a new version of a stored object, write-backs, derived
documents, a payment applied to invoices, bank lines) raises :class:`OneByOne`: the
worker writes the run so far, then hands that event to ``apply_document``, so every
event sees the books exactly as processing one by one would have left them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from ledgerbridge.documents import Document, Payment
from ledgerbridge.intelligence.anomalies import screen_new_documents
from ledgerbridge.ledger import Entry, Ledger
from ledgerbridge.ledger.book import PostingBatch
from ledgerbridge.ledger.posting import PreparedLine
from ledgerbridge.store.bulk import insert_rows, reserve_ids
from ledgerbridge.store.tables import documents
from ledgerbridge.sync.apply import (
    SHARED_TYPES,
    VOID_STATUSES,
    Lookup,
    ObjectKey,
    Rules,
    content_hash,
    document_version,
    entry_key,
    lock_objects,
    make_lookup,
    traced,
    woken_keys,
)

__all__ = ["Candidate", "NewObjects", "OneByOne", "stored_objects"]

_CHUNK = 900  # external ids per IN list: under SQLite's bound-parameter limit
_STORED = select(documents.c.external_id).distinct().where(
    documents.c.connection_id == bindparam("cid"), documents.c.type == bindparam("type"),
    documents.c.external_id.in_(bindparam("ids", expanding=True)))
_COLUMNS = ("id", "connection_id", "type", "external_id", "version", "content_hash", "data",
            "status", "inbox_id", "entry_id")


class OneByOne(Exception):  # noqa: N818 - an instruction, not a failure
    """The event needs ``apply_document``, one document at a time."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """An event that may go in bulk: its inbox row, connection, ledger and documents."""

    inbox_id: int
    connection_id: int
    ledger: Ledger
    documents: Sequence[Document]


@dataclass(frozen=True, slots=True)
class _Version:
    """A document with what storing it needs: its object, content hash and version."""

    document: Document
    key: ObjectKey
    digest: str
    version: str


@dataclass(frozen=True, slots=True)
class _Held:
    """A checked document of the run, waiting to be written."""

    inbox_id: int
    item: _Version
    posting: PostingBatch | None
    entry: Entry | None
    lines: list[PreparedLine] | None


def stored_objects(conn: Connection, keys: Iterable[ObjectKey]) -> set[ObjectKey]:
    """The objects among ``keys`` that have at least one stored version."""
    wanted: dict[tuple[int, str], set[str]] = {}
    for cid, type_, external_id in keys:
        wanted.setdefault((cid, type_), set()).add(external_id)
    found: set[ObjectKey] = set()
    for (cid, type_), ids in wanted.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), _CHUNK):
            found.update((cid, type_, external_id) for (external_id,) in conn.execute(
                _STORED, {"cid": cid, "type": type_, "ids": ordered[start:start + _CHUNK]}))
    return found


def _version(connection_id: int, document: Document) -> _Version:
    digest = content_hash(document)
    return _Version(document, (connection_id, document.type, document.source.external_id),
                    digest, document_version(document, digest))


class NewObjects:
    """The new-object events of one claimed batch, checked in memory and written in runs.

    Creating it locks the batch's objects (PostgreSQL) and reads which of them are
    stored already and which entries are posted already, in a few queries.
    """

    def __init__(self, conn: Connection, candidates: Iterable[Candidate]) -> None:
        self.conn = conn
        self._events: dict[int, tuple[Candidate, list[_Version]]] = {}
        for c in candidates:
            self._events[c.inbox_id] = (c, [_version(c.connection_id, d) for d in c.documents])
        items = [(c, v) for c, versions in self._events.values() for v in versions]
        lock_objects(conn, (v.key for _, v in items))
        self._stored = stored_objects(conn, (v.key for _, v in items))
        self._postings: dict[int, PostingBatch] = {}
        self._posted: set[str] = set()
        by_ledger: dict[int, list[str | None]] = {}
        for c, v in items:
            by_ledger.setdefault(self._posting(c.ledger).ledger.entity.id, []).append(
                entry_key(v.document, v.version))
        for entity_id, keys in by_ledger.items():
            self._posted.update(self._postings[entity_id].posted(keys))
        self._held: list[_Held] = []
        self._pending: dict[ObjectKey, Document] = {}
        self._recheck = False  # whether an event went one by one since the look-up

    def _posting(self, ledger: Ledger) -> PostingBatch:
        posting = self._postings.get(ledger.entity.id)
        if posting is None:
            posting = self._postings[ledger.entity.id] = PostingBatch(ledger, self.conn)
        return posting

    def plan(self, inbox_id: int, rules: Rules) -> bool:
        """Check an event and hold its documents; returns whether it carries any.

        Raises what ``apply_document`` would raise for it, or OneByOne.
        """
        candidate, versions = self._events[inbox_id]
        held: list[_Held] = []
        try:
            for item in versions:
                held.append(self._check(candidate, item, rules))
                self._pending[item.key] = item.document
        except BaseException:
            for h in held:
                self._pending.pop(h.item.key, None)
            raise
        self._held += held
        return bool(held)

    def _check(self, candidate: Candidate, item: _Version, rules: Rules) -> _Held:
        document = item.document
        if (item.key in self._stored or item.key in self._pending
                or document.type == "bank_transaction"
                or (isinstance(document, Payment) and document.applications)
                or entry_key(document, item.version) in self._posted):
            raise OneByOne  # a later version, bank lines, invoice settlements, a posted key
        if _voids(document):
            return _Held(candidate.inbox_id, item, None, None, None)
        lookup = self._lookup(candidate.connection_id)
        entry = rules.entry_for(document, lookup)
        posting = lines = None
        if entry is not None:
            posting = self._posting(candidate.ledger)
            lines = posting.check(entry)
        if rules.commands_for(document, lookup) or rules.derived_for(document, lookup):
            raise OneByOne
        if entry is not None:
            self._posted.add(entry_key(document, item.version))
        return _Held(candidate.inbox_id, item, posting, entry, lines)

    def _lookup(self, connection_id: int) -> Lookup:
        """``make_lookup`` that also sees the documents held for the next write."""
        stored = make_lookup(self.conn, connection_id)

        def lookup(type_: str, external_id: str) -> Document:
            held = self._pending.get((connection_id, type_, external_id))
            if held is not None:
                return held
            if type_ in SHARED_TYPES and any(k[1] == type_ for k in self._pending):
                raise OneByOne  # found elsewhere by number: only the stored rows can say
            return stored(type_, external_id)

        return lookup

    def touched(self, inbox_id: int) -> None:
        """Note that an event went one by one: its objects may be stored now."""
        self._recheck = True
        event = self._events.get(inbox_id)
        if event is not None:
            self._stored.update(v.key for v in event[1])

    def discard(self) -> None:
        """Drop the documents held (their events go one by one instead)."""
        self._posted.difference_update(
            entry_key(h.item.document, h.item.version) for h in self._held if h.entry)
        self._held, self._pending = [], {}

    def write(self) -> list[tuple[int | None, str]]:
        """Store the held documents and post their entries; returns the keys they wake.

        Raises OneByOne, writing nothing, when an event that went one by one has
        since stored one of these objects (a won deal's invoice) or posted one of
        these entries.
        """
        held, self._held, self._pending = self._held, [], {}
        if not held:
            return []
        keys = [h.item.key for h in held]
        if self._recheck and (stored_objects(self.conn, keys) or any(
                posting.posted([entry_key(h.item.document, h.item.version) for h in held
                                if h.posting is posting])
                for posting in {h.posting for h in held if h.posting is not None})):
            self._held = held
            raise OneByOne
        doc_ids = reserve_ids(self.conn, documents, len(held))
        entry_ids: dict[int, int] = {}
        for posting in {h.posting for h in held if h.posting is not None}:
            mine = [(doc_id, h) for doc_id, h in zip(doc_ids, held, strict=True)
                    if h.posting is posting and h.entry is not None]
            ids = posting.write([
                (traced(h.entry, h.item.document, h.item.version, doc_id, h.inbox_id), h.lines)
                for doc_id, h in mine])
            entry_ids.update((doc_id, id_) for (doc_id, _), id_ in zip(mine, ids, strict=True))
        insert_rows(self.conn, documents, _COLUMNS, [
            (doc_id, h.item.key[0], h.item.document.type, h.item.key[2], h.item.version,
             h.item.digest, h.item.document.model_dump_json(),
             "voided" if _voids(h.item.document) else "current", h.inbox_id, entry_ids.get(doc_id))
            for doc_id, h in zip(doc_ids, held, strict=True)])
        by_entity: dict[int, list[Document]] = {}
        for h in held:
            entity_id = self._events[h.inbox_id][0].ledger.entity.id
            by_entity.setdefault(entity_id, []).append(h.item.document)
        for entity_id, batch in by_entity.items():  # as apply_document does, one by one
            screen_new_documents(self.conn, entity_id, batch)
        self._stored.update(keys)
        return [k for h in held for k in woken_keys(h.item.key[0], h.item.document)]


def _voids(document: Document) -> bool:
    return getattr(document, "status", None) in VOID_STATUSES
