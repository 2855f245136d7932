"""``ledgerbridge sandbox SYSTEM``: serve a vendor emulator; ``sandbox company``: sample books.

Each emulated system is its own subcommand (``sandbox stripe --port 12111``), so
``sandbox company`` sits beside them with options of its own.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Annotated

import typer

from ledgerbridge.cli.common import (
    DbOption,
    EntityOption,
    Format,
    FormatOption,
    console,
    fail,
    progress_bar,
)
from ledgerbridge.ledger import LedgerError
from ledgerbridge.sandbox.emulators import EMULATED, SandboxOptions, emulator_app

__all__ = ["sandbox_app"]

_DEFAULTS = SandboxOptions()

sandbox_app = typer.Typer(
    help="Local emulators of outside systems, and a generated company to try rules on.",
    no_args_is_help=True,
)


def _serve(system: str):  # noqa: ANN202 - a typer command
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 12111,
        api_key: Annotated[str, typer.Option(help="Credential the emulator accepts.")] =
            _DEFAULTS.api_key,
        webhook_url: Annotated[
            str | None, typer.Option(help="Send signed webhooks here (e.g. the gateway's URL).")
        ] = None,
        webhook_secret: Annotated[str, typer.Option(help="Webhook signing secret.")] =
            _DEFAULTS.webhook_secret,
        seed: Annotated[int, typer.Option(help="Seed of generated sample data.")] = 0,
    ) -> None:
        import uvicorn

        app = emulator_app(system, SandboxOptions(api_key, webhook_url, webhook_secret, seed))
        console.print(f"{system} emulator on http://{host}:{port} (credential {api_key!r})")
        uvicorn.run(app, host=host, port=port, log_level="warning")

    serve.__doc__ = f"Serve an emulator of {system}'s API, for trying a connection without it."
    return serve


for _system in EMULATED:
    sandbox_app.command(_system)(_serve(_system))


@sandbox_app.command("company")
def company(
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same company.")] = 0,
    start: Annotated[dt.datetime, typer.Option(
        formats=["%Y-%m-%d"], help="First day of the quarter.")] = dt.datetime(2026, 1, 1),
    out: Annotated[Path | None, typer.Option(
        help="Write the documents here as JSON Lines.")] = None,
    connection: Annotated[str | None, typer.Option(
        help="Load them into this webhook connection (made if missing) and post them.")] = None,
    emulators: Annotated[bool, typer.Option(
        "--emulators", help="Seed the vendor emulators with the company and sync a "
        "connection to each.")] = False,
    systems: Annotated[str | None, typer.Option(
        help="With --emulators: the systems, comma-separated (default: hubspot, stripe, "
        "shopify, ramp, gusto and plaid).")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
    fmt: FormatOption = Format.table,
) -> None:
    """Generate a quarter of company activity; write it to a file, post it, or emulate it.

    With ``--emulators`` the per-system summary is printed as ``--format`` says; the
    trial balance follows it in a table.
    """
    from ledgerbridge.sandbox.company import company_documents, company_jsonl

    if out is None and connection is None and not emulators:
        raise fail("say where the company goes: --out FILE, --connection NAME and/or "
                   "--emulators")
    try:
        documents = company_documents(seed, start.date())
    except ValueError as exc:
        raise fail(str(exc)) from None
    if out is not None:
        try:
            out.write_text(company_jsonl(documents), encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {out}: {exc.strerror}") from None
        console.print(f"Wrote {len(documents)} documents to {out}", highlight=False)
    if connection is not None:
        _post(documents, connection, db, entity)
    if emulators:
        chosen = None if systems is None else [s.strip() for s in systems.split(",")
                                               if s.strip()]
        _emulate(seed, start.date(), chosen, db, entity, fmt)


def _emulate(seed: int, start: dt.date, systems: list[str] | None, db: str | None,
             entity: str, fmt: Format) -> None:
    """Run the company through the emulators; print the summary and the trial balance."""
    from ledgerbridge.cli.common import open_ledger
    from ledgerbridge.cli.ledger import emit
    from ledgerbridge.ledger.reports import trial_balance
    from ledgerbridge.report import to_table
    from ledgerbridge.sandbox.company_emulators import (
        SYSTEMS,
        run_company_emulated,
        summary_report,
    )

    ledger = open_ledger(db, entity)
    try:
        with progress_bar() as bar:
            task = bar.add_task("starting the emulators")

            def advance(step: str, done: int, total: int) -> None:
                bar.update(task, description=step, completed=done, total=total)

            runs = run_company_emulated(ledger, seed, start=start,
                                        systems=SYSTEMS if systems is None else systems,
                                        progress=advance)
    except (LedgerError, ValueError) as exc:
        raise fail(str(exc)) from None
    emit(summary_report(runs, seed), fmt, None)
    if fmt is Format.table:
        console.print(to_table(trial_balance(ledger)))


def _post(documents: list[dict], connection: str, db: str | None, entity: str) -> None:
    """Store the documents in the connection's inbox and let a worker post them."""
    from sqlalchemy import select

    from ledgerbridge.cli.common import open_ledger
    from ledgerbridge.sandbox.company import load_company
    from ledgerbridge.store.tables import connections
    from ledgerbridge.sync.connections import add_connection, get_connection
    from ledgerbridge.sync.worker import Worker

    engine = open_ledger(db, entity).engine
    try:
        with engine.connect() as conn:
            known = conn.execute(select(connections.c.id).where(
                connections.c.name == connection)).first()
        if known is None:
            add_connection(engine, connection, "webhook", entity=entity,
                           settings={"secret": secrets.token_hex(16)})
        with progress_bar() as bar:
            task = bar.add_task(f"loading into {connection}", total=len(documents))
            stored = load_company(engine, connection, documents,
                                  progress=lambda n: bar.advance(task, n))
            worker = Worker(engine)
            bar.update(task, description="posting", completed=0, total=stored)
            while count := worker.run_once():
                bar.advance(task, count)
        with engine.connect() as conn:
            book = get_connection(conn, connection).entity
    except (LedgerError, ValueError) as exc:
        raise fail(str(exc)) from None
    stats = worker.stats
    console.print(f"{stored} new documents stored in {connection!r}; the worker posted "
                  f"{stats.posted}, ignored {stats.ignored}, {stats.waiting} waiting, "
                  f"{stats.dead} dead letters. Books: entity {book!r}.", highlight=False)
