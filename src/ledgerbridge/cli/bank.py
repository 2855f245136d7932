"""Bank commands: import statement files in any supported format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import DbOption, EntityOption, console, fail, open_ledger
from ledgerbridge.connectors.bankfeeds.bankbook import import_statements
from ledgerbridge.connectors.bankfeeds.csv_profiles import BUILTIN_PROFILES, load_profiles
from ledgerbridge.connectors.bankfeeds.detect import read_statements
from ledgerbridge.connectors.bankfeeds.statement import StatementError
from ledgerbridge.ledger import LedgerError

__all__ = ["bank_app"]

bank_app = typer.Typer(help="Bank statements: import and deduplicate.", no_args_is_help=True)


@bank_app.command("import")
def bank_import(
    files: Annotated[list[Path], typer.Argument(help="Statement files (OFX/QFX, camt, MT940/"
                                                "MT942, BAI2, CSV).")],
    account: Annotated[str, typer.Option(help="Ledger account of the bank, e.g. 1010.")],
    profile: Annotated[str | None, typer.Option(help="CSV column profile name.")] = None,
    profiles: Annotated[Path | None, typer.Option(help="YAML file of CSV profiles.")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Import statements; the format is detected, and lines already stored are skipped."""
    ledger = open_ledger(db, entity)
    try:
        known = dict(BUILTIN_PROFILES)
        if profiles is not None:
            known.update(load_profiles(profiles))
        if profile is not None and profile not in known:
            raise fail(f"no CSV profile {profile!r} (known: {', '.join(sorted(known))})")
        csv_profile = known[profile] if profile else None
    except (StatementError, OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    table = Table("file", "format", "lines", "added", "updated", "already there", "to review",
                  title=f"Bank import into account {account}")
    failed = False
    for path in files:
        try:
            content = path.read_bytes()
            statements = read_statements(content, name=path.name, csv_profile=csv_profile)
            result = import_statements(ledger, account, statements, file_name=path.name,
                                       content=content)
        except OSError as exc:
            failed = True
            console.print(f"[red]error:[/] {path}: {exc.strerror}", highlight=False)
            continue
        except (StatementError, LedgerError) as exc:
            failed = True
            console.print(f"[red]error:[/] {exc}; nothing was imported from {path.name}",
                          highlight=False)
            continue
        table.add_row(path.name, result.format, str(result.read), str(result.added),
                      str(result.updated), str(result.duplicates), str(result.review))
    console.print(table)
    if failed:
        raise typer.Exit(code=1)
