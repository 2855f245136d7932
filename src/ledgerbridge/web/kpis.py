"""Finance KPIs computed from the ledger, before and after a baseline date.

The two windows are equally long: ``after`` runs from the baseline to the end
date, ``before`` the same number of days up to the baseline. Each KPI says what
it counted, so a figure can be checked by hand.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, func, select

from ledgerbridge.intelligence.anomalies import FlagKind, FlagStatus
from ledgerbridge.ledger import Ledger
from ledgerbridge.money import format_minor
from ledgerbridge.store.tables import (
    anomaly_flags,
    bank_lines,
    connections,
    documents,
    inbox,
    journal_entries,
    periods,
)
from ledgerbridge.sync.inbox import EventStatus
from ledgerbridge.sync.status import connection_statuses

__all__ = ["Kpi", "Window", "kpis"]

CORRECTION_DAYS = 30
_je = journal_entries


@dataclass(frozen=True, slots=True)
class Window:
    """A date range, both ends included."""

    start: dt.date
    end: dt.date

    @property
    def weeks(self) -> float:
        """Its length in weeks."""
        return ((self.end - self.start).days + 1) / 7

    def holds(self, day: dt.date) -> bool:
        """Whether ``day`` falls in the window."""
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Kpi:
    """One measure in the window before the baseline and the one after."""

    name: str
    before: str
    after: str
    counted: str


def windows(baseline: dt.date, end: dt.date) -> tuple[Window, Window]:
    """The windows before and after ``baseline``, equally long."""
    days = max((end - baseline).days, 0) + 1
    return (Window(baseline - dt.timedelta(days=days), baseline - dt.timedelta(days=1)),
            Window(baseline, end))


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}% ({part} of {whole})" if whole else "no data"


def _manual_entries(conn: Connection, ledger: Ledger, w: Window) -> str:
    count = conn.execute(select(func.count()).select_from(_je).where(
        _je.c.entity_id == ledger.entity.id, _je.c.connection.is_(None),
        _je.c.object_type.is_(None), _je.c.date.between(w.start, w.end))).scalar_one()
    return f"{count / w.weeks:.1f} a week ({count} entries)"


def _corrections(conn: Connection, ledger: Ledger) -> dict[tuple[int, str], tuple[dt.date, bool]]:
    """Each invoice (connection, external id): its first date and whether it was corrected."""
    rows = conn.execute(
        select(documents.c.connection_id, documents.c.external_id, _je.c.id, _je.c.date)
        .join(_je, _je.c.id == documents.c.entry_id)
        .where(documents.c.type == "invoice", _je.c.entity_id == ledger.entity.id))
    first: dict[tuple[int, str], dt.date] = {}
    entries: dict[int, tuple[int, str]] = {}
    for r in rows:
        key = (r.connection_id, r.external_id)
        first[key] = min(first.get(key, r.date), r.date)
        entries[r.id] = key
    corrected: set[tuple[int, str]] = set()
    limit = dt.timedelta(days=CORRECTION_DAYS)
    reversals = conn.execute(select(_je.c.reverses_id, _je.c.date).where(
        _je.c.entity_id == ledger.entity.id, _je.c.reverses_id.is_not(None)))
    for r in reversals:
        key = entries.get(r.reverses_id)
        if key is not None and r.date - first[key] <= limit:
            corrected.add(key)
    credits = conn.execute(
        select(documents.c.connection_id, documents.c.data, _je.c.date)
        .join(_je, _je.c.id == documents.c.entry_id)
        .where(documents.c.type == "credit_note", _je.c.entity_id == ledger.entity.id))
    for r in credits:
        invoice = (json.loads(r.data).get("invoice") or {}).get("external_id")
        key = (r.connection_id, invoice)
        if key in first and r.date - first[key] <= limit:
            corrected.add(key)
    return {key: (day, key in corrected) for key, day in first.items()}


def _correction_rate(invoices: dict[tuple[int, str], tuple[dt.date, bool]], w: Window) -> str:
    inside = [fixed for day, fixed in invoices.values() if w.holds(day)]
    return _percent(sum(inside), len(inside))


def _close_days(conn: Connection, ledger: Ledger) -> list[tuple[dt.date, int]]:
    """(period end, days from period end to its lock or close) of each shut period."""
    out = []
    for period, changed in conn.execute(select(periods.c.period, periods.c.changed_at).where(
            periods.c.entity_id == ledger.entity.id)):
        year, month = map(int, period.split("-"))
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        out.append((last, (changed.date() - last).days))
    return out


def _close_duration(closes: list[tuple[dt.date, int]], w: Window) -> str:
    days = [d for last, d in closes if w.holds(last)]
    return f"{sum(days) / len(days):.1f} days ({len(days)} periods)" if days else "no data"


def _lineage(conn: Connection, ledger: Ledger, w: Window) -> str:
    full = and_(_je.c.connection.is_not(None), _je.c.document_id.is_not(None),
                _je.c.raw_payload_id.is_not(None))
    total, traced = conn.execute(select(
        func.count(), func.coalesce(func.sum(case((full, 1), else_=0)), 0)).where(
        _je.c.entity_id == ledger.entity.id, _je.c.date.between(w.start, w.end))).one()
    return _percent(int(traced), int(total))


def _duplicates(conn: Connection, ledger: Ledger, w: Window) -> str:
    count = conn.execute(select(func.count()).select_from(bank_lines).where(
        bank_lines.c.entity_id == ledger.entity.id,
        bank_lines.c.status.in_(("review", "discarded")),
        bank_lines.c.booking_date.between(w.start, w.end))).scalar_one()
    return str(count)


def _prevented(conn: Connection, ledger: Ledger, w: Window) -> str:
    """Duplicate bills and payments flagged in the window and not dismissed as false alarms."""
    start = dt.datetime.combine(w.start, dt.time(), dt.UTC)
    end = dt.datetime.combine(w.end + dt.timedelta(days=1), dt.time(), dt.UTC)
    currency = ledger.entity.functional_currency
    at_stake = case((anomaly_flags.c.currency == currency, anomaly_flags.c.amount), else_=0)
    count, amount = conn.execute(select(
        func.count(), func.coalesce(func.sum(at_stake), 0)).where(
        anomaly_flags.c.entity_id == ledger.entity.id,
        anomaly_flags.c.kind.in_([k.value for k in FlagKind if k.duplicate]),
        anomaly_flags.c.status != FlagStatus.DISMISSED.value,
        anomaly_flags.c.detected_at >= start, anomaly_flags.c.detected_at < end)).one()
    if not count:
        return "0"
    return f"{count} ({format_minor(int(amount), currency)} {currency} at stake)"


def _seconds(conn: Connection):  # noqa: ANN202 - a SQL expression
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", inbox.c.processed_at - inbox.c.received_at)
    return (func.julianday(inbox.c.processed_at) - func.julianday(inbox.c.received_at)) * 86400


def _lags(conn: Connection, w: Window) -> dict[str, str]:
    """Average seconds from receipt to posting, per connection, for events received in ``w``."""
    start = dt.datetime.combine(w.start, dt.time(), dt.UTC)
    end = dt.datetime.combine(w.end + dt.timedelta(days=1), dt.time(), dt.UTC)
    query = (select(connections.c.name, func.avg(_seconds(conn)), func.count())
             .join(inbox, inbox.c.connection_id == connections.c.id)
             .where(inbox.c.status == EventStatus.POSTED.value,
                    inbox.c.processed_at.is_not(None),
                    inbox.c.received_at >= start, inbox.c.received_at < end)
             .group_by(connections.c.name))
    return {name: f"{float(avg):.1f}s average ({n} events)" for name, avg, n in conn.execute(query)}


def kpis(ledger: Ledger, baseline: dt.date, end: dt.date) -> tuple[Window, Window, list[Kpi]]:
    """The KPIs before and after ``baseline``, with the two windows."""
    before, after = windows(baseline, end)
    with ledger.engine.connect() as conn:
        invoices = _corrections(conn, ledger)
        closes = _close_days(conn, ledger)
        lags = [_lags(conn, before), _lags(conn, after)]
        now = {s.name: s.lag_seconds for s in connection_statuses(conn)}
        result = [
            Kpi("Manual entries per week", _manual_entries(conn, ledger, before),
                _manual_entries(conn, ledger, after),
                "Entries dated in the window with no connection and no source record "
                "(reconciliation and synced entries excluded)."),
            Kpi("Invoice correction rate", _correction_rate(invoices, before),
                _correction_rate(invoices, after),
                f"Synced invoices first posted in the window that were reversed (a new "
                f"version or a void) or credited by a credit note within {CORRECTION_DAYS} "
                "days."),
            Kpi("Close duration", _close_duration(closes, before),
                _close_duration(closes, after),
                "Days from a month's last day to when it was last closed or locked "
                "(periods table), for months ending in the window."),
            Kpi("Audit retrieval", _lineage(conn, ledger, before), _lineage(conn, ledger, after),
                "Entries dated in the window whose connection, canonical document and raw "
                "payload are all recorded, of all entries."),
            Kpi("Duplicate payment incidents", _duplicates(conn, ledger, before),
                _duplicates(conn, ledger, after),
                "Bank lines booked in the window that were held as probable duplicates "
                "(in review, or discarded after review). Duplicate webhook deliveries are "
                "dropped on arrival and not kept, so they are not counted."),
            Kpi("Duplicate payments prevented", _prevented(conn, ledger, before),
                _prevented(conn, ledger, after),
                "Duplicate bills and payments (same vendor and number, or the same amount to "
                "the same vendor within days) flagged in the window, before a payment run or "
                "as they were synced, and not dismissed as false alarms; with the money at "
                "stake in the functional currency (flags in other currencies are counted, "
                "not added)."),
        ]
    names = sorted(set(now) | set(lags[0]) | set(lags[1]))
    result += [
        Kpi(f"Sync lag: {name}", lags[0].get(name, "no events"), lags[1].get(name, "no events"),
            "Time from receiving an event to posting it, for events received in the window"
            + ("" if now.get(name) is None else
               f"; the oldest event waiting now is {now[name]:.0f}s old") + ".")
        for name in names
    ]
    return before, after, result
