"""Push-target commands: map our accounts and tax codes to a package's, and push journals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from sqlalchemy import select

from ledgerbridge.cli.common import (
    DbOption,
    EntityOption,
    Format,
    FormatOption,
    OutputOption,
    fail,
    open_ledger,
    progress_bar,
)
from ledgerbridge.cli.ledger import emit
from ledgerbridge.connectors.account_map import (
    OurTax,
    Suggestion,
    TaxSuggestion,
    suggest_accounts,
    suggest_tax_codes,
)
from ledgerbridge.documents import TaxRate, parse_document
from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.mapping import MappingConfig, MappingError
from ledgerbridge.mapping._schema import parse_config
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.store.tables import connections, documents
from ledgerbridge.sync.connections import ConnectionRecord, get_connection
from ledgerbridge.sync.errors import SyncError
from ledgerbridge.targets import TargetError, push_target, target_report
from ledgerbridge.targets.push import clearing_accounts

__all__ = ["accounts_map", "targets_app"]

targets_app = typer.Typer(help="Push the ledger to accounting packages (QuickBooks, Xero).",
                          no_args_is_help=True)

WriteOption = Annotated[Path | None, typer.Option(
    "--write", help="Write the suggestions into this mapping YAML's targets section "
    "(the file is rewritten whole: its comments are not kept).")]
MappingOption = Annotated[Path | None, typer.Option(
    "--mapping", help="The mapping YAML with the targets section (default: the "
    "connection's stored mapping).")]
ThroughOption = Annotated[dt.datetime | None, typer.Option(
    "--through", formats=["%Y-%m-%d"], help="Push entries dated up to this day (default: today).")]


def _target(ledger: Ledger, name: str, wanted: str, command: str
            ) -> tuple[ConnectionRecord, Any]:
    """The connection and its connector, which must offer ``wanted`` (a package connection)."""
    with ledger.engine.connect() as conn:
        record = get_connection(conn, name)
    connector = record.connector()
    if getattr(connector, wanted, None) is None:
        raise fail(f"connection {name!r} is a {record.system} connection; "
                   f"{command} reads QuickBooks or Xero")
    return record, connector


def _config(path: Path | None, record: ConnectionRecord, *, missing_ok: bool) -> MappingConfig:
    """The mapping of ``path`` (when it exists) else the connection's stored one."""
    text, source = record.mapping, f"connection {record.name} mapping"
    if path is not None and (path.exists() or not missing_ok):
        try:
            text, source = path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise fail(f"cannot read {path}: {exc}") from None
    try:
        return parse_config(text, source=source)
    except MappingError as exc:
        raise fail(str(exc)) from None


def _our_taxes(ledger: Ledger, config: MappingConfig) -> list[OurTax]:
    """Our tax rates (current tax_rate documents) and the mapping's tax jurisdictions."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(documents.c.data).join(
            connections, connections.c.id == documents.c.connection_id).where(
            connections.c.entity_id == ledger.entity.id, documents.c.type == "tax_rate",
            documents.c.status == "current").order_by(documents.c.id)).scalars().all()
    found: dict[str, OurTax] = {}
    for data in rows:
        rate = parse_document(data)
        if isinstance(rate, TaxRate) and rate.active:
            found.setdefault(rate.tax_code, OurTax(rate.tax_code, rate.name, rate.percent))
    for name in config.tax.jurisdictions:
        found.setdefault(name, OurTax(name, name, None))
    return list(found.values())


def _write_targets(path: Path, target: str, accounts: dict[str, str],
                   tax_codes: dict[str, str]) -> None:
    """Merge suggestions into ``targets.<target>``; what the file already says wins."""
    data: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        if loaded is not None and not isinstance(loaded, dict):
            raise fail(f"{path}: a mapping file is a YAML mapping (key: value)")
        data = loaded or {}
    section = dict((data.get("targets") or {}).get(target) or {})
    section["accounts"] = accounts | dict(section.get("accounts") or {})
    section["tax_codes"] = tax_codes | dict(section.get("tax_codes") or {})
    section.setdefault("summary", "detail")
    data["targets"] = {**(data.get("targets") or {}), target: section}
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    try:
        parse_config(text, source=str(path))
    except MappingError as exc:
        raise fail(str(exc)) from None
    path.write_text(text, encoding="utf-8")


def _rows(found: list[Suggestion], taxes: list[TaxSuggestion], key: str) -> list[dict[str, Any]]:
    rows = [{"kind": "account", "code": s.account.code, "name": s.account.name,
             "type": s.account.type.value, "target_id": s.target.id if s.target else None,
             "target_code": s.target.code if s.target else None,
             "target_name": s.target.name if s.target else None,
             "mapped_to": getattr(s.target, key) if s.target else None,
             "score": s.score, "reason": s.reason} for s in found]
    rows += [{"kind": "tax", "code": t.tax.code, "name": t.tax.name,
              "type": f"{t.tax.percent.normalize():f} %" if t.tax.percent is not None else "",
              "target_id": t.target.code if t.target else None,
              "target_code": t.target.code if t.target else None,
              "target_name": t.target.name if t.target else None,
              "mapped_to": t.target.code if t.target else None,
              "score": t.score, "reason": t.reason} for t in taxes]
    return rows


def accounts_map(
    connection: Annotated[str, typer.Argument(help="A QuickBooks or Xero connection.")],
    write: WriteOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Suggest the package's account and tax code for each of ours, with a score.

    With ``--write FILE`` the suggestions go into ``targets.CONNECTION`` of that
    mapping YAML (entries the file already has are kept as they are).
    """
    ledger = open_ledger(db, entity)
    try:
        record, connector = _target(ledger, connection, "package_accounts", "accounts map")
        config = _config(write, record, missing_ok=True)
        theirs, rates = connector.package_accounts(), connector.package_tax_rates()
        ours = [a for a in ledger.accounts() if a.active]
        taxes = suggest_tax_codes(_our_taxes(ledger, config), rates)
    except (LedgerError, SyncError) as exc:
        raise fail(str(exc)) from None
    rows = _rows(suggest_accounts(ours, theirs), taxes, connector.journal_account)
    if write is not None:
        _write_targets(write, connection,
                       {r["code"]: r["mapped_to"] for r in rows
                        if r["kind"] == "account" and r["mapped_to"]},
                       {r["code"]: r["mapped_to"] for r in rows
                        if r["kind"] == "tax" and r["mapped_to"]})
    emit(Report(
        title=f"Account mapping suggestions for {connection}",
        subtitle=f"{sum(1 for r in rows if r['target_id'])} of {len(rows)} accounts and tax "
                 "codes suggested" + (f"; written to {write}" if write else ""),
        columns=(Column("kind", "Kind"), Column("code", "Ours"), Column("name", "Name"),
                 Column("type", "Type"), Column("target_id", "Id", table=False),
                 Column("target_code", "Their code"), Column("target_name", "Theirs"),
                 Column("mapped_to", "Mapped to", table=False),
                 Column("score", "Score", ColumnKind.INT), Column("reason", "Why")),
        rows=rows, currency=ledger.entity.functional_currency, rows_key="suggestions",
        meta={"connection": connection, "system": record.system},
    ), fmt, output)


@targets_app.command("push")
def push(
    connection: Annotated[str, typer.Argument(help="A QuickBooks or Xero connection.")],
    through: ThroughOption = None,
    mapping: MappingOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Push processor activity not yet pushed, in the target's mode (detail, daily, payout)."""
    ledger = open_ledger(db, entity)
    try:
        record, connector = _target(ledger, connection, "push_journal", "targets push")
        config = _config(mapping, record, missing_ok=False)
        target = config.targets.get(connection)
        if target is None:
            raise fail(f"the mapping has no targets.{connection} section; "
                       f"`ledgerbridge accounts map {connection} --write FILE` starts one")
        clearing = clearing_accounts(ledger, config)
        day = through.date() if through else dt.date.today()
        with progress_bar() as bar:
            task = bar.add_task(f"Pushing to {connection}", total=None)
            pushed = push_target(ledger, connection, target, connector, clearing=clearing,
                                 through=day, progress=lambda n, total: bar.update(
                                     task, completed=n, total=total))
    except (LedgerError, SyncError, TargetError) as exc:
        raise fail(str(exc)) from None
    emit(target_report(connection, pushed, ledger.entity.functional_currency), fmt, output)
    if any(p.status == "pending" for p in pushed):
        raise typer.Exit(1)
