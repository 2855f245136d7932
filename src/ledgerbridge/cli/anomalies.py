"""Anomaly commands: scan the books, list flags, dismiss one, gate a payment run."""

from __future__ import annotations

import getpass
from enum import StrEnum
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
from ledgerbridge.intelligence.anomalies import (
    HIGH_SCORE,
    FlagStatus,
    SavedFlag,
    check,
    dismiss,
    list_flags,
    scan,
)
from ledgerbridge.ledger import LedgerError
from ledgerbridge.money import Money
from ledgerbridge.report import Column, ColumnKind, Report

__all__ = ["anomalies_app"]

anomalies_app = typer.Typer(help="Duplicate payments and other anomalies: scan, list, "
                            "dismiss, check before paying.", no_args_is_help=True)


class Shown(StrEnum):
    """Which flags ``list`` shows."""

    open = "open"
    dismissed = "dismissed"
    all = "all"


def flags_report(flags: list[SavedFlag], currency: str, title: str) -> Report:
    """Flags as a report: id, kind, score, status, amount, reason, records."""
    return Report(
        title=title,
        columns=(Column("id", "Id", ColumnKind.INT), Column("kind", "Kind"),
                 Column("score", "Score"), Column("status", "Status"),
                 Column("amount", "Amount", ColumnKind.MONEY), Column("reason", "Reason"),
                 Column("records", "Records", table=False)),
        rows=[{"id": f.id, "kind": f.kind, "score": f"{f.score:.2f}", "status": f.status,
               "amount": None if f.amount is None or f.currency is None
               else Money(f.amount, f.currency),
               "reason": f.reason, "records": " ".join(f.records)} for f in flags],
        currency=currency,
        rows_key="flags",
    )


MinScoreOption = Annotated[float, typer.Option(min=0.0, max=1.0,
                                               help="Only flags with at least this score.")]


@anomalies_app.command("scan")
def anomalies_scan(db: DbOption = None, entity: EntityOption = "default") -> None:
    """Check every bill, payment, bank debit and manual entry; store the flags found."""
    ledger = open_ledger(db, entity)
    result = scan(ledger)
    console.print(f"{result.outflows} outflows checked: {result.flags} flags, "
                  f"{result.new} of them new", highlight=False)


@anomalies_app.command("list")
def anomalies_list(
    status: Annotated[Shown, typer.Option(help="Which flags to show.")] = Shown.open,
    min_score: MinScoreOption = 0.0,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Stored flags, highest score first."""
    ledger = open_ledger(db, entity)
    with ledger.engine.connect() as conn:
        flags = list_flags(conn, ledger.entity.id, min_score=min_score,
                           status=None if status is Shown.all else FlagStatus(status.value))
    emit(flags_report(flags, ledger.entity.functional_currency, f"Anomalies ({status.value})"),
         fmt, output)


@anomalies_app.command("dismiss")
def anomalies_dismiss(
    flag_id: Annotated[int, typer.Argument(help="Flag id (see `anomalies list`).")],
    by: Annotated[str | None, typer.Option(help="Who dismisses it (default: the login "
                                           "name).")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Dismiss a flag as a false alarm; it stays dismissed when found again."""
    ledger = open_ledger(db, entity)
    try:
        with ledger.engine.begin() as conn:
            flag = dismiss(conn, ledger.entity.id, flag_id, by or getpass.getuser())
    except LedgerError as exc:
        raise fail(str(exc)) from None
    console.print(f"Flag {flag.id} ({flag.kind}) dismissed by {flag.dismissed_by}",
                  highlight=False)


@anomalies_app.command("check")
def anomalies_check(
    min_score: MinScoreOption = HIGH_SCORE,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Scan, then exit 1 if open flags from ``--min-score`` remain: run before paying."""
    ledger = open_ledger(db, entity)
    held = check(ledger, min_score=min_score)
    if not held:
        console.print(f"No open flags with a score of {min_score:.2f} or more: clear to pay.",
                      highlight=False)
        return
    emit(flags_report(held, ledger.entity.functional_currency,
                      f"{len(held)} open flags hold the payment run"), fmt, None)
    raise typer.Exit(code=1)
