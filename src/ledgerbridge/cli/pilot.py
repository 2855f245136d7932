"""Pilot commands: run a connection into a shadow book, compare it, cut over."""

from __future__ import annotations

import getpass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from ledgerbridge.cli.common import (
    DbOption,
    Format,
    FormatOption,
    OutputOption,
    console,
    fail,
    progress_bar,
)
from ledgerbridge.cli.ledger import emit
from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.pilot import (
    Existing,
    Pilot,
    PilotStatus,
    compare,
    cutover,
    discrepancy_report,
    get_pilot,
    list_pilots,
    read_old_books,
    start_pilot,
    totals_report,
)
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.store import make_engine

__all__ = ["pilot_app"]

pilot_app = typer.Typer(help="Pilot and parallel run: shadow book, comparison, cutover.",
                        no_args_is_help=True)

ByOption = Annotated[
    str | None, typer.Option("--by", help="Who does it (recorded; default: the login name).")]
ConnectionOption = Annotated[
    str | None, typer.Option("--connection", "-c",
                             help="The piloted connection (default: the only running pilot).")]


class View(StrEnum):
    """Which comparison to print."""

    entry = "entry"
    total = "total"


def _engine(db: str | None) -> Engine:
    try:
        return make_engine(db)
    except Exception as exc:  # a bad URL or an unreachable server
        raise fail(f"cannot open the database: {exc}") from None


def _pilot_of(engine: Engine, connection: str | None, *, running: bool) -> Pilot:
    """The pilot named, else the only running one."""
    with engine.connect() as conn:
        if connection is not None:
            return get_pilot(conn, connection, running=running)
        candidates = [p for p in list_pilots(conn) if p.status == PilotStatus.RUNNING]
    if len(candidates) != 1:
        raise LedgerError(f"{len(candidates)} pilots are running; name one with --connection")
    return candidates[0]


@pilot_app.command("start")
def start(
    connection: Annotated[str, typer.Argument(help="The connection to run in shadow mode.")],
    shadow: Annotated[str | None, typer.Option(
        help="Code of the shadow entity (default: ENTITY-pilot-CONNECTION).")] = None,
    by: ByOption = None,
    db: DbOption = None,
) -> None:
    """Run CONNECTION into a separate shadow book, its write-backs to vendors set aside."""
    try:
        pilot = start_pilot(_engine(db), connection, by=by or getpass.getuser(), shadow=shadow)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    console.print(f"Pilot of {connection!r} started: it now posts into shadow entity "
                  f"{pilot.shadow_entity!r}, not {pilot.live_entity!r}, and sends no write-backs. "
                  "Restart running workers so they see it.", highlight=False)


@pilot_app.command("list")
def list_command(db: DbOption = None, fmt: FormatOption = Format.table,
                 output: OutputOption = None) -> None:
    """Every pilot: its books, state, who started and cut it over, and when."""
    with _engine(db).connect() as conn:
        pilots = list_pilots(conn)
    rows = [{"connection": p.connection, "live": p.live_entity, "shadow": p.shadow_entity,
             "status": p.status, "started_at": p.started_at.isoformat(timespec="seconds"),
             "started_by": p.started_by,
             "cutover_at": p.cutover_at.isoformat(timespec="seconds") if p.cutover_at else None,
             "cutover_by": p.cutover_by, "promoted": p.promoted} for p in pilots]
    emit(Report(title="Pilots", columns=(
        Column("connection", "Connection"), Column("live", "Live book"),
        Column("shadow", "Shadow book"), Column("status", "Status"),
        Column("started_at", "Started"), Column("started_by", "By"),
        Column("cutover_at", "Cut over"), Column("cutover_by", "By"),
        Column("promoted", "Entries promoted", ColumnKind.INT)), rows=rows, currency="USD",
        rows_key="pilots"), fmt, output)


@pilot_app.command("compare")
def compare_command(
    old: Annotated[Path, typer.Option("--old", help="What the old process produced: a CSV "
                                      "journal, a beancount or an hledger file.")],
    connection: ConnectionOption = None,
    view: Annotated[View, typer.Option("--by", help="Entry by entry, or totals per account "
                                       "and month.")] = View.entry,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Compare the shadow book with the old process's books; exit 1 when they differ."""
    engine = _engine(db)
    try:
        pilot = _pilot_of(engine, connection, running=False)
        shadow = Ledger(engine, pilot.shadow_entity)
        with progress_bar() as bar:
            bar.add_task(f"reading {old.name} and comparing", total=None)
            result = compare(shadow, read_old_books(old, shadow.accounts(),
                                                    shadow.entity.functional_currency))
    except LedgerError as exc:
        raise fail(str(exc)) from None
    emit(discrepancy_report(result) if view is View.entry else totals_report(result), fmt,
         output)
    if result.discrepancies or result.totals:
        raise typer.Exit(code=1)


@pilot_app.command("cutover")
def cutover_command(
    connection: ConnectionOption = None,
    existing: Annotated[Existing, typer.Option(
        help="When the live book already has entries from the connection: refuse, or skip "
             "the entries it already holds.")] = Existing.REFUSE,
    yes: Annotated[bool, typer.Option("--yes", help="Accept without asking.")] = False,
    by: ByOption = None,
    db: DbOption = None,
) -> None:
    """Promote the shadow book into the live book (each entry once) and go live."""
    engine = _engine(db)
    try:
        pilot = _pilot_of(engine, connection, running=True)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    if not yes and not typer.confirm(
            f"Promote shadow book {pilot.shadow_entity!r} into live book "
            f"{pilot.live_entity!r} and send {pilot.connection!r}'s events there from now on?"):
        raise fail("cutover not accepted; nothing changed")
    try:
        with progress_bar() as bar:
            task = bar.add_task("promoting entries", total=None)
            done = cutover(engine, pilot.connection, by=by or getpass.getuser(),
                           existing=existing, progress=lambda n: bar.advance(task, n))
    except LedgerError as exc:
        raise fail(f"{exc}; nothing changed") from None
    console.print(f"Cut over {pilot.connection!r}: {done.promoted} entries promoted into "
                  f"{pilot.live_entity!r}, {done.skipped} already there, {done.bank_lines} bank "
                  f"lines moved; recorded as by {done.pilot.cutover_by}.", highlight=False)
