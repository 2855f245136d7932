"""Source of truth: which system wins when two disagree about a field.

``source_of_truth: {contact: {default: crm, fields: {payment_status: ledger}}}`` says
the CRM masters contacts except their payment status, which the ledger masters.
System names match directly or through ``systems`` (``crm: [hubspot, salesforce]``).
When neither side is the master (or none is configured), the incoming value wins.
Every real conflict is logged to ``sync_log`` when a database connection is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert

from ledgerbridge.mapping._posting import _plain
from ledgerbridge.store.tables import sync_log

if TYPE_CHECKING:
    from ledgerbridge.mapping._posting import PostingRules

__all__ = ["Resolution", "resolve"]


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of comparing two values of one field.

    Attributes:
        value: the value to keep.
        winner: the system whose value it is.
        conflict: true when the two values differed.
        master: the configured master of the field, if any.

    """

    value: Any
    winner: str
    conflict: bool
    master: str | None


def _is(system: str, name: str, systems: dict[str, list[str]]) -> bool:
    return system == name or system in systems.get(name, ())


def resolve(
    type_: str,
    field: str,
    ours: Any,
    theirs: Any,
    *,
    theirs_from: str,
    ours_from: str = "ledger",
    rules: PostingRules | None = None,
    conn: Connection | None = None,
    connection_id: int | None = None,
    record: str | None = None,
) -> Resolution:
    """Decide between the value we hold (``ours``) and an incoming one (``theirs``).

    ``ours_from`` and ``theirs_from`` name the systems the values come from. With
    ``conn``, a conflict is written to ``sync_log`` (kind ``conflict``) in the
    caller's transaction, under ``connection_id`` and naming ``record``.
    """
    if rules is None:
        from ledgerbridge.mapping import load_rules

        rules = load_rules(None)
    config = rules.config
    truth = config.source_of_truth.get(type_)
    master = None
    if truth is not None:
        master = truth.fields.get(field, truth.default)
    if master is not None and _is(ours_from, master, config.systems):
        winner, value = ours_from, ours
    elif master is not None and _is(theirs_from, master, config.systems):
        winner, value = theirs_from, theirs
    else:
        winner, value = theirs_from, theirs
    conflict = _plain(ours) != _plain(theirs)
    result = Resolution(value, winner, conflict, master)
    if conflict and conn is not None:
        loser = ours_from if winner == theirs_from else theirs_from
        where = f"{type_} {record}" if record else type_
        message = f"{where}.{field}: {winner} wins over {loser}"
        message += f" ({master} masters it)" if master else " (no master; latest value kept)"
        details = {
            "type": type_, "field": field, "record": record, "master": master,
            "winner": winner, "ours": {"system": ours_from, "value": _plain(ours)},
            "theirs": {"system": theirs_from, "value": _plain(theirs)},
        }
        conn.execute(insert(sync_log).values(
            connection_id=connection_id, kind="conflict", message=message,
            details=json.dumps(details, default=str),
        ))
    return result
