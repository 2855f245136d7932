"""``ledgerbridge unified``: push the ledger to a package, pull its changes, send webhooks."""

from __future__ import annotations

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
from ledgerbridge.report import Column, Report
from ledgerbridge.unified import Bridge, Outcome, UnifiedError, adapter_for
from ledgerbridge.unified.webhooks import announce, deliver

__all__ = ["unified_app"]

unified_app = typer.Typer(help="The unified accounting API: sync with QuickBooks or Xero, "
                               "deliver webhooks.", no_args_is_help=True)

KindsOption = Annotated[list[str] | None, typer.Option(
    "--kind", help="Kinds to sync, in order (default: contacts, bills, invoices, payments "
                   "for push, with the payments of bills; contacts, invoices, payments for "
                   "pull).")]
_DEFAULT_KINDS = {"push": ("contacts", "bills", "invoices", "payments"),
                  "pull": ("contacts", "invoices", "payments")}


def _report(title: str, connection: str, outcomes: list[Outcome], currency: str) -> Report:
    rows = [{"kind": o.kind, "record": o.record, "action": o.action, "detail": o.detail,
             "unsupported": ", ".join(g.field for g in o.gaps)} for o in outcomes]
    counts = {action: sum(o.action == action for o in outcomes)
              for action in sorted({o.action for o in outcomes})}
    return Report(title=title, subtitle=f"connection {connection}", currency=currency,
                  columns=(Column("kind", "Kind"), Column("record", "Record"),
                           Column("action", "Action"), Column("detail", "Detail"),
                           Column("unsupported", "Not carried")),
                  rows=rows, meta={"connection": connection, "counts": counts})


def _sync(direction: str, connection: str, kinds: list[str] | None, accept_gaps: bool,
          db: str | None, entity: str, fmt: Format, output: OutputOption) -> None:
    ledger = open_ledger(db, entity)
    with progress_bar() as progress:
        task = progress.add_task(f"{direction} {connection}", total=None)
        try:
            bridge = Bridge(ledger.engine, adapter_for(ledger.engine, connection, entity),
                            accept_gaps=accept_gaps, entity=entity,
                            on_outcome=lambda _: progress.advance(task))
            wanted = tuple(kinds or _DEFAULT_KINDS[direction])
            outcomes = bridge.push(wanted) if direction == "push" else bridge.pull(wanted)
        except UnifiedError as exc:
            raise fail(exc.detail) from None
    title = "Pushed to the package" if direction == "push" else "Pulled from the package"
    emit(_report(title, connection, outcomes, ledger.entity.functional_currency), fmt, output)
    if any(o.action == "failed" for o in outcomes):
        raise typer.Exit(code=1)


@unified_app.command("push")
def push(connection: Annotated[str, typer.Argument(help="A QuickBooks or Xero connection.")],
         kind: KindsOption = None,
         accept_gaps: Annotated[bool, typer.Option(
             "--accept-gaps", help="Write records even when the package cannot carry some "
                                   "fields (they are listed).")] = False,
         db: DbOption = None, entity: EntityOption = "default",
         fmt: FormatOption = Format.table, output: OutputOption = None) -> None:
    """Send ledger records that changed since they were last sent; exit 1 if any failed."""
    _sync("push", connection, kind, accept_gaps, db, entity, fmt, output)


@unified_app.command("pull")
def pull(connection: Annotated[str, typer.Argument(help="A QuickBooks or Xero connection.")],
         kind: KindsOption = None,
         db: DbOption = None, entity: EntityOption = "default",
         fmt: FormatOption = Format.table, output: OutputOption = None) -> None:
    """Bring the package's changes to linked records into the ledger (conflicts by rule)."""
    _sync("pull", connection, kind, True, db, entity, fmt, output)


@unified_app.command("webhooks")
def webhooks(db: DbOption = None, entity: EntityOption = "default") -> None:
    """Announce stored changes to subscribers and deliver what is due."""
    ledger = open_ledger(db, entity)
    queued = announce(ledger.engine)
    sent = deliver(ledger.engine)
    console.print(f"{queued} change(s) announced, {sent} delivery attempt(s) made")
