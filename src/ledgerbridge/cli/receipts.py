"""Receipt commands: link stored receipt files to card lines, list card lines missing one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
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
from ledgerbridge.connectors.ramp.attach import attach_receipts, matches_report, missing_receipts
from ledgerbridge.connectors.ramp.receipts import MatchPolicy
from ledgerbridge.ledger import LedgerError
from ledgerbridge.sync.errors import SyncError

__all__ = ["receipts_app"]

receipts_app = typer.Typer(
    help="Card receipts: match receipt files in the document store to card lines by "
         "amount, date and merchant; list card lines still missing a receipt.",
    no_args_is_help=True,
)

ConnectionOption = Annotated[str, typer.Option(help="The card connection (e.g. ramp).")]


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise fail(f"--tip-percent {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise fail(f"--tip-percent {text!r} must be zero or more")
    return value


@receipts_app.command("match")
def receipts_match(
    connection: ConnectionOption,
    days: Annotated[int, typer.Option(min=0, help="Most days between receipt and card.")] = 3,
    tip_percent: Annotated[str, typer.Option(help="Largest tip on restaurant lines, in % "
                                             "of the receipt.")] = "30",
    min_similarity: Annotated[float, typer.Option(min=0, max=100, help="Least merchant name "
                                                  "similarity, 0-100.")] = 60.0,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Link stored receipt files to the connection's card lines; each link reposts the line."""
    ledger = open_ledger(db, entity)
    policy = MatchPolicy(days=days, tip_percent=_percent(tip_percent),
                         min_similarity=min_similarity)
    try:
        found = attach_receipts(ledger, connection, policy)
    except (LedgerError, SyncError) as exc:
        raise fail(str(exc)) from None
    emit(matches_report(found, ledger.entity.functional_currency), fmt, output)


@receipts_app.command("missing")
def receipts_missing(
    connection: ConnectionOption,
    older_than: Annotated[int, typer.Option(min=0, help="Only card lines older than this "
                                            "many days.")] = 7,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Card lines with no receipt, oldest first: the exceptions to chase."""
    ledger = open_ledger(db, entity)
    try:
        report = missing_receipts(ledger, connection, older_than_days=older_than,
                                  today=dt.date.today())
    except LedgerError as exc:
        raise fail(str(exc)) from None
    emit(report, fmt, output)
