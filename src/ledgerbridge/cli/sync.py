"""Sync commands: serve the gateway, run workers, manage connections, replay, audit."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import DbOption, EntityOption, console, fail, open_ledger
from ledgerbridge.connectors.registry import available
from ledgerbridge.ledger import LedgerError
from ledgerbridge.mapping import rules_for_connection
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.sync.audit import audit_trail
from ledgerbridge.sync.connections import (
    add_connection,
    get_connection,
    list_connections,
    remove_connection,
)
from ledgerbridge.sync.errors import SyncError
from ledgerbridge.sync.inbox import replay
from ledgerbridge.sync.runner import SyncRunner
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.sync.status import connection_statuses
from ledgerbridge.sync.worker import Worker

__all__ = ["audit", "connections_app", "serve", "sync_app", "worker"]

connections_app = typer.Typer(help="Connections to outside systems.", no_args_is_help=True)
sync_app = typer.Typer(help="The sync engine's inbox: status and replay.", no_args_is_help=True)


def make_worker(db: str | None, batch: int = 20) -> Worker:
    """A worker on ``db``; each connection's rules come from its mapping."""
    return Worker(make_engine(db), batch=batch)


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    with_worker: Annotated[
        bool, typer.Option("--with-worker/--no-worker", help="Also process the inbox here.")
    ] = True,
) -> None:
    """Serve the dashboard, webhook gateway and API (and, by default, a worker thread)."""
    import uvicorn

    from ledgerbridge.api import create_app

    engine = make_engine(db)
    upgrade(engine)
    stop = threading.Event()
    if with_worker:
        threading.Thread(target=SyncRunner.on(engine).run, args=(stop,), daemon=True).start()
    console.print(f"ledgerbridge listening on http://{host}:{port}  (dashboard: /, "
                  "OpenAPI: /docs; add a login with `ledgerbridge users add`)")
    try:
        uvicorn.run(create_app(engine), host=host, port=port, log_level="warning")
    finally:
        stop.set()


def worker(
    db: DbOption = None,
    once: Annotated[bool, typer.Option(help="Process what is due, then exit.")] = False,
    batch: Annotated[int, typer.Option(help="Events claimed per transaction.")] = 20,
    idle_sleep: Annotated[
        float, typer.Option(min=0.01, help="Seconds to wait before looking again when "
                            "nothing is due (lower: less latency, more idle queries).")
    ] = 0.2,
) -> None:
    """Post the inbox, deliver write-backs and poll connections on their interval.

    Run as many as you like: on PostgreSQL they share the work.
    """
    runner = SyncRunner.on(make_engine(db), batch=batch)
    name, stats = runner.worker.name, runner.worker.stats
    if once:
        handled = runner.run_until_idle()
        console.print(f"Handled {handled} events, write-backs and polled records: {stats}")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"worker {name} started; Ctrl-C to stop")
    try:
        runner.run(stop, idle_sleep=idle_sleep)
    except KeyboardInterrupt:
        stop.set()
    console.print(f"worker {name} stopped: {stats}")


def audit(
    entry_id: Annotated[int, typer.Argument(help="Journal entry id.")],
    db: DbOption = None,
    entity: EntityOption = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show an entry's trail: GL lines -> canonical document -> raw payload -> connection."""
    ledger = open_ledger(db, entity)
    try:
        trail = audit_trail(ledger, entry_id)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    data = trail.to_dict()
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    entry = trail.entry
    table = Table(title=f"GL entry {entry.id} · {entry.date} · {entry.memo}")
    for column in ("account", "name", "amount", "original", "party"):
        table.add_column(column)
    for ln in entry.lines:
        table.add_row(ln.account, ln.account_name, str(ln.amount), str(ln.original),
                      ln.party or "")
    console.print(table)
    for key, title in (("document", "document"), ("raw", "raw payload"),
                       ("connection", "connection")):
        console.rule(title)
        if data[key] is None:
            console.print("(none: this entry was not created from a synced record)")
        else:
            console.print_json(json.dumps(data[key], ensure_ascii=False))


def _settings(pairs: list[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail(f"--setting {pair!r} is not KEY=VALUE")
        if value.startswith("env:"):
            name = value[4:]
            if name not in os.environ:
                raise fail(f"--setting {key}: environment variable {name} is not set")
            value = os.environ[name]
        settings[key] = value
    return settings


@connections_app.command("add")
def connections_add(
    name: Annotated[str, typer.Argument(help="Connection name (used in the webhook URL).")],
    system: Annotated[str, typer.Option(help="Connector, e.g. webhook, stripe.")],
    setting: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE (repeatable); VALUE env:NAME reads an environment "
                     "variable, keeping secrets out of shell history."),
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping YAML for this connection.")] = None,
    poll_interval: Annotated[int | None, typer.Option(help="Seconds between polls.")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Connect an outside system to an entity's ledger."""
    try:
        mapping_text = mapping.read_text(encoding="utf-8") if mapping else None
        if mapping_text is not None:
            rules_for_connection(system, mapping_text)
        record = add_connection(make_engine(db), name, system, entity=entity,
                                settings=_settings(setting or []), mapping=mapping_text,
                                poll_interval=poll_interval)
    except (LedgerError, SyncError, OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    console.print(f"Added connection {record.name} ({record.system}) to entity {record.entity}; "
                  f"webhooks: POST /webhooks/{record.name}")


@connections_app.command("list")
def connections_list(db: DbOption = None) -> None:
    """Every connection with its system and entity (secrets are never shown)."""
    table = Table("name", "system", "entity", "enabled", "poll every", "settings")
    with make_engine(db).connect() as conn:
        for record in list_connections(conn):
            table.add_row(record.name, record.system, record.entity,
                          "yes" if record.enabled else "no",
                          f"{record.poll_interval}s" if record.poll_interval else "",
                          ", ".join(sorted(record.settings)))
    console.print(table)


@connections_app.command("remove")
def connections_remove(name: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """Disable a connection; its events, documents and lineage are kept."""
    try:
        remove_connection(make_engine(db), name)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    console.print(f"Connection {name} disabled (history kept)")


@connections_app.command("status")
def connections_status(db: DbOption = None) -> None:
    """Last event and sync, lag, pending, waiting and dead-lettered events per connection."""
    table = Table("name", "system", "last event", "last sync", "lag", "pending", "waiting",
                  "dead", "posted", "outbox pending", "outbox dead")
    with make_engine(db).connect() as conn:
        for s in connection_statuses(conn):
            lag = "" if s.lag_seconds is None else f"{s.lag_seconds:.0f}s"
            table.add_row(s.name, s.system, str(s.last_event_at or ""), str(s.last_sync_at or ""),
                          lag, str(s.pending), str(s.waiting), str(s.dead), str(s.posted),
                          str(s.outbox_pending), str(s.outbox_dead))
    console.print(table)


@connections_app.command("systems")
def connections_systems() -> None:
    """Installed connectors (ours and third-party packages')."""
    table = Table("system", "title", "streams")
    for name, cls in sorted(available().items()):
        table.add_row(name, cls.title, ", ".join(s.name for s in cls.streams))
    console.print(table)


@sync_app.command("replay")
def sync_replay(
    event: Annotated[int | None, typer.Argument(help="Inbox event id (default: all failed).")]
    = None,
    failed: Annotated[bool, typer.Option("--failed", help="Replay every dead or failed event."
                                         )] = False,
    connection: Annotated[str | None, typer.Option(help="Only this connection.")] = None,
    queue_only: Annotated[bool, typer.Option(help="Queue them; let workers do the rest.")]
    = False,
    db: DbOption = None,
) -> None:
    """Re-run one event, or all failed ones, after a fix; nothing posts twice."""
    if event is None and not failed:
        raise fail("give an event id or --failed")
    engine = make_engine(db)
    try:
        with engine.begin() as conn:
            connection_id = get_connection(conn, connection).id if connection else None
            count = replay(conn, event_id=event, connection_id=connection_id)
    except LedgerError as exc:
        raise fail(str(exc)) from None
    if event is not None and count == 0:
        raise fail(f"no event {event} to replay (unknown, or already posted)")
    console.print(f"Queued {count} events for replay")
    if not queue_only:
        runner = make_worker(db)
        runner.run_until_idle()
        console.print(f"Processed: {runner.stats}")
        if runner.stats.dead or runner.stats.failed:
            raise typer.Exit(code=1)


@sync_app.command("poll")
def sync_poll(
    connection: Annotated[str, typer.Argument(help="Connection to read now.")],
    since: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
                     help="Backfill: read from this date instead of the saved cursor."),
    ] = None,
    stream: Annotated[list[str] | None, typer.Option(help="Only these streams.")] = None,
    db: DbOption = None,
) -> None:
    """Read a connection's streams now (the scheduler does this on its interval)."""
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            record = get_connection(conn, connection)
        start = since.replace(tzinfo=dt.UTC) if since and since.tzinfo is None else since
        results = poll_connection(engine, record, streams=stream, since=start)
    except (LedgerError, SyncError) as exc:
        raise fail(str(exc)) from None
    table = Table("stream", "read", "new", "cursor", "error")
    for r in results:
        table.add_row(r.stream, str(r.read), str(r.stored), str(r.cursor or ""), r.error or "")
    console.print(table)
    if any(r.error for r in results):
        raise typer.Exit(code=1)
