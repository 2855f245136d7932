"""What a mapping change would do: re-derive a connection's documents without writing.

Every current document of the connection is run through the new posting rules
and the entry they would post is set beside the entry the document did post.
Entries are compared net per account and currency, in the line's own currency:
an entry the new rules add, one they would no longer post, and the account lines
that change. Documents the new rules refuse are listed with the reason. Nothing
is written: the lookups the rules make only read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from ledgerbridge.documents import parse_document
from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.mapping import MappingError, rules_for_connection
from ledgerbridge.money import Money, MoneyError
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.store.tables import documents
from ledgerbridge.sync.apply import make_lookup
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.errors import SyncError

__all__ = ["EntryChange", "mapping_diff", "mapping_diff_report"]

_Net = dict[tuple[str, str], int]


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One account line of a document's entry that the new rules change.

    ``change`` is added (a new entry), removed (no entry any more), changed (this
    account's amount differs) or refused (the new rules stop at this document,
    ``reason`` says why).
    """

    document: str
    entry_id: int | None
    change: str
    account: str | None
    before: Money | None
    after: Money | None
    reason: str = ""


def _net(lines: Iterable[tuple[str, Money]]) -> _Net:
    totals: _Net = defaultdict(int)
    for account, amount in lines:
        totals[(account, amount.currency)] += amount.minor
    return {k: v for k, v in totals.items() if v}


def _lines(label: str, entry_id: int | None, change: str, before: _Net,
           after: _Net) -> list[EntryChange]:
    out = []
    for account, currency in sorted(before.keys() | after.keys()):
        old, new = before.get((account, currency)), after.get((account, currency))
        if old != new:
            out.append(EntryChange(label, entry_id, change, account,
                                   None if old is None else Money(old, currency),
                                   None if new is None else Money(new, currency)))
    return out


def mapping_diff(engine: Engine, connection: str, mapping_text: str,
                 *, source: str = "mapping") -> list[EntryChange]:
    """The entry lines that would change if ``connection`` used ``mapping_text``."""
    with engine.connect() as conn:
        record = get_connection(conn, connection)
        ledger = Ledger(engine, record.entity)
        try:
            rules = rules_for_connection(record.system, mapping_text,
                                         source=source).for_ledger(ledger)
        except (MappingError, SyncError) as exc:
            raise LedgerError(str(exc)) from None
        lookup = make_lookup(conn, record.id)
        rows = conn.execute(select(documents.c.data, documents.c.entry_id).where(
            documents.c.connection_id == record.id, documents.c.status == "current",
        ).order_by(documents.c.id)).all()
        changes: list[EntryChange] = []
        for data, entry_id in rows:
            document = parse_document(data)
            if document.type == "bank_transaction":
                continue
            label = f"{document.type} {document.source.external_id}"
            before: _Net = {}
            if entry_id is not None:
                posted = ledger.entry(entry_id, conn=conn)
                before = _net((ln.account, ln.original) for ln in posted.lines)
            try:
                entry = rules.entry_for(document, lookup)
            except (SyncError, LedgerError, MoneyError) as exc:
                changes.append(EntryChange(label, entry_id, "refused", None, None, None,
                                           str(exc)))
                continue
            after = _net((ln.account, ln.amount) for ln in entry.lines) if entry else {}
            kind = "added" if not before else "removed" if not after else "changed"
            changes.extend(_lines(label, entry_id, kind, before, after))
    return changes


def mapping_diff_report(changes: list[EntryChange], connection: str, currency: str) -> Report:
    """The changes as a report (one row per changed account line)."""
    entries = len({c.document for c in changes})
    return Report(
        title=f"Mapping diff for connection {connection} (nothing written)",
        subtitle=f"{entries} entries would change, {len(changes)} lines",
        columns=(Column("document", "Document"), Column("entry_id", "Entry", ColumnKind.INT),
                 Column("change", "Change"), Column("account", "Account"),
                 Column("before", "Before", ColumnKind.MONEY),
                 Column("after", "After", ColumnKind.MONEY), Column("reason", "Reason")),
        rows=[{"document": c.document, "entry_id": c.entry_id, "change": c.change,
               "account": c.account, "before": c.before, "after": c.after, "reason": c.reason}
              for c in changes],
        currency=currency, meta={"connection": connection, "entries_changed": entries},
        rows_key="changes")
