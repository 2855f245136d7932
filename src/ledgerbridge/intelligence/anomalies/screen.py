"""Run the checks: a full scan, a cheap screen of one synced document, the payment-run gate.

A scan reads every outflow (documents and bank debits), rebuilds the
``anomaly_outflows`` index and saves what the checks find. Screening one document,
which the sync engine does after applying a bill or payment, updates its index row
and runs the outflow checks on the records the index finds for it by vendor and by
amount and date: a few indexed lookups, never a scan of the books.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, or_, select

from ledgerbridge.documents import Document
from ledgerbridge.intelligence.anomalies.checks import (
    DEFAULTS,
    ManualEntry,
    Thresholds,
    bank_account_changes,
    duplicate_amounts,
    duplicate_numbers,
    round_or_weekend,
    unusual_accounts,
    unusual_amounts,
)
from ledgerbridge.intelligence.anomalies.model import Flag, Outflow, Posting
from ledgerbridge.intelligence.anomalies.sources import (
    SCREENED_TYPES,
    bank_outflows,
    document_key,
    document_outflows,
    manual_entries,
    outflow_of,
    vendor_postings,
)
from ledgerbridge.intelligence.anomalies.store import FlagStatus, SavedFlag, list_flags, save_flags
from ledgerbridge.ledger import Ledger
from ledgerbridge.store.tables import anomaly_outflows

__all__ = ["HIGH_SCORE", "ScanResult", "check", "detect", "outflow_checks", "scan",
           "screen_document", "screen_new_documents"]

HIGH_SCORE = 0.8
"""Flags from this score hold a payment run until someone dismisses them."""

NEARBY_LIMIT = 500  # index rows a screened document is compared with
_VOID = frozenset({"void", "voided", "deleted"})


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan looked at and found."""

    outflows: int
    flags: int
    new: int


def outflow_checks(outflows: Iterable[Outflow], limits: Thresholds = DEFAULTS) -> list[Flag]:
    """Every check on outflows: duplicates, unusual amounts, bank account changes."""
    records = list(outflows)
    return (duplicate_numbers(records) + duplicate_amounts(records, limits)
            + unusual_amounts(records, limits) + bank_account_changes(records, limits))


def detect(outflows: Iterable[Outflow], postings: Iterable[Posting],
           entries: Iterable[ManualEntry], limits: Thresholds = DEFAULTS) -> list[Flag]:
    """Every check on the given records."""
    return (outflow_checks(outflows, limits) + unusual_accounts(postings, limits)
            + round_or_weekend(entries, limits))


def _row(entity_id: int, o: Outflow) -> dict[str, object]:
    return {"entity_id": entity_id, "key": o.key, "kind": o.kind, "channel": o.channel,
            "vendor": o.vendor[:200], "vendor_name": o.vendor_name[:255], "number": o.number,
            "amount": o.amount, "currency": o.currency, "date": o.date, "account": o.account}


def _outflow(row) -> Outflow:  # noqa: ANN001 - a result row
    return Outflow(row.key, row.kind, row.channel, row.vendor, row.vendor_name, row.number,
                   row.amount, row.currency, row.date, row.account)


def scan(ledger: Ledger, limits: Thresholds = DEFAULTS) -> ScanResult:
    """Check the whole entity, rebuild the outflow index and save the flags found."""
    entity_id, currency = ledger.entity.id, ledger.entity.functional_currency
    with ledger.engine.begin() as conn:
        outflows = [*document_outflows(conn, entity_id), *bank_outflows(conn, entity_id)]
        conn.execute(delete(anomaly_outflows).where(anomaly_outflows.c.entity_id == entity_id))
        if outflows:
            conn.execute(insert(anomaly_outflows), [_row(entity_id, o) for o in outflows])
        flags = detect(outflows, vendor_postings(conn, entity_id, currency),
                       manual_entries(conn, entity_id, currency), limits)
        new = save_flags(conn, entity_id, flags)
    return ScanResult(len(outflows), len(flags), new)


def screen_document(conn: Connection, entity_id: int, document: Document,
                    limits: Thresholds = DEFAULTS) -> list[Flag]:
    """Index one applied document and save the flags that involve it."""
    if document.type not in SCREENED_TYPES:
        return []
    key = document_key(document)
    conn.execute(delete(anomaly_outflows).where(anomaly_outflows.c.entity_id == entity_id,
                                                anomaly_outflows.c.key == key))
    found = None if getattr(document, "status", None) in _VOID else outflow_of(document)
    return [] if found is None else _screen(conn, entity_id, found, key, limits)


def screen_new_documents(conn: Connection, entity_id: int, batch: Iterable[Document],
                         limits: Thresholds = DEFAULTS) -> list[Flag]:
    """``screen_document`` for documents stored for the first time (nothing to replace).

    Only outflows cost a query, so a run of incoming charges is not slowed down.
    """
    flags: list[Flag] = []
    for document in batch:
        if document.type not in SCREENED_TYPES or getattr(document, "status", None) in _VOID:
            continue
        found = outflow_of(document)
        if found is not None:
            flags += _screen(conn, entity_id, found, document_key(document), limits)
    return flags


def _screen(conn: Connection, entity_id: int, found: Outflow, key: str,
            limits: Thresholds) -> list[Flag]:
    """Index an outflow, check it against its neighbours, save the flags naming it."""
    conn.execute(insert(anomaly_outflows), [_row(entity_id, found)])
    window = dt.timedelta(days=limits.window_days)
    nearby = conn.execute(select(anomaly_outflows).where(
        anomaly_outflows.c.entity_id == entity_id,
        or_(anomaly_outflows.c.vendor == found.vendor[:200],
            (anomaly_outflows.c.amount == found.amount)
            & anomaly_outflows.c.date.between(found.date - window, found.date + window)),
    ).order_by(anomaly_outflows.c.date.desc()).limit(NEARBY_LIMIT))
    flags = [f for f in outflow_checks(map(_outflow, nearby), limits) if key in f.records]
    save_flags(conn, entity_id, flags)
    return flags


def check(ledger: Ledger, *, min_score: float = HIGH_SCORE,
          limits: Thresholds = DEFAULTS) -> list[SavedFlag]:
    """Scan, then return the open flags from ``min_score``: a payment run waits for none."""
    scan(ledger, limits)
    with ledger.engine.connect() as conn:
        return list_flags(conn, ledger.entity.id, status=FlagStatus.OPEN, min_score=min_score)
