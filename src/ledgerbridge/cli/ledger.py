"""Ledger commands: init, post, reports, exports, entries, periods, accounts, demo."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
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
    progress_bar,
)
from ledgerbridge.ledger import Ledger, LedgerError, PeriodStatus, PostingError, reports
from ledgerbridge.ledger.chart import load_chart, standard_chart
from ledgerbridge.ledger.exports import write_beancount, write_hledger
from ledgerbridge.ledger.jsonl import EntryReader
from ledgerbridge.money import MoneyError
from ledgerbridge.reconcile.payouts import payout_report
from ledgerbridge.report import Report, to_table, write_csv, write_json
from ledgerbridge.store import database_url, make_engine, upgrade

app = typer.Typer(
    help="ledgerbridge: a double-entry ledger kept in sync with the tools that create "
    "financial data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
report_app = typer.Typer(help="Financial reports as a table, CSV or JSON.", no_args_is_help=True)
entry_app = typer.Typer(help="Show and reverse journal entries.", no_args_is_help=True)
period_app = typer.Typer(help="Close, lock and reopen accounting months.", no_args_is_help=True)
accounts_app = typer.Typer(help="The chart of accounts.", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(entry_app, name="entry")
app.add_typer(period_app, name="period")
app.add_typer(accounts_app, name="accounts")


@app.command()
def init(
    db: DbOption = None,
    currency: Annotated[str, typer.Option(help="Functional currency (ISO 4217).")] = "USD",
    entity: EntityOption = "default",
    name: Annotated[str | None, typer.Option(help="Company name.")] = None,
    chart: Annotated[
        Path | None, typer.Option(help="Chart of accounts (YAML or CSV); default: standard.")
    ] = None,
) -> None:
    """Create a ledger with a chart of accounts."""
    try:
        accounts = load_chart(chart) if chart else standard_chart()
        engine = make_engine(db)
        upgrade(engine)
        ledger = Ledger.create(
            engine, entity=entity, name=name, currency=currency.upper(), chart=accounts
        )
    except (LedgerError, MoneyError) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"Created entity [bold]{ledger.entity.code}[/] ({ledger.entity.functional_currency}) "
        f"with {len(accounts)} accounts in {database_url(db)}"
    )


@app.command()
def post(
    file: Annotated[Path, typer.Argument(help="JSON Lines file of entries ('-' for stdin).")],
    db: DbOption = None,
    entity: EntityOption = "default",
    allow_closed: Annotated[
        bool, typer.Option(help="Allow postings into closed (not locked) periods.")
    ] = False,
) -> None:
    """Post journal entries from a JSON Lines file: all of them or none."""
    ledger = open_ledger(db, entity)
    handle = sys.stdin if str(file) == "-" else _open_text(file)
    reader = EntryReader(handle, ledger.entity.functional_currency)
    try:
        with progress_bar() as bar:
            task = bar.add_task(f"posting {file}", total=None)
            result = ledger.post_many(
                reader, allow_closed=allow_closed, progress=lambda n: bar.advance(task, n)
            )
    except PostingError as exc:
        record = exc.record or ""
        if record.startswith("entry "):
            record = f"line {reader.line_of(int(record.split()[1]))}"
        where = f"{file}: {record}" if record else str(file)
        raise fail(f"{where}: {exc.reason}; nothing was posted") from None
    except (LedgerError, MoneyError) as exc:
        raise fail(f"{file}: {exc}; nothing was posted") from None
    finally:
        if handle is not sys.stdin:
            handle.close()
    message = f"Posted {result.posted} entries"
    if result.posted:
        message += f" (ids {result.first_id}..{result.last_id})"
    if result.duplicates:
        message += f"; skipped {result.duplicates} already posted"
    console.print(message)


def _open_text(path: Path):  # noqa: ANN202 - a text file handle
    try:
        return path.open(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from None


# -- reports -------------------------------------------------------------------


def emit(report: Report, fmt: Format, output: Path | None) -> None:
    """Print ``report`` as a table, CSV or JSON, to stdout or ``output``."""
    if fmt is Format.table:
        target = Console(file=output.open("w", encoding="utf-8")) if output else console
        target.print(to_table(report))
        return
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        (write_csv if fmt is Format.csv else write_json)(report, handle)
    finally:
        if output:
            handle.close()


def _run_report(build, fmt: Format, output: Path | None) -> None:  # noqa: ANN001
    try:
        report = build()
        emit(report, fmt, output)
    except (LedgerError, MoneyError) as exc:
        raise fail(str(exc)) from None


StartOption = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="From date.")]
EndOption = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="To date.")]


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@report_app.command("trial-balance")
def trial_balance(
    db: DbOption = None,
    entity: EntityOption = "default",
    start: StartOption = None,
    end: EndOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Trial balance: every account's debit or credit balance."""
    ledger = open_ledger(db, entity)
    _run_report(
        lambda: reports.trial_balance(ledger, start=_day(start), end=_day(end)), fmt, output
    )


@report_app.command("balance-sheet")
def balance_sheet(
    db: DbOption = None,
    entity: EntityOption = "default",
    end: EndOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Balance sheet at a date (default: today)."""
    ledger = open_ledger(db, entity)
    day = _day(end) or dt.date.today()
    _run_report(lambda: reports.balance_sheet(ledger, end=day), fmt, output)


def _period_report(name: str, build, summary: str) -> None:  # noqa: ANN001 - a report builder
    """Register ``report NAME``: a statement over a date range (default: this year)."""

    def command(
        db: DbOption = None,
        entity: EntityOption = "default",
        start: StartOption = None,
        end: EndOption = None,
        fmt: FormatOption = Format.table,
        output: OutputOption = None,
    ) -> None:
        ledger = open_ledger(db, entity)
        last = _day(end) or dt.date.today()
        first = _day(start) or last.replace(month=1, day=1)
        _run_report(lambda: build(ledger, start=first, end=last), fmt, output)

    command.__doc__ = f"{summary} for a date range (default: this year)."
    report_app.command(name)(command)


_period_report("income-statement", reports.income_statement, "Income statement (profit and loss)")
_period_report("cash-flow", reports.cash_flow, "Statement of cash flows (indirect method)")


@report_app.command("general-ledger")
def general_ledger(
    account: Annotated[str, typer.Argument(help="Account code.")],
    db: DbOption = None,
    entity: EntityOption = "default",
    start: StartOption = None,
    end: EndOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Every line of one account with its running balance."""
    ledger = open_ledger(db, entity)
    _run_report(
        lambda: reports.general_ledger(ledger, account, start=_day(start), end=_day(end)),
        fmt,
        output,
    )


class AgingKind(StrEnum):
    """Which side of the books an aging report covers."""

    receivable = "receivable"
    payable = "payable"


@report_app.command("aging")
def aging(
    kind: Annotated[AgingKind, typer.Argument(help="receivable (AR) or payable (AP).")],
    db: DbOption = None,
    entity: EntityOption = "default",
    as_of: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Age as of this date.")
    ] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """AR or AP aging by party, in 30-day buckets."""
    ledger = open_ledger(db, entity)
    day = _day(as_of) or dt.date.today()
    _run_report(lambda: reports.aging(ledger, kind.value, as_of=day), fmt, output)


@report_app.command("payouts")
def payouts(
    db: DbOption = None,
    entity: EntityOption = "default",
    connection: Annotated[str | None, typer.Option(help="Only this processor connection.")]
        = None,
    problems: Annotated[bool, typer.Option(help="Only payouts that need a look.")] = False,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Processor payouts: whether their transactions add up and they landed in the bank."""
    ledger = open_ledger(db, entity)
    _run_report(lambda: payout_report(ledger, connection=connection, problems_only=problems),
                fmt, output)


# -- exports ---------------------------------------------------------------------


class ExportFormat(StrEnum):
    """Plain-text accounting formats the journal exports to."""

    beancount = "beancount"
    hledger = "hledger"


@app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Argument(metavar="FORMAT", help="beancount or hledger.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Export the journal: beancount (bean-check accepts it) or hledger (same balances)."""
    writer = write_beancount if fmt is ExportFormat.beancount else write_hledger
    ledger = open_ledger(db, entity)
    try:
        with output.open("w", encoding="utf-8") as handle, progress_bar() as bar:
            task = bar.add_task(f"writing {output}", total=None)
            count = writer(ledger, handle, progress=lambda n: bar.advance(task, n))
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}") from None
    console.print(f"Wrote {count} transactions to {output}")


# -- entries ---------------------------------------------------------------------


@entry_app.command("show")
def entry_show(
    entry_id: Annotated[int, typer.Argument(help="Entry id.")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Show one entry with its lines and lineage."""
    ledger = open_ledger(db, entity)
    try:
        entry = ledger.entry(entry_id)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    table = Table(title=f"Entry {entry.id} · {entry.date} · {entry.memo}")
    for column in ("#", "account", "name", "debit", "credit", "original", "rate", "party"):
        table.add_column(column, justify="right" if column in ("debit", "credit") else "left")
    for ln in entry.lines:
        debit = ln.amount.text() if ln.amount.minor > 0 else ""
        credit = (-ln.amount).text() if ln.amount.minor < 0 else ""
        original = str(ln.original) if ln.original.currency != ln.amount.currency else ""
        table.add_row(str(ln.line_no), ln.account, ln.account_name, debit, credit, original,
                      str(ln.rate or ""), ln.party or "")
    console.print(table)
    lineage = {k: getattr(entry.lineage, k) for k in entry.lineage.__slots__}
    facts = {"reverses": entry.reverses_id, "reversed by": entry.reversed_by_id,
             "key": entry.idempotency_key, **lineage}
    for label, value in facts.items():
        if value is not None:
            console.print(f"{label}: {value}", highlight=False)


@entry_app.command("reverse")
def entry_reverse(
    entry_id: Annotated[int, typer.Argument(help="Entry id to reverse.")],
    db: DbOption = None,
    entity: EntityOption = "default",
    date: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Reversal date.")
    ] = None,
    memo: Annotated[str | None, typer.Option(help="Memo of the reversal.")] = None,
    allow_closed: Annotated[bool, typer.Option(help="Allow a closed period.")] = False,
) -> None:
    """Post the exact opposite of an entry (posted entries are never edited)."""
    ledger = open_ledger(db, entity)
    try:
        new_id = ledger.reverse(entry_id, date=_day(date), memo=memo, allow_closed=allow_closed)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    console.print(f"Posted entry {new_id}, reversing entry {entry_id}")


# -- periods ----------------------------------------------------------------------


def _set_period(period: str, status: PeriodStatus, db: str | None, entity: str) -> None:
    ledger = open_ledger(db, entity)
    try:
        ledger.set_period(period, status)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    console.print(f"Period {period} is now {status.value}")


PeriodArgument = Annotated[str, typer.Argument(help="Month, like 2026-01.")]


@period_app.command("lock")
def period_lock(period: PeriodArgument, db: DbOption = None,
                entity: EntityOption = "default") -> None:
    """Lock a month: no posting at all, for anyone."""
    _set_period(period, PeriodStatus.LOCKED, db, entity)


@period_app.command("close")
def period_close(period: PeriodArgument, db: DbOption = None,
                 entity: EntityOption = "default") -> None:
    """Close a month: only explicit adjusting entries (--allow-closed) may post."""
    _set_period(period, PeriodStatus.CLOSED, db, entity)


@period_app.command("reopen")
def period_reopen(period: PeriodArgument, db: DbOption = None,
                  entity: EntityOption = "default") -> None:
    """Reopen a closed or locked month."""
    _set_period(period, PeriodStatus.OPEN, db, entity)


@period_app.command("list")
def period_list(db: DbOption = None, entity: EntityOption = "default") -> None:
    """Months that are closed or locked (all others are open)."""
    ledger = open_ledger(db, entity)
    table = Table("period", "status")
    for period, status in sorted(ledger.periods().items()):
        table.add_row(period, status.value)
    console.print(table)


# -- accounts ---------------------------------------------------------------------


@accounts_app.command("list")
def accounts_list(db: DbOption = None, entity: EntityOption = "default") -> None:
    """The chart of accounts."""
    ledger = open_ledger(db, entity)
    table = Table("code", "name", "type", "subtype", "parent", "active")
    for a in ledger.accounts():
        table.add_row(a.code, a.name, a.type.value, a.subtype or "", a.parent or "",
                      "yes" if a.active else "no")
    console.print(table)


@accounts_app.command("import")
def accounts_import(
    file: Annotated[Path, typer.Argument(help="Chart file (YAML or CSV).")],
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Add accounts from a YAML or CSV chart."""
    ledger = open_ledger(db, entity)
    try:
        added = ledger.add_accounts(load_chart(file))
    except LedgerError as exc:
        raise fail(str(exc)) from None
    console.print(f"Added {added} accounts")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo company goes.")] = Path(
        "demo"
    ),
) -> None:
    """Build a demo company, post its books and show what ledgerbridge made of them."""
    from ledgerbridge.sandbox.demo import run_demo

    try:
        run_demo(directory, console)
    except (LedgerError, MoneyError) as exc:
        raise fail(str(exc)) from None

