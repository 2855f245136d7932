"""Which journals a push target receives: processor entries grouped by entry, day or payout.

Pure planning, no database: the entries not yet pushed to a target go in, the
journals to push come out, each with its lines (our account -> net amount, debit
positive, in the entity's functional currency) and the lineage it covers. A group
already pushed before (a day or a payout) gets a *correcting* journal holding only
the late entries, so nothing posted late is lost and nothing is pushed twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

__all__ = ["Mode", "PayoutMark", "PlannedJournal", "ProcessorEntry", "net_lines",
           "plan_journals"]

Mode = Literal["detail", "daily", "payout"]


@dataclass(frozen=True, slots=True)
class ProcessorEntry:
    """A ledger entry touching a processor clearing account.

    Attributes:
        id: the journal entry's id.
        date: its date.
        connection: the connection it came from (its lineage), or "" for none.
        object_type: its source object type ("payment", "fee", "payout" ...).
        external_id: its source object's id.
        lines: (our account code, amount in functional minor units, debit positive).

    """

    id: int
    date: dt.date
    connection: str
    object_type: str
    external_id: str
    lines: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class PayoutMark:
    """A payout entry of a processor, pushed or not: it closes that processor's activity."""

    entry_id: int
    date: dt.date
    connection: str
    external_id: str


@dataclass(frozen=True, slots=True)
class PlannedJournal:
    """One journal to push: a group of entries and their totals per account.

    Attributes:
        mode: detail, daily or payout.
        group_key: the entry id, the day, or ``connection:payout id``.
        date: the journal's date (the entry's, the day, or the payout's).
        entries: the entries it covers, by id.
        lines: (our account code, net amount), accounts netting to zero left out.
        correction: whether the group was pushed before (this holds late entries).
        memo: what it is and the lineage it covers.

    """

    mode: Mode
    group_key: str
    date: dt.date
    entries: tuple[ProcessorEntry, ...]
    lines: tuple[tuple[str, int], ...]
    correction: bool
    memo: str


def net_lines(entries: Iterable[ProcessorEntry]) -> tuple[tuple[str, int], ...]:
    """Net amount per account of ``entries``, by account code; accounts netting to 0 left out."""
    sums: dict[str, int] = {}
    for entry in entries:
        for account, amount in entry.lines:
            sums[account] = sums.get(account, 0) + amount
    return tuple((a, v) for a, v in sorted(sums.items()) if v)


def _memo(what: str, entries: Sequence[ProcessorEntry], correction: bool) -> str:
    ids = sorted(e.id for e in entries)
    sources = ", ".join(sorted({e.connection for e in entries if e.connection})) or "ledger"
    span = f"#{ids[0]}" if len(ids) == 1 else f"#{ids[0]}-#{ids[-1]}"
    head = f"Correction to {what}" if correction else what.capitalize()
    return f"{head}: {len(ids)} entries {span} from {sources}"


def _payout_of(entry: ProcessorEntry, marks: Sequence[PayoutMark]) -> PayoutMark | None:
    """The first payout of the entry's processor at or after it (None: not paid out yet)."""
    return next((m for m in marks if m.connection == entry.connection
                 and (m.date, m.entry_id) >= (entry.date, entry.id)), None)


def plan_journals(mode: Mode, entries: Iterable[ProcessorEntry], *,
                  payouts: Sequence[PayoutMark] = (),
                  pushed_groups: frozenset[str] = frozenset()) -> list[PlannedJournal]:
    """The journals that push ``entries`` in ``mode``, oldest first.

    In payout mode an entry belongs to the first payout of its processor on or after
    it; entries after the processor's last payout wait for the next one (they are
    not in the result). ``pushed_groups`` are the group keys already pushed in this
    mode: a group among them becomes a correction.
    """
    ordered = sorted(entries, key=lambda e: (e.date, e.id))
    groups: list[tuple[str, dt.date, str, list[ProcessorEntry]]] = []
    if mode == "detail":
        groups = [(str(e.id), e.date, f"entry {e.object_type or 'journal'} "
                   f"{e.external_id or e.id}", [e]) for e in ordered]
    elif mode == "daily":
        groups = [(day.isoformat(), day, f"daily summary {day.isoformat()}", list(members))
                  for day, members in groupby(ordered, key=lambda e: e.date)]
    else:
        marks = sorted(payouts, key=lambda m: (m.date, m.entry_id))
        by_payout: dict[PayoutMark, list[ProcessorEntry]] = {}
        for entry in ordered:
            mark = _payout_of(entry, marks)
            if mark is not None:
                by_payout.setdefault(mark, []).append(entry)
        groups = [(f"{m.connection}:{m.external_id}", m.date,
                   f"payout {m.external_id} summary", members)
                  for m, members in sorted(by_payout.items(),
                                           key=lambda kv: (kv[0].date, kv[0].entry_id))]
    return [PlannedJournal(mode, key, date, tuple(members), net_lines(members),
                           key in pushed_groups, _memo(what, members, key in pushed_groups))
            for key, date, what, members in groups]
