"""Apply canonical documents to the ledger, the way accounting needs it.

A document version is stored once. A new version of a posted document reverses the
old entry and posts a new one (never an in-place change); a void or deletion
reverses it; an older version arriving late is kept for the record and changes
nothing; the same content under a new version label changes nothing. Everything
happens in the caller's transaction, together with the inbox status, so a crash
leaves either all of it or none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, func, insert, select, update

from ledgerbridge.documents import Document, parse_document
from ledgerbridge.intelligence.anomalies import screen_document
from ledgerbridge.ledger import Entry, Ledger, Lineage
from ledgerbridge.store.tables import connections, documents
from ledgerbridge.sync.errors import FatalError, MissingDependency
from ledgerbridge.sync.inbox import release_waiting
from ledgerbridge.sync.settlement import document_writebacks

__all__ = ["SHARED_TYPES", "Applied", "Command", "Lookup", "ObjectKey", "Rules",
           "apply_document", "content_hash", "document_key", "document_version", "entry_key",
           "lock_objects", "make_lookup", "traced", "woken_keys"]

VOID_STATUSES = frozenset({"void", "voided", "deleted"})

# Statements of the per-event hot path, built once so their SQL compiles once.
_SAME_OBJECT = (
    (documents.c.connection_id == bindparam("connection_id"))
    & (documents.c.type == bindparam("type"))
    & (documents.c.external_id == bindparam("external_id"))
)
_VERSION_SEEN = select(documents.c.id).where(
    _SAME_OBJECT, documents.c.version == bindparam("version"))
_CURRENT = select(documents).where(_SAME_OBJECT, documents.c.status.in_(("current", "voided")))
_SET_STATUS = update(documents).where(documents.c.id == bindparam("doc_id")).values(
    status=bindparam("v_status"))
_SET_ENTRY = update(documents).where(documents.c.id == bindparam("doc_id")).values(
    entry_id=bindparam("v_entry_id"))
_INSERT = insert(documents).returning(documents.c.id)

Lookup = Callable[[str, str], Document]
"""Find a current document by (type, external id) or raise MissingDependency."""


@dataclass(frozen=True, slots=True)
class Command:
    """A write-back for the outbox: a command for a target connection."""

    connection: str
    command: str
    payload: dict[str, Any]
    key: str


class Rules(Protocol):
    """Posting rules of a connection: what entry (and write-backs) a document makes."""

    def entry_for(self, document: Document, lookup: Lookup) -> Entry | None:
        """The entry to post for ``document``, or None if it moves no money."""

    def commands_for(self, document: Document, lookup: Lookup) -> list[Command]:
        """Write-back commands that posting ``document`` triggers."""

    def derived_for(self, document: Document, lookup: Lookup) -> list[Document]:
        """Documents that ``document`` gives rise to (a won deal's invoice), applied after it."""


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one document did."""

    document_id: int | None
    entry_id: int | None
    reversed_entry_id: int | None
    outcome: str  # "posted", "replaced", "voided", "unchanged", "stale", "stored"


def document_key(type_: str, external_id: str) -> str:
    """The key a waiting event names its dependency by: ``charge:ch_1``."""
    return f"{type_}:{external_id}"


def content_hash(document: Document) -> str:
    """What a document says, apart from its version label: equal hashes, same facts."""
    data = document.model_dump(mode="json", exclude={"id"})
    data["source"] = {k: v for k, v in data["source"].items()
                      if k not in ("version", "updated_at")}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def document_version(document: Document, digest: str) -> str:
    """The version a document is stored under: its own, its change time, else its hash."""
    source = document.source
    if source.version:
        return source.version
    if source.updated_at:
        return source.updated_at.astimezone(dt.UTC).isoformat()
    return digest


def _newer(incoming: Document, current: Document) -> bool:
    """Whether ``incoming`` supersedes ``current``; without an order, the later arrival."""
    a, b = incoming.source, current.source
    if a.updated_at and b.updated_at and a.updated_at != b.updated_at:
        return a.updated_at > b.updated_at
    if a.version and b.version and a.version.isdigit() and b.version.isdigit():
        return int(a.version) > int(b.version)
    return True


def apply_document(
    conn: Connection,
    ledger: Ledger,
    connection_id: int,
    document: Document,
    rules: Rules,
    *,
    inbox_id: int | None = None,
    lookup: Lookup,
    derived: bool = False,
) -> tuple[Applied, list[Command]]:
    """Store one document version and bring the ledger in line with it.

    ``derived`` marks a document the ledger made from another (a won deal's invoice).
    """
    source = document.source
    _lock_object(conn, connection_id, document.type, source.external_id)
    digest = content_hash(document)
    version = document_version(document, digest)
    key = {"connection_id": connection_id, "type": document.type,
           "external_id": source.external_id}
    if conn.execute(_VERSION_SEEN, {**key, "version": version}).first():
        return Applied(None, None, None, "unchanged"), []
    current = conn.execute(_CURRENT, key).first()
    current_doc = parse_document(current.data) if current is not None else None

    if current_doc is not None and not _newer(document, current_doc):
        doc_id = _insert(conn, connection_id, document, version, digest, "stale",
                         inbox_id, None)
        return Applied(doc_id, None, None, "stale"), []

    voiding = getattr(document, "status", None) in VOID_STATUSES
    unchanged = current is not None and current.content_hash == digest
    if current is not None:
        conn.execute(_SET_STATUS, {"doc_id": current.id, "v_status": "superseded"})
    doc_id = _insert(conn, connection_id, document, version, digest,
                     "voided" if voiding else "current", inbox_id,
                     current.entry_id if unchanged else None)
    reversed_id = entry_id = None
    if current is not None and not unchanged and current.entry_id is not None:
        reversed_id = ledger.reverse(
            current.entry_id,
            date=_reversal_date(document),
            memo=f"{'Void' if voiding else 'Change'} of {document.type} {source.external_id}",
            conn=conn,
        )
    commands: list[Command] = []
    if unchanged:
        entry_id = current.entry_id
    elif not voiding:
        entry = rules.entry_for(document, lookup)
        if entry is not None:
            entry_id = ledger.post(traced(entry, document, version, doc_id, inbox_id), conn=conn)
            conn.execute(_SET_ENTRY, {"doc_id": doc_id, "v_entry_id": entry_id})
        commands = rules.commands_for(document, lookup)
        commands += document_writebacks(conn, connection_id, document, rules, lookup,
                                        derived=derived)
        for made in rules.derived_for(document, lookup):
            commands += apply_document(conn, ledger, connection_id, made, rules,
                                       inbox_id=inbox_id, lookup=lookup, derived=True)[1]
    if not unchanged:  # duplicates and anomalies of bills and payments, by indexed lookups
        screen_document(conn, ledger.entity.id, document)
    for waiting_in, key in woken_keys(connection_id, document):
        release_waiting(conn, waiting_in, key)
    outcome = ("voided" if voiding else "unchanged" if unchanged
               else "replaced" if current is not None else "posted" if entry_id else "stored")
    return Applied(doc_id, entry_id, reversed_id, outcome), commands


def entry_key(document: Document, version: str) -> str:
    """The idempotency key of the entry a document version posts."""
    source = document.source
    return f"{source.connection}:{document.type}:{source.external_id}:{version}"


def traced(entry: Entry, document: Document, version: str, doc_id: int,
           inbox_id: int | None) -> Entry:
    """``entry`` with its lineage (document row, raw payload) and idempotency key."""
    source = document.source
    return replace(
        entry,
        lineage=Lineage(source.connection, source.object_type, source.external_id,
                        str(doc_id), None if inbox_id is None else str(inbox_id)),
        idempotency_key=entry_key(document, version),
    )


def woken_keys(connection_id: int, document: Document) -> list[tuple[int | None, str]]:
    """(connection or None for any, key) of the events a stored document wakes.

    Events of its connection wait for it by external id; open items are also waited
    for by other connections, by external id or by number.
    """
    source = document.source
    keys: list[tuple[int | None, str]] = [
        (connection_id, document_key(document.type, source.external_id))]
    if document.type in SHARED_TYPES:
        names = {source.external_id, getattr(document, "number", None)} - {None}
        keys += [(None, document_key(document.type, name)) for name in sorted(names)]
    return keys


def _lock_object(conn: Connection, connection_id: int, type_: str, external_id: str) -> None:
    """Serialize the versions of one object across workers until the transaction ends.

    Two workers applying two versions of the same object at once would each see no
    newer version and both post (two current documents, AR counted twice); two
    reversing the same entry would break its unique reversal. On PostgreSQL a
    transaction-level advisory lock on the object makes the second wait for the
    first to commit, then see its result. SQLite writers are already serialized.
    """
    if conn.dialect.name == "postgresql":
        key = func.hashtextextended(_lock_name((connection_id, type_, external_id)), 0)
        conn.execute(select(func.pg_advisory_xact_lock(key)))


ObjectKey = tuple[int, str, str]
"""An object of a connection: (connection id, document type, external id)."""


def _lock_name(key: ObjectKey) -> str:
    return "{}:{}:{}".format(*key)


def lock_objects(conn: Connection, keys: Iterable[ObjectKey]) -> None:
    """``_lock_object`` for many objects at once, in one order, so lockers never deadlock."""
    if conn.dialect.name == "postgresql":
        names = sorted({_lock_name(key) for key in keys})
        conn.exec_driver_sql(
            "SELECT count(pg_advisory_xact_lock(hashtextextended(name, 0))) "
            "FROM (SELECT unnest(%s::text[]) AS name ORDER BY 1) AS ordered", (names,))


def _reversal_date(document: Document) -> dt.date | None:
    """Reverse on the day the change happened when known, else on the original date."""
    changed = document.source.updated_at
    return changed.date() if changed else None


def _insert(conn, connection_id, document, version, digest, status, inbox_id,  # noqa: ANN001
            entry_id) -> int:  # noqa: ANN001
    return conn.execute(_INSERT, {
        "connection_id": connection_id, "type": document.type,
        "external_id": document.source.external_id, "version": version,
        "content_hash": digest, "data": document.model_dump_json(), "status": status,
        "inbox_id": inbox_id, "entry_id": entry_id,
    }).scalar_one()


SHARED_TYPES = frozenset({"invoice", "credit_note", "bill"})
"""Open items another system may settle: a Stripe charge paying a CRM deal's invoice."""


def make_lookup(conn: Connection, connection_id: int) -> Lookup:
    """A lookup of current documents, raising MissingDependency when there is none.

    A document of the same connection wins. Invoices, credit notes and bills are
    also found on the entity's other connections, by external id or by number, since
    a processor names the invoice it was paid for by the number printed on it.
    """

    def lookup(type_: str, external_id: str) -> Document:
        row = conn.execute(_CURRENT, {"connection_id": connection_id, "type": type_,
                                      "external_id": external_id}).first()
        if row is None and type_ in SHARED_TYPES:
            row = _elsewhere(conn, connection_id, type_, external_id)
        if row is None:
            raise MissingDependency(document_key(type_, external_id))
        return parse_document(row.data)

    return lookup


def _elsewhere(conn: Connection, connection_id: int, type_: str, key: str):  # noqa: ANN202
    """The one current document of another connection of the entity known as ``key``."""
    entity = select(connections.c.entity_id).where(connections.c.id == connection_id)
    siblings = select(connections.c.id).where(connections.c.entity_id == entity.scalar_subquery())
    named = f'"number":{json.dumps(key)}'  # as the stored (compact) JSON spells it
    rows = conn.execute(select(documents).where(
        documents.c.connection_id.in_(siblings), documents.c.type == type_,
        documents.c.status == "current",
        (documents.c.external_id == key) | documents.c.data.contains(named, autoescape=True),
    ).limit(2)).all()
    if len(rows) > 1:
        raise FatalError(f"{type_} {key!r} is ambiguous: several connections have one by "
                         "that id or number; name it by the connection's own id")
    return rows[0] if rows else None
