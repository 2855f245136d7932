"""Shared helpers for mapping tests: post through a real ledger and read the lines back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from ledgerbridge.documents import Document, parse_document
from ledgerbridge.ledger import Ledger
from ledgerbridge.mapping import PostingRules
from ledgerbridge.store.tables import connections
from ledgerbridge.sync.apply import apply_document, make_lookup
from ledgerbridge.sync.errors import MissingDependency


def no_lookup(type_: str, external_id: str) -> Document:
    raise MissingDependency(f"{type_}:{external_id}")


def post(ledger: Ledger, rules: PostingRules, data: dict[str, Any], lookup=no_lookup):
    """Post one document's entry and return its lines as (account, functional, original, party)."""
    entry = rules.for_ledger(ledger).entry_for(parse_document(data), lookup)
    assert entry is not None
    posted = ledger.entry(ledger.post(entry))
    return posted, [
        (ln.account, ln.amount.minor, ln.original.minor, ln.party) for ln in posted.lines
    ]


def add_connection_row(ledger: Ledger, name: str = "demo") -> int:
    """A connection row for the sync engine's document store."""
    with ledger.engine.begin() as conn:
        return conn.execute(
            insert(connections).values(name=name, system="webhook", entity_id=ledger.entity.id)
        ).inserted_primary_key[0]


def apply(ledger: Ledger, connection_id: int, rules: PostingRules, data: dict[str, Any]):
    """Apply a document through the real sync path; returns the Applied result."""
    with ledger.engine.begin() as conn:
        applied, _ = apply_document(conn, ledger, connection_id, parse_document(data),
                                    rules.for_ledger(ledger),
                                    lookup=make_lookup(conn, connection_id))
    return applied
