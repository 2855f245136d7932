"""Tell other systems that a reconciliation paid (or unpaid) their invoices and bills.

Called inside the transaction of ``run``, ``accept`` and ``undo`` with the journal
lines the reconciliations linked. The invoices behind those lines get their payment
state computed afresh, and the write-backs their connection's mapping asks for are
queued in the outbox in the same transaction. The bills behind them queue a
``settle_bill`` command for each accounting package holding the bill, which pays
(or deletes the payment of) each settlement there once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import Connection, select

from ledgerbridge.mapping import MappingError, PostingRules, rules_for_connection
from ledgerbridge.store.tables import connections
from ledgerbridge.sync.errors import SyncError
from ledgerbridge.sync.outbox import enqueue
from ledgerbridge.sync.settlement import (
    bill_commands,
    bills_of_lines,
    invoices_of_lines,
    state_writebacks,
)

__all__ = ["queue_invoice_writebacks"]

log = logging.getLogger(__name__)


def _rules_with_states(conn: Connection) -> dict[int, PostingRules]:
    """Connections whose mapping has a write-back for an invoice payment state."""
    found = {}
    for id_, name, system, text in conn.execute(select(
            connections.c.id, connections.c.name, connections.c.system, connections.c.mapping)):
        try:
            rules = rules_for_connection(system, text, source=f"connection {name} mapping")
        except (MappingError, SyncError) as exc:  # its own events fail with this; a run goes on
            log.warning("no invoice write-backs for %s: %s", name, exc)
            continue
        if rules.invoice_states:
            found[id_] = rules
    return found


def queue_invoice_writebacks(conn: Connection, line_ids: Iterable[int]) -> int:
    """Queue the write-backs that settling ``line_ids`` triggers (invoices, bills); how many."""
    lines = list(line_ids)
    queued = sum(enqueue(conn, command, document_id=bill_id) is not None
                 for command, bill_id in bill_commands(conn, bills_of_lines(conn, lines)))
    by_connection = _rules_with_states(conn)
    if not by_connection:
        return queued
    for key in invoices_of_lines(conn, lines):
        rules = by_connection.get(key[0])
        if rules is None:
            continue
        for command, document_id in state_writebacks(conn, rules, [key]):
            queued += enqueue(conn, command, document_id=document_id) is not None
    return queued
