"""Data quality commands: the data audit and contact resolution (propose, accept, undo)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
    progress_bar,
)
from ledgerbridge.cli.ledger import emit
from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.quality import (
    Merge,
    accept,
    audit,
    canonical_contacts,
    contacts_report,
    findings_report,
    merge_records,
    merges,
    merges_report,
    resolve_contacts,
    summary_report,
    undo,
)

__all__ = ["audit_data", "contacts_app"]

contacts_app = typer.Typer(help="One canonical contact per company across every system: "
                           "find duplicates, accept or undo merges.", no_args_is_help=True)


def audit_data(
    connection: Annotated[str | None, typer.Argument(
        help="Audit this connection's records (and the ledger); default: every one.")] = None,
    details: Annotated[bool, typer.Option(
        help="List every finding instead of a summary per check.")] = False,
    as_of: Annotated[dt.datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Day the audit looks from (unused accounts); "
        "default: today.")] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Audit contacts, identifiers, the chart of accounts and unmapped records."""
    ledger = open_ledger(db, entity)
    try:
        findings = audit(ledger, connection, as_of=as_of.date() if as_of else None)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    scope = f"connection {connection}" if connection else "every connection"
    subtitle = f"{ledger.entity.code}: {scope} and the ledger"
    build = findings_report if details else summary_report
    emit(build(findings, ledger.entity.functional_currency, subtitle), fmt, output)


@contacts_app.command("resolve")
def contacts_resolve(
    min_confidence: Annotated[int, typer.Option(
        help="Weakest link (0-100) that may join two records.")] = 85,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Group every system's contacts into companies and propose the merges."""
    ledger = open_ledger(db, entity)
    with progress_bar() as bar:
        task = bar.add_task("comparing contacts", total=None)
        result = resolve_contacts(
            ledger, min_confidence=min_confidence,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    console.print(f"{result.records} contacts form {result.clusters} companies; "
                  f"{result.proposals} merges proposed (ledgerbridge contacts proposals)",
                  highlight=False)


@contacts_app.command("proposals")
def contacts_proposals(
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Merges waiting for a decision, most confident first."""
    ledger = open_ledger(db, entity)
    emit(merges_report(merges(ledger, "proposed"), ledger.entity.functional_currency,
                       "Proposed contact merges"), fmt, output)


def _decide(act: Callable[[Ledger], Merge], db: str | None, entity: str) -> Merge:
    """Run one decision on merges, or exit with its error."""
    ledger = open_ledger(db, entity)
    try:
        return act(ledger)
    except LedgerError as exc:
        raise fail(str(exc)) from None


def _say_accepted(merge: Merge) -> None:
    console.print(f"Merge {merge.id} accepted: {len(merge.members)} records are contact "
                  f"{merge.contact_id} ({merge.name})", highlight=False)


@contacts_app.command("accept")
def contacts_accept(
    merge_id: Annotated[int, typer.Argument(help="The proposal's id.")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Accept a proposed merge: its records become aliases of one contact."""
    _say_accepted(_decide(lambda ledger: accept(ledger, merge_id), db, entity))


@contacts_app.command("undo")
def contacts_undo(
    merge_id: Annotated[int, typer.Argument(help="The accepted merge's id.")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Undo an accepted merge exactly."""
    merge = _decide(lambda ledger: undo(ledger, merge_id), db, entity)
    console.print(f"Merge {merge.id} undone", highlight=False)


@contacts_app.command("merge")
def contacts_merge(
    records: Annotated[list[str], typer.Argument(
        help="Two or more records as connection:id (see `contacts proposals`).")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Merge records by hand that resolution keeps apart (undo works as for any merge)."""
    _say_accepted(_decide(lambda ledger: merge_records(ledger, records), db, entity))


@contacts_app.command("show")
def contacts_show(
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Canonical contacts with their records and learned names, and the merge history."""
    ledger = open_ledger(db, entity)
    currency = ledger.entity.functional_currency
    emit(contacts_report(canonical_contacts(ledger), currency), fmt, output)
    if fmt is Format.table and output is None:
        decided = [m for m in merges(ledger, None) if m.status != "proposed"]
        emit(merges_report(decided, currency, "Decided merges"), fmt, None)
