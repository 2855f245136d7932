"""Push-target commands: which account of the accounting package each of ours maps to."""

from __future__ import annotations

from typing import Annotated

import typer

from ledgerbridge.cli.common import (
    DbOption,
    EntityOption,
    Format,
    FormatOption,
    OutputOption,
    fail,
    open_ledger,
)
from ledgerbridge.cli.ledger import emit
from ledgerbridge.connectors.account_map import suggest_accounts
from ledgerbridge.ledger import LedgerError
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.errors import SyncError

__all__ = ["accounts_map"]


def accounts_map(
    connection: Annotated[str, typer.Argument(help="A QuickBooks or Xero connection.")],
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Suggest the package's account for each of ours, by class, role and name, with a score."""
    ledger = open_ledger(db, entity)
    try:
        with ledger.engine.connect() as conn:
            record = get_connection(conn, connection)
        connector = record.connector()
        read = getattr(connector, "package_accounts", None)
        if read is None:
            raise fail(f"connection {connection!r} is a {record.system} connection; "
                       "accounts map reads QuickBooks or Xero")
        theirs = read()
        ours = [a for a in ledger.accounts() if a.active]
    except (LedgerError, SyncError) as exc:
        raise fail(str(exc)) from None
    rows = [{"code": s.account.code, "name": s.account.name, "type": s.account.type.value,
             "target_id": s.target.id if s.target else None,
             "target_code": s.target.code if s.target else None,
             "target_name": s.target.name if s.target else None,
             "score": s.score, "reason": s.reason}
            for s in suggest_accounts(ours, theirs)]
    emit(Report(
        title=f"Account mapping suggestions for {connection}",
        subtitle=f"{sum(1 for r in rows if r['target_id'])} of {len(rows)} accounts suggested",
        columns=(Column("code", "Account"), Column("name", "Name"), Column("type", "Type"),
                 Column("target_id", "Id", table=False), Column("target_code", "Their code"),
                 Column("target_name", "Their account"),
                 Column("score", "Score", ColumnKind.INT), Column("reason", "Why")),
        rows=rows, currency=ledger.entity.functional_currency, rows_key="suggestions",
        meta={"connection": connection, "system": record.system},
    ), fmt, output)
