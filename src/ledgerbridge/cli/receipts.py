"""Receipt commands: link stored receipt files to card lines, list card lines missing one."""

from __future__ import annotations

import datetime as dt
import getpass
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from ledgerbridge.cli.common import (
    DbOption,
    EntityOption,
    Format,
    FormatOption,
    OutputOption,
    console,
    fail,
    open_ledger,
)
from ledgerbridge.cli.ledger import emit
from ledgerbridge.connectors.ramp.attach import (
    attach_receipts,
    link_receipt,
    matches_report,
    missing_receipts,
    unlink_receipt,
)
from ledgerbridge.connectors.ramp.receipts import MatchPolicy
from ledgerbridge.intake import IntakeError
from ledgerbridge.ledger import LedgerError
from ledgerbridge.sync.errors import SyncError

__all__ = ["receipts_app"]

receipts_app = typer.Typer(
    help="Card receipts: match receipt files in the document store to card lines by "
         "amount, date and merchant (also done as files and card lines arrive); link or "
         "unlink one by hand; list card lines still missing a receipt.",
    no_args_is_help=True,
)

ConnectionOption = Annotated[str, typer.Option(help="The card connection (e.g. ramp).")]
ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who links (recorded; default: the login name).")]


def _non_negative(text: str, option: str) -> Decimal:
    """The decimal an option gives, or exit naming the option: not a number, or below zero."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise fail(f"{option} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise fail(f"{option} {text!r} must be zero or more")
    return value


@receipts_app.command("match")
def receipts_match(
    connection: ConnectionOption,
    days: Annotated[int, typer.Option(min=0, help="Most days between receipt and card.")] = 3,
    tip_percent: Annotated[str, typer.Option(help="Largest tip on restaurant lines, in % "
                                             "of the receipt.")] = "30",
    min_similarity: Annotated[float, typer.Option(min=0, max=100, help="Least merchant name "
                                                  "similarity, 0-100.")] = 60.0,
    by: ByOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Link stored receipt files to the connection's card lines; each link reposts the line.

    Pairings that rivals come close to are held for review, not linked.
    """
    ledger = open_ledger(db, entity)
    policy = MatchPolicy(days=days, tip_percent=_non_negative(tip_percent, "--tip-percent"),
                         min_similarity=min_similarity)
    try:
        found = attach_receipts(ledger, connection, policy, by=by or getpass.getuser())
    except (LedgerError, SyncError) as exc:
        raise fail(str(exc)) from None
    emit(matches_report(found, ledger.entity.functional_currency), fmt, output)


@receipts_app.command("link")
def receipts_link(
    document_id: Annotated[int, typer.Argument(help="The receipt's document id.")],
    transaction: Annotated[str, typer.Argument(help="The card transaction's id.")],
    connection: ConnectionOption,
    by: ByOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Tie a stored receipt file to a card transaction by hand (a pairing held for review)."""
    try:
        doc = link_receipt(open_ledger(db, entity), document_id, connection, transaction,
                           by=by or getpass.getuser())
    except (IntakeError, LedgerError, SyncError) as exc:
        raise fail(str(exc)) from None
    console.print(f"document {doc.id} ({doc.file_name}) is the receipt of {doc.matched}",
                  highlight=False)


@receipts_app.command("unlink")
def receipts_unlink(
    document_id: Annotated[int, typer.Argument(help="The receipt's document id.")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Undo a match: the card line names no receipt again, the file gets its status back."""
    try:
        doc = unlink_receipt(open_ledger(db, entity), document_id)
    except (IntakeError, LedgerError, SyncError) as exc:
        raise fail(str(exc)) from None
    console.print(f"document {doc.id} ({doc.file_name}) is {doc.status} again",
                  highlight=False)


@receipts_app.command("missing")
def receipts_missing(
    connection: ConnectionOption,
    older_than: Annotated[int, typer.Option(min=0, help="Only card lines older than this "
                                            "many days.")] = 7,
    over: Annotated[str | None, typer.Option(help="Only card lines above this amount (the "
                                             "receipt policy's threshold).")] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Card lines with no receipt, oldest first: the exceptions to chase."""
    ledger = open_ledger(db, entity)
    try:
        report = missing_receipts(
            ledger, connection, older_than_days=older_than, today=dt.date.today(),
            over=_non_negative(over, "--over") if over else None)
    except (LedgerError, ValueError) as exc:
        raise fail(str(exc)) from None
    emit(report, fmt, output)
