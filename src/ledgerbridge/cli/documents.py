"""Document commands: add received supplier documents, review and code them, approve, post."""

from __future__ import annotations

import getpass
import json
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import DbOption, EntityOption, console, fail, open_ledger
from ledgerbridge.cli.mapping import _rules
from ledgerbridge.intake import IntakeError, IntakeStore, StoredDocument
from ledgerbridge.ledger import LedgerError
from ledgerbridge.mapping import PostingRules
from ledgerbridge.sync.errors import FatalError

__all__ = ["documents_app"]

documents_app = typer.Typer(
    help="Supplier documents: e-invoices, text PDFs and scans stored once, read, checked "
         "against EN 16931, corrected, coded to accounts, approved, posted.",
    no_args_is_help=True,
)


MappingOption = Annotated[Path | None, typer.Option(
    help="Mapping YAML whose rules code and post the documents (default: built-in).")]
ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who approves (recorded; default: the login name).")]
AllowDuplicateOption = Annotated[bool, typer.Option(
    "--allow-duplicate", help="Also approve documents flagged only as a possible repeat of "
    "another invoice (LB-03, LB-04), once you have looked.")]


def _table(title: str) -> Table:
    return Table("id", "file", "status", "format", "number", "seller", "total", "findings",
                 "receipt of", title=title)


def _row(table: Table, doc: StoredDocument) -> None:
    table.add_row(str(doc.id), doc.file_name, doc.status, doc.format or "", doc.number or "",
                  doc.seller or "", str(doc.total) if doc.total else "",
                  ", ".join(f.rule for f in doc.findings),
                  f"{doc.matched} ({doc.matched.by})" if doc.matched else "")


@documents_app.command("add")
def documents_add(
    files: Annotated[list[Path], typer.Argument(help="E-invoices (CII or UBL XML, Factur-X/"
                                                "ZUGFeRD PDF), other PDFs, scans, photos.")],
    mapping: MappingOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Store files (once each, by content), read, check and code them; nothing is posted."""
    store = IntakeStore(open_ledger(db, entity), _rules(mapping))
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
    status: Annotated[str | None, typer.Option(help="Only unreadable, flagged, ready, "
                                               "approved, posted or matched documents."
                                               )] = None,
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
    mapping: MappingOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Show a document's file, outcome, findings, coding, the entry it would post, its Bill."""
    rules = _rules(mapping)
    store = IntakeStore(open_ledger(db, entity), rules)
    try:
        doc = store.get(document_id)
    except IntakeError as exc:
        raise fail(str(exc)) from None
    console.print(f"document {doc.id}: {doc.file_name} ({doc.media_type}, {doc.size} bytes, "
                  f"sha256 {doc.sha256}), added {doc.added_at:%Y-%m-%d %H:%M}", highlight=False)
    console.print(f"status {doc.status}, format {doc.format or '-'}"
                  + (f", contact {doc.contact_id}" if doc.contact_id else "")
                  + (f", approved by {doc.approved_by} {doc.approved_at:%Y-%m-%d %H:%M}"
                     if doc.approved_at else "")
                  + (f", posted as entry {doc.entry_id} by {doc.posted_by or '-'}"
                     if doc.entry_id else "")
                  + (f", receipt of {doc.matched} (matched by {doc.matched.by} "
                     f"{doc.matched.at:%Y-%m-%d %H:%M})" if doc.matched else ""),
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
    bill = doc.bill
    if bill is not None and doc.coding:
        table = Table("line", "description", "amount", "account", "source", "why",
                      title="Coding")
        for n, (line, code) in enumerate(zip(bill.lines, doc.coding, strict=True), 1):
            table.add_row(str(n), line.description or "", str(line.net_amount), code.account,
                          code.source, code.reason)
        console.print(table)
    if doc.status in ("ready", "approved"):
        _show_preview(store, doc, rules)
    if bill is not None:
        console.print_json(bill.model_dump_json(exclude_none=True))


def _show_preview(store: IntakeStore, doc: StoredDocument, rules: PostingRules) -> None:
    """The entry the document would post, or why it cannot be shown yet."""
    try:
        entry = store.preview(doc, rules)
    except (IntakeError, LedgerError, FatalError, ValueError) as exc:
        console.print(f"would not post yet: {exc}", highlight=False)
        return
    table = Table("account", "debit", "credit", "memo", title="Would post")
    for line in entry.lines:
        debit = line.amount.minor > 0
        amount = (line.amount if debit else -line.amount).text()
        table.add_row(line.account, amount if debit else "", "" if debit else amount,
                      line.memo or "")
    console.print(table)


@documents_app.command("correct")
def documents_correct(
    document_id: Annotated[int, typer.Argument(help="Document id.")],
    values: Annotated[list[str], typer.Argument(
        help="FIELD=VALUE pairs: vendor, vendor_tax_id, number, issue_date and due_date "
        "(YYYY-MM-DD), currency, net, tax_total, total, iban, order.")],
    mapping: MappingOption = None,
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
        doc = IntakeStore(open_ledger(db, entity), _rules(mapping)).correct(document_id,
                                                                          corrections)
    except IntakeError as exc:
        raise fail(str(exc)) from None
    table = _table("Document corrected")
    _row(table, doc)
    console.print(table)


@documents_app.command("code")
def documents_code(
    document_id: Annotated[int, typer.Argument(help="Document id.")],
    line: Annotated[int, typer.Argument(help="Line number, 1 for the first (documents show).")],
    account: Annotated[str, typer.Argument(help="Account code in the chart.")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Code one line of a document to an account by hand; an approved one needs approval again."""
    try:
        doc = IntakeStore(open_ledger(db, entity)).code(document_id, line, account)
    except IntakeError as exc:
        raise fail(str(exc)) from None
    console.print(f"document {doc.id} line {line} coded to {account}; status {doc.status}",
                  highlight=False)


@documents_app.command("approve")
def documents_approve(
    document_ids: Annotated[list[int], typer.Argument(help="Document ids.")],
    by: ByOption = None,
    allow_duplicate: AllowDuplicateOption = False,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Approve ready documents for posting, recording who and when."""
    store = IntakeStore(open_ledger(db, entity))
    who = by or getpass.getuser()

    def approve(document_id: int) -> str:
        doc = store.approve(document_id, who, allow_duplicate=allow_duplicate)
        return f"document {doc.id} approved by {doc.approved_by}"

    _each(document_ids, "approved", approve)


@documents_app.command("post")
def documents_post(
    document_ids: Annotated[list[int] | None, typer.Argument(help="Document ids.")] = None,
    ready: Annotated[bool, typer.Option("--ready", help="Post every ready and approved "
                                        "document.")] = False,
    mapping: MappingOption = None,
    rate: Annotated[str | None, typer.Option(help="Exchange rate, functional-currency units "
                                             "per document-currency unit.")] = None,
    allow_duplicate: AllowDuplicateOption = False,
    by: Annotated[str | None, typer.Option(
        "--by", help="Who approves and posts (recorded; default: the login name).")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Post approved documents as Bills; a ready one given here is approved by you first."""
    rules = _rules(mapping)
    store = IntakeStore(open_ledger(db, entity), rules)
    who = by or getpass.getuser()
    try:
        exchange_rate = Decimal(rate) if rate is not None else None
    except InvalidOperation:
        raise fail(f"--rate {rate!r} is not a decimal number") from None
    ids = list(document_ids or []) + (
        [d.id for d in store.list() if d.status in ("ready", "approved")] if ready else [])
    if not ids:
        raise fail("give document ids or --ready")

    def post(document_id: int) -> str:
        if store.get(document_id).status in ("ready", "flagged"):
            store.approve(document_id, who, allow_duplicate=allow_duplicate)
            console.print(f"document {document_id} approved by {who} (posting from the "
                          "command line approves)", highlight=False)
        entry_id = store.post(document_id, rules, by=who, exchange_rate=exchange_rate)
        return f"document {document_id} posted as entry {entry_id}"

    _each(ids, "posted", post)


def _each(document_ids: list[int], done: str, act: Callable[[int], str]) -> None:
    """Run ``act`` on each document, print what it says or why not; exit 1 if any failed."""
    failed = False
    for document_id in document_ids:
        try:
            said = act(document_id)
        except (IntakeError, LedgerError, FatalError) as exc:
            failed = True
            console.print(f"[red]not {done}:[/] {exc}", highlight=False)
            continue
        console.print(said, highlight=False)
    if failed:
        raise typer.Exit(code=1)


@documents_app.command("watch")
def documents_watch(
    folder: Annotated[Path, typer.Argument(help="Drop folder to poll.", file_okay=False,
                                           exists=True)],
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 5.0,
    once: Annotated[bool, typer.Option("--once", help="Poll once and stop.")] = False,
    mapping: MappingOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Add every new file that appears in a folder; the files themselves are left as they are."""
    store = IntakeStore(open_ledger(db, entity), _rules(mapping))
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
