"""What the reconciliation workspace shows: open bank lines with their suggested matches."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection, or_, select

from ledgerbridge.ledger import Ledger
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    journal_entries,
    journal_lines,
    reconciliation_links,
    reconciliations,
)

__all__ = ["BankLine", "Match", "Proposal", "Workspace", "bank_accounts", "workspace"]


@dataclass(frozen=True, slots=True)
class Match:
    """A book line a proposal settles, and how much of it."""

    entry_id: int
    memo: str
    party: str | None
    amount: int


@dataclass(frozen=True, slots=True)
class Proposal:
    """A suggested (or decided) reconciliation of one bank line."""

    id: int
    kind: str
    confidence: int
    reasons: tuple[str, ...]
    fee: int
    matches: tuple[Match, ...]
    entry_id: int | None = None


@dataclass(frozen=True, slots=True)
class BankLine:
    """A statement line with the reconciliations that concern it."""

    id: int
    booking_date: dt.date
    amount: int
    currency: str
    description: str
    counterparty: str | None
    proposals: tuple[Proposal, ...]


@dataclass(frozen=True, slots=True)
class Workspace:
    """One bank account's open lines and its latest accepted reconciliations."""

    account: str
    open_lines: tuple[BankLine, ...]
    accepted: tuple[BankLine, ...]


def bank_accounts(conn: Connection, ledger: Ledger) -> list[tuple[str, str]]:
    """(code, name) of the entity's bank accounts and of every account with statement lines."""
    with_lines = select(bank_lines.c.account_id).where(bank_lines.c.entity_id == ledger.entity.id)
    query = (select(accounts.c.code, accounts.c.name)
             .where(accounts.c.entity_id == ledger.entity.id,
                    or_(accounts.c.subtype == "bank", accounts.c.id.in_(with_lines)))
             .order_by(accounts.c.code))
    return [(r.code, r.name) for r in conn.execute(query)]


def _proposals(conn: Connection, heads: list) -> dict[int, list[Proposal]]:
    """Proposals per bank line id, best first."""
    ids = [h.id for h in heads]
    links = conn.execute(
        select(reconciliation_links.c.reconciliation_id, reconciliation_links.c.bank_line_id,
               reconciliation_links.c.amount, journal_lines.c.entry_id, journal_lines.c.party,
               journal_lines.c.memo, journal_entries.c.memo.label("entry_memo"))
        .outerjoin(journal_lines, journal_lines.c.id == reconciliation_links.c.journal_line_id)
        .outerjoin(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
        .where(reconciliation_links.c.reconciliation_id.in_(ids))
        .order_by(reconciliation_links.c.id)) if ids else []
    matches: dict[int, list[Match]] = defaultdict(list)
    lines_of: dict[int, list[int]] = defaultdict(list)
    for lk in links:
        if lk.bank_line_id is not None:
            lines_of[lk.reconciliation_id].append(lk.bank_line_id)
        else:
            matches[lk.reconciliation_id].append(
                Match(lk.entry_id, lk.memo or lk.entry_memo or "", lk.party, lk.amount))
    per_line: dict[int, list[Proposal]] = defaultdict(list)
    for h in heads:
        proposal = Proposal(h.id, h.kind, h.confidence,
                            tuple(r for r in h.reasons.split("; ") if r), h.fee,
                            tuple(matches[h.id]), h.entry_id)
        for line_id in lines_of[h.id]:
            per_line[line_id].append(proposal)
    return per_line


def _lines(conn: Connection, where: list, proposals: dict[int, list[Proposal]],
           order: list) -> tuple[BankLine, ...]:
    query = select(bank_lines.c.id, bank_lines.c.booking_date, bank_lines.c.amount,
                   bank_lines.c.currency, bank_lines.c.description,
                   bank_lines.c.counterparty).where(*where).order_by(*order)
    return tuple(BankLine(r.id, r.booking_date, r.amount, r.currency, r.description,
                          r.counterparty, tuple(proposals.get(r.id, ())))
                 for r in conn.execute(query))


def workspace(conn: Connection, ledger: Ledger, account: str, *,
              accepted_limit: int = 20) -> Workspace:
    """The open lines of bank account ``account`` with their proposals, and recent matches."""
    account_id = conn.execute(select(accounts.c.id).where(
        accounts.c.entity_id == ledger.entity.id, accounts.c.code == account)).scalar()
    if account_id is None:
        return Workspace(account, (), ())
    on_account = reconciliations.c.account_id == account_id
    proposed = list(conn.execute(
        select(reconciliations).where(on_account, reconciliations.c.status == "proposed")
        .order_by(reconciliations.c.confidence.desc(), reconciliations.c.id)))
    accepted = list(conn.execute(
        select(reconciliations).where(on_account, reconciliations.c.status == "accepted")
        .order_by(reconciliations.c.decided_at.desc(), reconciliations.c.id.desc())
        .limit(accepted_limit)))
    done = _proposals(conn, accepted)
    open_lines = _lines(conn, [bank_lines.c.account_id == account_id,
                               bank_lines.c.status == "unreconciled",
                               bank_lines.c.pending.is_(False)],
                        _proposals(conn, proposed), [bank_lines.c.booking_date, bank_lines.c.id])
    recent = _lines(conn, [bank_lines.c.id.in_(list(done))], done,
                    [bank_lines.c.booking_date.desc(), bank_lines.c.id.desc()])
    return Workspace(account, open_lines, recent)
