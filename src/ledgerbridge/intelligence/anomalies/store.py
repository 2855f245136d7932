"""The flags table: flags saved by fingerprint, so a dismissal outlives re-detection."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, insert, select, update

from ledgerbridge.intelligence.anomalies.model import Flag
from ledgerbridge.ledger import LedgerError
from ledgerbridge.store.tables import anomaly_flags

__all__ = ["FlagStatus", "SavedFlag", "dismiss", "list_flags", "save_flags"]


class FlagStatus(StrEnum):
    """The states of a stored flag."""

    OPEN = "open"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class SavedFlag:
    """A stored flag with its id, status and when it was found."""

    id: int
    kind: str
    score: float
    reason: str
    records: tuple[str, ...]
    amount: int | None
    currency: str | None
    status: str
    detected_at: dt.datetime
    dismissed_by: str | None


def _saved(row) -> SavedFlag:  # noqa: ANN001 - a result row
    return SavedFlag(row.id, row.kind, row.score / 100, row.reason, tuple(json.loads(row.records)),
                     row.amount, row.currency, row.status, row.detected_at, row.dismissed_by)


def save_flags(conn: Connection, entity_id: int, flags: Iterable[Flag]) -> int:
    """Store new flags, refresh known ones (a dismissed one stays dismissed); count new ones."""
    now = dt.datetime.now(dt.UTC)
    unique = {f.fingerprint: f for f in flags}
    if not unique:
        return 0
    known = set(conn.execute(select(anomaly_flags.c.fingerprint).where(
        anomaly_flags.c.entity_id == entity_id,
        anomaly_flags.c.fingerprint.in_(list(unique)))).scalars())
    fresh = [f for key, f in unique.items() if key not in known]
    for key in known:
        flag = unique[key]
        conn.execute(update(anomaly_flags).where(
            anomaly_flags.c.entity_id == entity_id, anomaly_flags.c.fingerprint == key).values(
            score=round(flag.score * 100), reason=flag.reason, last_seen_at=now))
    if fresh:
        conn.execute(insert(anomaly_flags), [{
            "entity_id": entity_id, "kind": f.kind.value, "fingerprint": f.fingerprint,
            "score": round(f.score * 100), "reason": f.reason, "records": json.dumps(f.records),
            "amount": f.amount, "currency": f.currency, "status": FlagStatus.OPEN,
            "detected_at": now, "last_seen_at": now} for f in fresh])
    return len(fresh)


def list_flags(conn: Connection, entity_id: int, *, status: str | None = None,
               min_score: float = 0.0) -> list[SavedFlag]:
    """Stored flags, highest score first, optionally only those of one status."""
    query = select(anomaly_flags).where(anomaly_flags.c.entity_id == entity_id,
                                        anomaly_flags.c.score >= round(min_score * 100))
    if status is not None:
        query = query.where(anomaly_flags.c.status == status)
    query = query.order_by(anomaly_flags.c.score.desc(), anomaly_flags.c.id)
    return [_saved(r) for r in conn.execute(query)]


def dismiss(conn: Connection, entity_id: int, flag_id: int, by: str) -> SavedFlag:
    """Dismiss a flag; it stays dismissed when found again. Unknown ids are refused."""
    row = conn.execute(select(anomaly_flags).where(
        anomaly_flags.c.entity_id == entity_id, anomaly_flags.c.id == flag_id)).first()
    if row is None:
        raise LedgerError(f"no anomaly flag {flag_id}")
    if row.status == FlagStatus.DISMISSED:
        raise LedgerError(f"anomaly flag {flag_id} was already dismissed by {row.dismissed_by}")
    conn.execute(update(anomaly_flags).where(anomaly_flags.c.id == flag_id).values(
        status=FlagStatus.DISMISSED, dismissed_at=dt.datetime.now(dt.UTC), dismissed_by=by))
    return _saved(conn.execute(select(anomaly_flags).where(
        anomaly_flags.c.id == flag_id)).one())
