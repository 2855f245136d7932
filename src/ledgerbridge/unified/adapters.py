"""The adapter for a connection name: the ledger by default, else the connection's package."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from ledgerbridge.ledger import LedgerError
from ledgerbridge.sync.connections import ConnectionRecord, get_connection
from ledgerbridge.unified.errors import BadRequest, NotFound
from ledgerbridge.unified.ledger_adapter import LEDGER, LedgerAdapter
from ledgerbridge.unified.protocol import AccountingAdapter
from ledgerbridge.unified.quickbooks_adapter import QuickBooksAdapter
from ledgerbridge.unified.xero_adapter import XeroAdapter

__all__ = ["ADAPTERS", "adapter_for"]

ADAPTERS: dict[str, Callable[[ConnectionRecord], AccountingAdapter]] = {
    "quickbooks": QuickBooksAdapter,
    "xero": XeroAdapter,
}
"""The adapter class of each system the unified API reaches besides the ledger."""


def adapter_for(engine: Engine, connection: str | None = None,
                entity: str = "default") -> AccountingAdapter:
    """The adapter serving ``connection`` (``None`` or ``"ledger"``: our own books)."""
    if connection in (None, LEDGER):
        return LedgerAdapter(engine, entity)
    with engine.connect() as conn:
        try:
            record = get_connection(conn, connection)
        except LedgerError:
            raise NotFound(f"there is no connection {connection!r}") from None
    build = ADAPTERS.get(record.system)
    if build is None:
        raise BadRequest(f"connection {connection!r} is a {record.system} connection; the "
                         f"unified API reaches {', '.join(sorted(ADAPTERS))} and the ledger")
    if not record.enabled:
        raise BadRequest(f"connection {connection!r} is disabled")
    return build(record)
