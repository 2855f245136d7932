"""Push a target's journals once each, recording which entries every pushed journal covers.

A journal is first recorded as *pending* together with the entries it covers (one
transaction; an entry belongs to at most one journal per target), then written
through the connector's ``push_journal`` under its reference ``LB<entity>-<id>``
(QuickBooks DocNumber, Xero narration tag), then marked *pushed*. A write whose
outcome is unknown is looked up by that reference by the writer; one still
unresolved stays pending and is written again, under the same reference, first
thing on the next push. So a timeout, a crash or a rerun never creates a second
journal, and an entry pushed in one mode is never pushed again in another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, and_, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledgerbridge.connectors.base import WriteResult
from ledgerbridge.ledger import Ledger
from ledgerbridge.mapping import MappingConfig, MappingError, rules_for_connection
from ledgerbridge.mapping._schema import TargetConfig
from ledgerbridge.money import Money
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.store.tables import (
    accounts,
    connections,
    journal_entries,
    journal_lines,
    target_push_entries,
    target_pushes,
)
from ledgerbridge.sync.errors import SyncError
from ledgerbridge.targets.plan import (
    PayoutMark,
    PlannedJournal,
    ProcessorEntry,
    net_lines,
    plan_journals,
)

__all__ = ["JournalWriter", "PushedJournal", "TargetError", "clearing_accounts", "push_target",
           "target_report"]


class TargetError(Exception):
    """A push that cannot go ahead: names the target, the journal or account, and why."""


class JournalWriter(Protocol):
    """What a target connector offers: one balanced journal under our reference."""

    def push_journal(self, reference: str, date: dt.date, memo: str,
                     lines: Sequence[tuple[str, Money]]) -> WriteResult:
        """Create the journal once (found again by ``reference``)."""
        ...


@dataclass(frozen=True, slots=True)
class PushedJournal:
    """The outcome of one journal of a push, for the report."""

    reference: str
    mode: str
    group_key: str
    date: dt.date
    entries: int
    first_entry: int
    last_entry: int
    debits: int
    status: str  # pushed | pending | empty
    package_id: str | None
    memo: str
    error: str | None = None


def _reference(entity_id: int, push_id: int) -> str:
    return f"LB{entity_id}-{push_id}"


def _entries(conn: Connection, entity_id: int, entry_ids: Iterable[Any]
             ) -> list[ProcessorEntry]:
    """The entries selected by ``entry_ids`` (a list or a subquery), with their lines."""
    rows = conn.execute(
        select(journal_entries.c.id, journal_entries.c.date, journal_entries.c.connection,
               journal_entries.c.object_type, journal_entries.c.external_id,
               accounts.c.code, journal_lines.c.amount)
        .join(journal_lines, journal_lines.c.entry_id == journal_entries.c.id)
        .join(accounts, accounts.c.id == journal_lines.c.account_id)
        .where(journal_entries.c.entity_id == entity_id, journal_entries.c.id.in_(entry_ids))
        .order_by(journal_entries.c.id, journal_lines.c.line_no)).all()
    found: dict[int, tuple[Any, list[tuple[str, int]]]] = {}
    for row in rows:
        found.setdefault(row.id, (row, []))[1].append((row.code, int(row.amount)))
    return [ProcessorEntry(r.id, r.date, r.connection or "", r.object_type or "",
                           r.external_id or "", tuple(lines)) for r, lines in found.values()]


def _clearing_entries(entity_id: int, clearing: Sequence[str], through: dt.date) -> Any:
    """Ids of the entity's entries with a line on a clearing account, up to ``through``."""
    return (select(journal_lines.c.entry_id).distinct()
            .join(accounts, accounts.c.id == journal_lines.c.account_id)
            .where(journal_lines.c.entity_id == entity_id, accounts.c.code.in_(clearing),
                   journal_lines.c.date <= through))


def _unpushed(conn: Connection, entity_id: int, target: str, clearing: Sequence[str],
              through: dt.date) -> list[ProcessorEntry]:
    claimed = exists().where(and_(target_push_entries.c.connection == target,
                                  target_push_entries.c.entry_id == journal_lines.c.entry_id))
    return _entries(conn, entity_id, _clearing_entries(entity_id, clearing, through)
                    .where(~claimed))


def _payouts(conn: Connection, entity_id: int, clearing: Sequence[str],
             through: dt.date) -> list[PayoutMark]:
    rows = conn.execute(
        select(journal_entries.c.id, journal_entries.c.date, journal_entries.c.connection,
               journal_entries.c.external_id)
        .where(journal_entries.c.object_type == "payout",
               journal_entries.c.reverses_id.is_(None),
               journal_entries.c.id.in_(_clearing_entries(entity_id, clearing, through))))
    return [PayoutMark(r.id, r.date, r.connection or "", r.external_id or str(r.id))
            for r in rows]


def clearing_accounts(ledger: Ledger, config: MappingConfig) -> list[str]:
    """The processor clearing accounts: the target mapping's and every connection's own."""
    codes = {config.effective_accounts([]).get("clearing")}
    with ledger.engine.connect() as conn:
        stored = conn.execute(select(connections.c.system, connections.c.mapping).where(
            connections.c.entity_id == ledger.entity.id)).all()
    for system, text in stored:
        try:
            codes.add(rules_for_connection(system, text).config.effective_accounts([])
                      .get("clearing"))
        except (MappingError, SyncError) as exc:
            raise TargetError(f"the mapping of a {system} connection cannot be read: {exc}"
                              ) from None
    return sorted(c for c in codes if c)


def _check_accounts(target: str, config: TargetConfig, plans: Sequence[PlannedJournal]) -> None:
    missing: dict[str, str] = {}
    for plan in plans:
        for code, _ in plan.lines:
            if code not in config.accounts:
                missing.setdefault(code, f"{plan.mode} {plan.group_key}")
    if missing:
        listed = ", ".join(f"{code} (first needed by {where})" for code, where in missing.items())
        raise TargetError(f"target {target}: no package account for our account {listed}; "
                          f"add them under targets.{target}.accounts "
                          f"(`ledgerbridge accounts map {target} --write FILE` suggests them)")


def _record(conn: Connection, entity_id: int, target: str, plan: PlannedJournal) -> int:
    """Store the journal as pending and claim its entries; return its id."""
    push_id = int(conn.execute(insert(target_pushes).values(
        entity_id=entity_id, connection=target, mode=plan.mode, group_key=plan.group_key,
        date=plan.date, memo=plan.memo, status="pending" if plan.lines else "empty",
    ).returning(target_pushes.c.id)).scalar_one())
    try:
        conn.execute(insert(target_push_entries), [
            {"connection": target, "entry_id": e.id, "push_id": push_id} for e in plan.entries])
    except IntegrityError:
        raise TargetError(f"target {target}: {plan.mode} {plan.group_key} covers entries "
                          "another push claimed meanwhile; run the push again") from None
    return push_id


def _pending(conn: Connection, entity_id: int, target: str) -> list[tuple[int, PlannedJournal]]:
    """Journals recorded but not known to be written, rebuilt from the entries they claimed."""
    rows = conn.execute(select(target_pushes).where(
        target_pushes.c.entity_id == entity_id, target_pushes.c.connection == target,
        target_pushes.c.status == "pending").order_by(target_pushes.c.id)).all()
    out = []
    for row in rows:
        members = _entries(conn, entity_id, select(target_push_entries.c.entry_id).where(
            target_push_entries.c.push_id == row.id))
        out.append((row.id, PlannedJournal(
            row.mode, row.group_key, row.date, tuple(members),
            net_lines(members), False, row.memo)))
    return out


def _write(writer: JournalWriter, reference: str, plan: PlannedJournal, config: TargetConfig,
           currency: str) -> WriteResult:
    lines = [(config.accounts[code], Money(amount, currency)) for code, amount in plan.lines]
    return writer.push_journal(reference, plan.date, plan.memo, lines)


def push_target(ledger: Ledger, target: str, config: TargetConfig, writer: JournalWriter, *,
                clearing: Sequence[str], through: dt.date,
                progress: Callable[[int, int], None] | None = None) -> list[PushedJournal]:
    """Push what ``target`` has not received yet, in its mode, through ``through``.

    Pending journals of an earlier run go first. Raises TargetError, before writing
    anything, when an account to push has no package account in ``config``.
    """
    entity_id, currency = ledger.entity.id, ledger.entity.functional_currency
    with ledger.engine.connect() as conn:
        pending = _pending(conn, entity_id, target)
        unpushed = _unpushed(conn, entity_id, target, clearing, through)
        marks = _payouts(conn, entity_id, clearing, through) if config.summary == "payout" \
            else []
        pushed_groups = frozenset(conn.execute(select(target_pushes.c.group_key).where(
            target_pushes.c.connection == target,
            target_pushes.c.mode == config.summary)).scalars())
    plans = plan_journals(config.summary, unpushed, payouts=marks, pushed_groups=pushed_groups)
    _check_accounts(target, config, [p for _, p in pending] + plans)
    work: list[tuple[int | None, PlannedJournal]] = [*pending, *((None, p) for p in plans)]
    done: list[PushedJournal] = []
    for n, (known_id, plan) in enumerate(work, 1):
        if known_id is None:
            with ledger.engine.begin() as conn:
                push_id = _record(conn, entity_id, target, plan)
        else:
            push_id = known_id
        reference, status, package_id, error = _reference(entity_id, push_id), "empty", None, None
        if plan.lines:
            try:
                result = _write(writer, reference, plan, config, currency)
            except SyncError as exc:
                status, error = "pending", str(exc)
            else:
                status, package_id = "pushed", result.external_id
                with ledger.engine.begin() as conn:
                    conn.execute(update(target_pushes).where(target_pushes.c.id == push_id)
                                 .values(status="pushed", package_id=package_id,
                                         pushed_at=func.now()))
        ids = [e.id for e in plan.entries]
        done.append(PushedJournal(reference, plan.mode, plan.group_key, plan.date, len(ids),
                                  min(ids), max(ids), sum(a for _, a in plan.lines if a > 0),
                                  status, package_id, plan.memo, error))
        if progress is not None:
            progress(n, len(work))
    return done


def target_report(target: str, pushed: Sequence[PushedJournal], currency: str) -> Report:
    """What one push did, a row per journal."""
    rows = [{"reference": p.reference, "mode": p.mode, "group": p.group_key, "date": p.date,
             "entries": p.entries, "first_entry": p.first_entry, "last_entry": p.last_entry,
             "debits": p.debits, "status": p.status, "package_id": p.package_id,
             "memo": p.memo, "error": p.error} for p in pushed]
    written = sum(1 for p in pushed if p.status == "pushed")
    return Report(
        title=f"Pushed to {target}",
        subtitle=f"{written} of {len(rows)} journals pushed"
                 + (f", {len(rows) - written} not" if len(rows) - written else ""),
        columns=(Column("reference", "Reference"), Column("mode", "Mode"),
                 Column("group", "Group"), Column("date", "Date", ColumnKind.DATE),
                 Column("entries", "Entries", ColumnKind.INT),
                 Column("first_entry", "First", ColumnKind.INT, table=False),
                 Column("last_entry", "Last", ColumnKind.INT, table=False),
                 Column("debits", "Debits", ColumnKind.MONEY), Column("status", "Status"),
                 Column("package_id", "Their id"), Column("memo", "Memo", table=False),
                 Column("error", "Error")),
        rows=rows, currency=currency, rows_key="journals",
        meta={"connection": target, "pushed": written},
    )
