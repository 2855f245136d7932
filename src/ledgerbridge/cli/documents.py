"""Document commands: add received supplier documents, review them, post the ready ones."""

from __future__ import annotations

import json
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import DbOption, EntityOption, console, fail, open_ledger
from ledgerbridge.cli.mapping import _rules
from ledgerbridge.intake import IntakeError, IntakeStore, StoredDocument
from ledgerbridge.ledger import LedgerError
from ledgerbridge.sync.errors import FatalError

__all__ = ["documents_app"]

documents_app = typer.Typer(
    help="Supplier documents: e-invoices, text PDFs and scans stored once, read, checked "
         "against EN 16931, corrected, posted.",
    no_args_is_help=True,
)


def _table(title: str) -> Table:
    return Table("id", "file", "status", "format", "number", "seller", "total", "findings",
                 title=title)


def _row(table: Table, doc: StoredDocument) -> None:
    table.add_row(str(doc.id), doc.file_name, doc.status, doc.format or "", doc.number or "",
                  doc.seller or "", str(doc.total) if doc.total else "",
                  ", ".join(f.rule for f in doc.findings))


@documents_app.command("add")
def documents_add(
    files: Annotated[list[Path], typer.Argument(help="E-invoices (CII or UBL XML, Factur-X/"
                                                "ZUGFeRD PDF), other PDFs, scans, photos.")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Store files (once each, by content), read and check them; nothing is posted."""
    store = IntakeStore(open_ledger(db, entity))
    table = _table("Documents added")
    failed = False
    for path in files:
        try:
            added = store.add(path.read_bytes(), path.name)
        except OSError as exc:
            failed = True
            console.print(f"[red]error:[/] {path}: {exc.strerror}", highlight=False)
            continue
        _row(table, added.document)
        if not added.new:
            console.print(f"{path.name} is already stored as document {added.document.id}",
                          highlight=False)
    console.print(table)
    if failed:
        raise typer.Exit(code=1)


@documents_app.command("list")
def documents_list(
    status: Annotated[str | None, typer.Option(help="Only unreadable, flagged, ready or "
                                               "posted documents.")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """List stored documents with their outcome."""
    table = _table("Documents")
    for doc in IntakeStore(open_ledger(db, entity)).list(status):
        _row(table, doc)
    console.print(table)


@documents_app.command("show")
def documents_show(
    document_id: Annotated[int, typer.Argument(help="Document id.")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Show a document's file, outcome, every finding with its figures, and its Bill."""
    try:
        doc = IntakeStore(open_ledger(db, entity)).get(document_id)
    except IntakeError as exc:
        raise fail(str(exc)) from None
    console.print(f"document {doc.id}: {doc.file_name} ({doc.media_type}, {doc.size} bytes, "
                  f"sha256 {doc.sha256}), added {doc.added_at:%Y-%m-%d %H:%M}", highlight=False)
    console.print(f"status {doc.status}, format {doc.format or '-'}"
                  + (f", posted as entry {doc.entry_id}" if doc.entry_id else ""),
                  highlight=False)
    for finding in doc.findings:
        console.print(f"  [red]{finding.rule}[/] {finding.message}", highlight=False)
    if doc.fields is not None:
        table = Table("field", "value", "confidence", "read from", title="Fields read")
        for name, found in json.loads(doc.fields).items():
            corrected = name in doc.corrections
            table.add_row(name, found["value"] or "",
                          "corrected" if corrected else f"{found['confidence']:.2f}",
                          found["source"])
        console.print(table)
    if doc.bill is not None:
        console.print_json(doc.bill.model_dump_json(exclude_none=True))


@documents_app.command("correct")
def documents_correct(
    document_id: Annotated[int, typer.Argument(help="Document id.")],
    values: Annotated[list[str], typer.Argument(
        help="FIELD=VALUE pairs: vendor, vendor_tax_id, number, issue_date and due_date "
        "(YYYY-MM-DD), currency, net, tax_total, total, iban, order.")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Correct fields read from a text PDF or scan; the vendor's next documents learn it."""
    corrections = {}
    for pair in values:
        name, sep, value = pair.partition("=")
        if not sep or not value:
            raise fail(f"{pair!r} is not FIELD=VALUE")
        corrections[name.strip()] = value
    try:
        doc = IntakeStore(open_ledger(db, entity)).correct(document_id, corrections)
    except IntakeError as exc:
        raise fail(str(exc)) from None
    table = _table("Document corrected")
    _row(table, doc)
    console.print(table)


@documents_app.command("post")
def documents_post(
    document_ids: Annotated[list[int] | None, typer.Argument(help="Document ids.")] = None,
    ready: Annotated[bool, typer.Option("--ready", help="Post every ready document.")] = False,
    mapping: Annotated[Path | None, typer.Option(help="Mapping YAML (default: built-in).")]
    = None,
    rate: Annotated[str | None, typer.Option(help="Exchange rate, functional-currency units "
                                             "per document-currency unit.")] = None,
    allow_duplicate: Annotated[bool, typer.Option(
        "--allow-duplicate", help="Post documents flagged only as a repeated supplier invoice "
        "number (LB-03).")] = False,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Post ready documents as Bills; flagged ones are refused with their findings."""
    store = IntakeStore(open_ledger(db, entity))
    rules = _rules(mapping)
    try:
        exchange_rate = Decimal(rate) if rate is not None else None
    except InvalidOperation:
        raise fail(f"--rate {rate!r} is not a decimal number") from None
    ids = list(document_ids or []) + ([d.id for d in store.list("ready")] if ready else [])
    if not ids:
        raise fail("give document ids or --ready")
    failed = False
    for document_id in ids:
        try:
            entry_id = store.post(document_id, rules, exchange_rate=exchange_rate,
                                  allow_duplicate=allow_duplicate)
        except (IntakeError, LedgerError, FatalError) as exc:
            failed = True
            console.print(f"[red]not posted:[/] {exc}", highlight=False)
            continue
        console.print(f"document {document_id} posted as entry {entry_id}", highlight=False)
    if failed:
        raise typer.Exit(code=1)


@documents_app.command("watch")
def documents_watch(
    folder: Annotated[Path, typer.Argument(help="Drop folder to poll.", file_okay=False,
                                           exists=True)],
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 5.0,
    once: Annotated[bool, typer.Option("--once", help="Poll once and stop.")] = False,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Add every new file that appears in a folder; the files themselves are left as they are."""
    store = IntakeStore(open_ledger(db, entity))
    seen: dict[Path, tuple[int, int]] = {}
    while True:
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            stat = path.stat()
            if seen.get(path) == (stat.st_size, stat.st_mtime_ns):
                continue
            seen[path] = (stat.st_size, stat.st_mtime_ns)
            try:
                added = store.add(path.read_bytes(), path.name)
            except OSError as exc:
                console.print(f"[red]error:[/] {path}: {exc.strerror}", highlight=False)
                continue
            if added.new:
                doc = added.document
                console.print(f"{path.name}: document {doc.id} {doc.status}"
                              + "".join(f" {f.rule}" for f in doc.findings), highlight=False)
        if once:
            return
        time.sleep(interval)
