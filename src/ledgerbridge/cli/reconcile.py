"""Reconciliation commands: run the matcher, review its proposals, accept, reject, undo."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

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
from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.money import format_minor
from ledgerbridge.reconcile import accept, reconciliation_report, reject, run, undo
from ledgerbridge.reconcile.rules import load_amount_rules, load_bank_rules
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.store.tables import accounts, bank_lines, reconciliation_links, reconciliations

__all__ = ["reconcile_app"]

reconcile_app = typer.Typer(help="Bank reconciliation: match, review, accept, undo.",
                            no_args_is_help=True)
AccountOption = Annotated[str, typer.Option(help="Ledger account of the bank.")]


@reconcile_app.command("run")
def reconcile_run(
    account: AccountOption = "1010",
    threshold: Annotated[int, typer.Option(help="Confidence (0-100) from which a match is "
                                           "accepted automatically.")] = 90,
    rules: Annotated[Path | None, typer.Option(
        help="YAML file of bank_rules for lines nothing matched (and original_amounts "
             "rules that read what the payer sent from the bank text).")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Match unreconciled bank lines; accept the sure ones, propose the rest."""
    ledger = open_ledger(db, entity)
    try:
        text = rules.read_text(encoding="utf-8") if rules else ""
        bank_rules = load_bank_rules(text, source=str(rules)) if rules else ()
        amount_rules = load_amount_rules(text, source=str(rules)) if rules else ()
        result = run(ledger, account=account, auto_threshold=threshold, rules=bank_rules,
                     amounts=amount_rules)
    except (LedgerError, OSError) as exc:
        raise fail(str(exc)) from None
    by_rule = f" ({result.by_rule} by bank rules)" if result.by_rule else ""
    console.print(
        f"{result.bank_lines} bank lines: {result.auto_accepted} reconciled automatically"
        f"{by_rule}, "
        f"{result.suggested} suggested for review, {result.unmatched} without a match; "
        f"{result.entries_posted} settling entries posted",
        highlight=False,
    )


@reconcile_app.command("status")
def reconcile_status(
    account: AccountOption = "1010",
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Proposals waiting for a decision, with their confidence and reasons."""
    ledger = open_ledger(db, entity)
    emit(_proposals(ledger, account), fmt, output)


@reconcile_app.command("report")
def reconcile_report(
    account: AccountOption = "1010",
    as_of: Annotated[dt.datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Report date (default: today).")] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Book against bank balance per day, then unreconciled lines on both sides, aged."""
    ledger = open_ledger(db, entity)
    day = as_of.date() if as_of else dt.date.today()
    try:
        report = reconciliation_report(ledger, account, as_of=day)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    emit(report, fmt, output)


def _proposals(ledger: Ledger, account: str) -> Report:
    query = (
        select(reconciliations.c.id, reconciliations.c.confidence, reconciliations.c.reasons,
               bank_lines.c.booking_date, bank_lines.c.amount, bank_lines.c.currency,
               bank_lines.c.description, bank_lines.c.original_amount,
               bank_lines.c.original_currency)
        .join(reconciliation_links,
              reconciliation_links.c.reconciliation_id == reconciliations.c.id)
        .join(bank_lines, bank_lines.c.id == reconciliation_links.c.bank_line_id)
        .join(accounts, accounts.c.id == reconciliations.c.account_id)
        .where(reconciliations.c.entity_id == ledger.entity.id, accounts.c.code == account,
               reconciliations.c.status == "proposed")
        .order_by(bank_lines.c.booking_date, reconciliations.c.confidence.desc())
    )
    with ledger.engine.connect() as conn:
        rows = [_sent(dict(r._mapping)) for r in conn.execute(query)]
    return Report(
        title=f"Reconciliation proposals for account {account}",
        columns=(
            Column("id", "Id", ColumnKind.INT),
            Column("booking_date", "Date", ColumnKind.DATE),
            Column("amount", "Amount", ColumnKind.MONEY),
            Column("description", "Bank text"),
            Column("sent", "Payer sent"),
            Column("confidence", "Confidence", ColumnKind.INT),
            Column("reasons", "Reasons"),
        ),
        rows=rows,
        currency=ledger.entity.functional_currency,
        rows_key="proposals",
    )


def _sent(row: dict) -> dict:
    """The row with what the payer sent, when the bank converted it ("400.00 EUR")."""
    original, currency = row.pop("original_amount"), row.pop("original_currency")
    row["sent"] = f"{format_minor(original, currency)} {currency}" if original else None
    return row


def _decide(action, reconciliation_id: int, db: str | None, entity: str) -> object:  # noqa: ANN001
    ledger = open_ledger(db, entity)
    try:
        return action(ledger, reconciliation_id)
    except LedgerError as exc:
        raise fail(str(exc)) from None


IdArgument = Annotated[int, typer.Argument(help="Reconciliation id (see `reconcile status`).")]


@reconcile_app.command("accept")
def reconcile_accept(
    reconciliation_id: IdArgument,
    original: Annotated[str | None, typer.Option(
        help="For a part payment of an item in another currency: how much of that "
             "currency the bank line paid, e.g. 400.00.")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Accept a proposal: post its settling entry and mark the bank line reconciled."""
    entry_id = _decide(partial(accept, original=original), reconciliation_id, db, entity)
    posted = f"; posted entry {entry_id}" if entry_id else ""
    console.print(f"Reconciliation {reconciliation_id} accepted{posted}")


@reconcile_app.command("reject")
def reconcile_reject(reconciliation_id: IdArgument, db: DbOption = None,
                     entity: EntityOption = "default") -> None:
    """Reject a proposal; the same match is not proposed again."""
    _decide(reject, reconciliation_id, db, entity)
    console.print(f"Reconciliation {reconciliation_id} rejected")


@reconcile_app.command("undo")
def reconcile_undo(reconciliation_id: IdArgument, db: DbOption = None,
                   entity: EntityOption = "default") -> None:
    """Undo an accepted reconciliation: its entry is reversed, the line reopened."""
    reversal = _decide(undo, reconciliation_id, db, entity)
    posted = f"; reversal entry {reversal}" if reversal else ""
    console.print(f"Reconciliation {reconciliation_id} undone{posted}")
