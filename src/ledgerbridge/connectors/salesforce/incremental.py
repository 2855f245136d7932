"""Reading an sObject incrementally: a SystemModstamp cursor with a lookback.

Records come oldest first (``ORDER BY SystemModstamp, Id``); each query batch,
followed through ``nextRecordsUrl``, is one page, stored with the last
SystemModstamp read as its cursor. Each poll starts ``lookback_seconds`` before
the cursor with ``>=``, so records sharing the boundary timestamp and records
committed late are read again; each event is keyed by (Id, SystemModstamp), so the
inbox drops the versions it already has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from ledgerbridge.connectors.base import Page, RawEvent, Stream
from ledgerbridge.connectors.exact_json import dumps
from ledgerbridge.connectors.salesforce.client import SalesforceClient
from ledgerbridge.connectors.salesforce.soql import modified_since

__all__ = ["Records", "parse_stamp", "raw_event", "read_modified"]

Records = list[dict[str, Any]]
"""Records as the query API returns them."""


def parse_stamp(text: str) -> dt.datetime:
    """A Salesforce datetime (``2026-11-20T10:00:00.000+0000``) as an aware datetime."""
    stamp = dt.datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def raw_event(stream: Stream, record: dict[str, Any], body: dict[str, Any]) -> RawEvent:
    """``body`` as the event of ``record``, keyed by its Id and SystemModstamp."""
    return RawEvent(dumps(body).encode(), object_type=stream.object_type,
                    object_id=record["Id"], object_version=record["SystemModstamp"])


def read_modified(client: SalesforceClient, stream: Stream, fields: str, cursor: str | None,
                  *, lookback: dt.timedelta,
                  events: Callable[[Records], list[RawEvent]]) -> Iterator[Page]:
    """Pages of ``events`` for the records modified since ``cursor`` (None: all)."""
    last_seen = parse_stamp(cursor) if cursor else None
    since = last_seen - lookback if last_seen else None
    soql = modified_since(stream.object_type, fields, since)
    for records, more in client.query(soql, stream=stream.name):
        if records:
            stamp = parse_stamp(records[-1]["SystemModstamp"])
            last_seen = stamp if last_seen is None else max(last_seen, stamp)
        yield Page(events(records) if records else [],
                   last_seen.isoformat() if last_seen else cursor, more=more)
