"""Reading back what the engine stored for a connection."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update

from ledgerbridge.store.tables import documents, inbox
from ledgerbridge.sync.worker import Worker


def work(ledger) -> None:
    """Process every due inbox event."""
    Worker(ledger.engine).run_until_idle()


def current(ledger, type_: str) -> dict[str, dict[str, Any]]:
    """Current documents of one type, by external id."""
    query = select(documents.c.external_id, documents.c.data).where(
        documents.c.type == type_, documents.c.status == "current")
    with ledger.engine.connect() as conn:
        return {row.external_id: json.loads(row.data) for row in conn.execute(query)}


def inbox_rows(ledger) -> list:
    """Every inbox row, oldest first."""
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(inbox).order_by(inbox.c.id)))


def make_due(ledger, table=inbox) -> None:
    """Make scheduled retries due now."""
    with ledger.engine.begin() as conn:
        conn.execute(update(table).values(next_attempt_at=None))
