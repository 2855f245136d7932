"""Shared pieces of the command line: the app, options, errors, progress bars."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine, inspect

from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.store import database_url, make_engine

__all__ = [
    "DbOption",
    "EntityOption",
    "Format",
    "FormatOption",
    "OutputOption",
    "console",
    "errors",
    "fail",
    "open_ledger",
    "progress_bar",
]

# Piped or redirected output has no terminal width to fit; rich would assume 80
# columns and squeeze wide reports, so lines are allowed to run longer there.
console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)
errors = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: $LEDGERBRIDGE_DB or "
                 "sqlite:///ledgerbridge.db)."),
]
EntityOption = Annotated[str, typer.Option("--entity", help="Entity (company) code.")]


class Format(StrEnum):
    """How a report is printed."""

    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]


def fail(message: str) -> typer.Exit:
    """Print an error to stderr and return the exit to raise."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


def open_ledger(db: str | None, entity: str) -> Ledger:
    """Open an existing ledger, or exit with a clear error."""
    engine = None
    try:
        engine = make_engine(db)
        return Ledger(engine, entity)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # no such database, wrong URL, server down, no tables yet
        url = database_url(db)
        if _reachable_without_tables(engine):
            raise fail(f"no ledger at {url}: the database is empty; create one with "
                       f"`ledgerbridge init --db {url}`") from None
        raise fail(f"cannot open the ledger at {url}: {exc}") from None


def _reachable_without_tables(engine: Engine | None) -> bool:
    try:
        return engine is not None and not inspect(engine).has_table("entities")
    except Exception:  # noqa: BLE001 - unreachable: the caller reports the first error
        return False


def progress_bar() -> Progress:
    """A rich progress bar for long work, on stderr."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    )
