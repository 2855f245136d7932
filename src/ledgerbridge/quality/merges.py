"""Merge proposals and canonical contacts, stored: propose, accept, undo.

Resolution proposes; a person decides. Accepting a proposal makes (or extends) a
canonical contact and records each member as an alias of it: the record keys
(``crm:7``, so every system's own id stays valid and nothing is renumbered) and the
core names, which later resolutions treat as known names of that contact.
Undoing removes exactly the aliases that merge added and retires a contact that is
left with none; the proposal stays on file as ``undone``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.quality.names import name_forms
from ledgerbridge.quality.records import load_records
from ledgerbridge.quality.resolve import Cluster, Known, resolve
from ledgerbridge.store.tables import contact_aliases, contact_merges, contacts

__all__ = ["CanonicalContact", "Merge", "MergeError", "Resolution", "accept",
           "canonical_contacts", "known", "merge_records", "merges", "resolve_contacts",
           "undo"]


class MergeError(LedgerError):
    """A merge that cannot be accepted or undone; says which and why."""


@dataclass(frozen=True, slots=True)
class Merge:
    """A proposed, accepted or undone merge of contact records.

    Attributes:
        members: (record key, name) of each record, by key.
        contact_id: the canonical contact it makes or extends (once accepted, or when
            some members already belong to one).

    """

    id: int
    status: str
    confidence: int
    name: str
    reasons: tuple[str, ...]
    members: tuple[tuple[str, str], ...]
    contact_id: int | None
    decided_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class CanonicalContact:
    """A canonical contact with every record and name known to be it."""

    id: int
    name: str
    records: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a resolution run found: records read, groups and new proposals."""

    records: int
    clusters: int
    proposals: int


def known(conn: Connection, entity_id: int) -> Known:
    """The records and names that accepted merges tied to canonical contacts."""
    rows = conn.execute(select(contact_aliases.c.kind, contact_aliases.c.value,
                               contact_aliases.c.contact_id)
                        .where(contact_aliases.c.entity_id == entity_id)).all()
    return Known(records={r.value: r.contact_id for r in rows if r.kind == "record"},
                 names={r.value: r.contact_id for r in rows if r.kind == "name"})


def _merge(row) -> Merge:  # noqa: ANN001 - a result row
    return Merge(row.id, row.status, row.confidence, row.name,
                 tuple(json.loads(row.reasons)),
                 tuple((m["record"], m["name"]) for m in json.loads(row.members)),
                 row.contact_id, row.decided_at)


def _proposal(entity_id: int, cluster: Cluster) -> dict[str, object]:
    members = [{"record": r.key, "name": r.name} for r in cluster.records]
    return {"entity_id": entity_id, "status": "proposed", "confidence": cluster.confidence,
            "name": cluster.name, "reasons": json.dumps(list(cluster.reasons)),
            "members": json.dumps(members), "contact_id": cluster.contact_id}


def resolve_contacts(ledger: Ledger, *, min_confidence: int = 85,
                     progress: Callable[[int, int], None] | None = None) -> Resolution:
    """Resolve every connection's contacts again; open proposals are replaced.

    ``progress(done, total)`` is told how many records have been compared.
    """
    entity_id = ledger.entity.id
    with ledger.engine.begin() as conn:
        records = list(load_records(conn, entity_id))
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done, len(records))

        clusters = resolve(records, known(conn, entity_id), min_confidence=min_confidence,
                           progress=step)
        conn.execute(delete(contact_merges).where(contact_merges.c.entity_id == entity_id,
                                                  contact_merges.c.status == "proposed"))
        proposed = sorted((c for c in clusters if c.units > 1),
                          key=lambda c: (-c.confidence, c.name))
        if proposed:
            conn.execute(insert(contact_merges), [_proposal(entity_id, c) for c in proposed])
    return Resolution(len(records), len(clusters), len(proposed))


def merges(ledger: Ledger, status: str | None = "proposed") -> list[Merge]:
    """Merges of the entity in one status (None: all), most confident first."""
    query = select(contact_merges).where(contact_merges.c.entity_id == ledger.entity.id)
    if status is not None:
        query = query.where(contact_merges.c.status == status)
    query = query.order_by(contact_merges.c.confidence.desc(), contact_merges.c.id)
    with ledger.engine.connect() as conn:
        return [_merge(r) for r in conn.execute(query)]


def _locked(conn: Connection, entity_id: int, merge_id: int) -> Merge:
    row = conn.execute(select(contact_merges).where(
        contact_merges.c.id == merge_id, contact_merges.c.entity_id == entity_id
    ).with_for_update()).first()
    if row is None:
        raise MergeError(f"no merge {merge_id}")
    return _merge(row)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def accept(ledger: Ledger, merge_id: int) -> Merge:
    """Accept a proposal: its records (and names) become aliases of one contact."""
    entity_id = ledger.entity.id
    with ledger.engine.begin() as conn:
        merge = _locked(conn, entity_id, merge_id)
        if merge.status != "proposed":
            raise MergeError(f"merge {merge_id} is {merge.status}, not a proposal")
        aliases = known(conn, entity_id)
        keys = [key for key, _ in merge.members]
        linked = {aliases.records[k] for k in keys if k in aliases.records}
        if linked - {merge.contact_id} or (merge.contact_id is not None
                                           and merge.contact_id not in linked):
            raise MergeError(f"merge {merge_id} is out of date (a record has been merged or "
                             "unmerged since): run `ledgerbridge contacts resolve` again")
        contact_id = merge.contact_id
        if contact_id is None:
            contact_id = conn.execute(insert(contacts).values(
                entity_id=entity_id, name=merge.name).returning(contacts.c.id)).scalar_one()
        new = [{"kind": "record", "value": k} for k in keys if k not in aliases.records]
        names = sorted({name_forms(n).core for _, n in merge.members} - set(aliases.names))
        new += [{"kind": "name", "value": n} for n in names]
        if new:
            conn.execute(insert(contact_aliases), [
                {"entity_id": entity_id, "contact_id": contact_id, "merge_id": merge_id, **row}
                for row in new])
        conn.execute(update(contact_merges).where(contact_merges.c.id == merge_id).values(
            status="accepted", contact_id=contact_id, decided_at=_now()))
        return _locked(conn, entity_id, merge_id)


def merge_records(ledger: Ledger, keys: Sequence[str]) -> Merge:
    """Merge records by hand (``crm:amz-r``, ``books:aws-2`` ...): proposed and accepted.

    The records must be current contacts; at most one accepted contact may be among
    them, which is then extended. Undo works as for any accepted merge.
    """
    entity_id = ledger.entity.id
    with ledger.engine.begin() as conn:
        records = {r.key: r for r in load_records(conn, entity_id)}
        aliases = known(conn, entity_id)
    missing = [k for k in keys if k not in records]
    if missing:
        raise MergeError(f"no current contact {', '.join(missing)} (give connection:id)")
    chosen = tuple(records[k] for k in sorted(set(keys)))
    owners = {aliases.records[r.key] for r in chosen if r.key in aliases.records}
    if len(owners) > 1:
        raise MergeError(f"the records belong to contacts {', '.join(map(str, sorted(owners)))}"
                         ": undo one of those merges first")
    linked = frozenset(r.key for r in chosen if r.key in aliases.records)
    cluster = Cluster(chosen, 100, ("merged by hand",), next(iter(owners), None), linked)
    if cluster.units < 2:
        raise MergeError("give at least two records that are not one contact already")
    with ledger.engine.begin() as conn:
        merge_id = conn.execute(insert(contact_merges).values(
            **_proposal(entity_id, cluster)).returning(contact_merges.c.id)).scalar_one()
    return accept(ledger, merge_id)


def undo(ledger: Ledger, merge_id: int) -> Merge:
    """Undo an accepted merge exactly: its aliases go; a contact left empty is retired."""
    entity_id = ledger.entity.id
    with ledger.engine.begin() as conn:
        merge = _locked(conn, entity_id, merge_id)
        if merge.status != "accepted":
            raise MergeError(f"merge {merge_id} is {merge.status}; only an accepted merge "
                             "can be undone")
        later = conn.execute(select(func.max(contact_merges.c.id)).where(
            contact_merges.c.contact_id == merge.contact_id,
            contact_merges.c.status == "accepted", contact_merges.c.id > merge_id)).scalar()
        if later is not None:
            raise MergeError(f"merge {later} extended the same contact later: undo it first")
        conn.execute(delete(contact_aliases).where(contact_aliases.c.merge_id == merge_id))
        left = conn.execute(select(func.count()).select_from(contact_aliases).where(
            contact_aliases.c.contact_id == merge.contact_id)).scalar_one()
        if left == 0:
            conn.execute(update(contacts).where(contacts.c.id == merge.contact_id)
                         .values(active=False))
        conn.execute(update(contact_merges).where(contact_merges.c.id == merge_id).values(
            status="undone", decided_at=_now()))
        return _locked(conn, entity_id, merge_id)


def canonical_contacts(ledger: Ledger) -> list[CanonicalContact]:
    """The entity's active canonical contacts with their aliases, by name."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            select(contacts.c.id, contacts.c.name, contact_aliases.c.kind,
                   contact_aliases.c.value)
            .join(contact_aliases, contact_aliases.c.contact_id == contacts.c.id)
            .where(contacts.c.entity_id == ledger.entity.id, contacts.c.active)
            .order_by(contacts.c.name, contacts.c.id, contact_aliases.c.value)).all()
    found: dict[int, tuple[str, list[str], list[str]]] = {}
    for r in rows:
        name, records, names = found.setdefault(r.id, (r.name, [], []))
        (records if r.kind == "record" else names).append(r.value)
    return [CanonicalContact(i, name, tuple(records), tuple(names))
            for i, (name, records, names) in found.items()]
