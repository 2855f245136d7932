"""Mapping commands: validate a mapping, write its field map, dry-run documents, diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

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
from ledgerbridge.documents import Document, DocumentError, parse_document
from ledgerbridge.ledger import Account, Ledger, LedgerError, PostingError
from ledgerbridge.ledger.chart import load_chart, standard_chart
from ledgerbridge.ledger.posting import PostingContext, prepare_lines
from ledgerbridge.mapping import MappingError, PostingRules, load_rules
from ledgerbridge.mapping._docs import render_docs
from ledgerbridge.money import MoneyError, format_minor
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.errors import MissingDependency, SyncError

__all__ = ["mapping_app"]

mapping_app = typer.Typer(
    help="Mapping and posting rules: validate, document, dry-run.", no_args_is_help=True
)

ChartOption = Annotated[
    Path | None,
    typer.Option("--chart", help="Check against this chart (YAML or CSV) instead of the ledger's."),
]


def _rules(path: Path | None) -> PostingRules:
    if path is None:
        return load_rules(None)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc}") from None
    try:
        return load_rules(text, source=str(path))
    except MappingError as exc:
        raise fail(str(exc)) from None


def _chart(chart: Path | None) -> list[Account]:
    try:
        return load_chart(chart) if chart is not None else standard_chart()
    except LedgerError as exc:
        raise fail(str(exc)) from None


@mapping_app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="Mapping YAML to check.")],
    db: DbOption = None,
    entity: EntityOption = "default",
    chart: ChartOption = None,
) -> None:
    """Check a mapping's schema and that every account it names is in the chart."""
    rules = _rules(file)
    accounts = _chart(chart) if chart is not None else open_ledger(db, entity).accounts()
    problems = rules.check(accounts)
    if problems:
        for path, reason in problems:
            console.print(f"[red]{escape(f'{file}: {path}: {reason}')}[/]", highlight=False)
        raise fail(f"{len(problems)} problem(s) in {file}")
    console.print(f"{file}: valid ({len(rules.config.rules)} rules, "
                  f"{len(rules.config.fields)} field maps)", highlight=False)


@mapping_app.command()
def docs(
    file: Annotated[Path | None, typer.Argument(help="Mapping YAML (default: built-in).")] = None,
    output: OutputOption = None,
    chart: ChartOption = None,
) -> None:
    """Write the human-readable field map and posting rules as Markdown."""
    text = render_docs(_rules(file), _chart(chart))
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {output}", highlight=False)


def _read_documents(path: Path) -> list[tuple[str, Any]]:
    """(label, raw document) pairs from a JSON list or JSON Lines file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc}") from None
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise fail(f"{path}: not valid JSON: {exc}") from None
        return [(f"{path.name} item {n}", item) for n, item in enumerate(items, start=1)]
    return [(f"{path.name} line {n}", line) for n, line in enumerate(text.splitlines(), start=1)
            if line.strip()]


@mapping_app.command("dry-run")
def dry_run(
    documents_file: Annotated[Path, typer.Argument(help="Documents as JSON Lines or a list.")],
    mapping: Annotated[Path | None, typer.Option(help="Mapping YAML (default: built-in).")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Show the entries the documents would post; nothing is written."""
    ledger = open_ledger(db, entity)
    rules = _rules(mapping).for_ledger(ledger)
    functional = ledger.entity.functional_currency
    ctx = PostingContext(
        entity_id=ledger.entity.id,
        functional=functional,
        accounts={a.code: (n, a.active) for n, a in enumerate(ledger.accounts(), start=1)},
        periods=ledger.periods(),
    )
    names = {a.code: a.name for a in ledger.accounts()}
    parsed: list[tuple[str, Document | None, str | None]] = []
    for label, raw in _read_documents(documents_file):
        try:
            parsed.append((label, parse_document(raw), None))
        except DocumentError as exc:
            parsed.append((label, None, str(exc)))
    by_key = {(d.type, d.source.external_id): d for _, d, _ in parsed if d is not None}

    def lookup(type_: str, external_id: str) -> Document:
        found = by_key.get((type_, external_id))
        if found is None:
            raise MissingDependency(f"{type_}:{external_id}")
        return found

    table = Table(title=f"Dry run of {documents_file.name} (nothing written)")
    for column in ("Date", "Document", "Account", "Debit", "Credit", "Currency", "Party", "Memo"):
        table.add_column(column, justify="right" if column in ("Debit", "Credit") else "left")
    problems: list[str] = []
    posted = 0
    for label, document, error in parsed:
        if document is None:
            problems.append(f"{label}: {error}")
            continue
        name = f"{document.type} {document.source.external_id}"
        try:
            entry = rules.entry_for(document, lookup)
            if entry is None:
                table.add_row("", name, "(posts nothing)", "", "", "", "", "")
                continue
            prepared = prepare_lines(ctx, entry)
        except MissingDependency as exc:
            problems.append(f"{label} ({name}): {exc.reason}, which is not in this file")
            continue
        except (SyncError, PostingError, MoneyError) as exc:
            problems.append(f"{label} ({name}): {exc}")
            continue
        posted += 1
        for n, (line, ready) in enumerate(zip(entry.lines, prepared, strict=True)):
            amount = format_minor(abs(ready.amount), functional)
            original = line.amount
            shown = amount if original.currency == functional else (
                f"{amount} ({format_minor(abs(original.minor), original.currency)} "
                f"{original.currency} @ {line.rate})")
            table.add_row(
                entry.date.isoformat() if n == 0 else "",
                entry.memo if n == 0 else "",
                f"{line.account} {names.get(line.account, '')}".strip(),
                shown if ready.amount > 0 else "",
                shown if ready.amount < 0 else "",
                functional,
                line.party or "",
                line.memo or "",
            )
        table.add_section()
    console.print(table)
    console.print(f"{posted} entries would be posted; {len(problems)} document(s) failed.",
                  highlight=False)
    for problem in problems:
        console.print(f"[red]{escape(problem)}[/]", highlight=False)
    if problems:
        raise typer.Exit(code=1)


@mapping_app.command("diff")
def diff(
    new_file: Annotated[Path, typer.Argument(help="The new mapping YAML.")],
    connection: Annotated[str, typer.Option("--connection", "-c",
                                            help="The connection whose documents to re-derive.")],
    db: DbOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """List the entries the new mapping would change for CONNECTION; nothing is written."""
    from ledgerbridge.cli.ledger import emit
    from ledgerbridge.sandbox.mapping_diff import mapping_diff, mapping_diff_report
    from ledgerbridge.store import make_engine

    try:
        text = new_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read {new_file}: {exc.strerror}") from None
    try:
        engine = make_engine(db)
        changes = mapping_diff(engine, connection, text, source=str(new_file))
        with engine.connect() as conn:
            currency = Ledger(engine, get_connection(conn, connection).entity
                              ).entity.functional_currency
    except LedgerError as exc:
        raise fail(str(exc)) from None
    emit(mapping_diff_report(changes, connection, currency), fmt, output)
