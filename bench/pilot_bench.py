"""Pilot benchmark: compare a shadow book with the old process's file, then cut it over.

``--pilots`` companies (entities) each have a connection that runs one generated
quarter (seeds 1..N) in shadow mode.
Then, in one run:

* Compare: each shadow book is exported as an hledger journal (the "old process"),
  read back through ``hledger print`` and compared entry by entry and in total.
* Baseline: the same entries posted with ``Ledger.post_many`` into a fresh entity,
  the ledger's bulk path: the floor for moving entries between books.
* Cutover: every pilot promoted (entries, promotions, documents, bank book).

It prints entries per second for each step and the cutover's ratio to the baseline.
A SQLite database is a new temporary file; a PostgreSQL database given with ``--db``
has its ``public`` schema DROPPED AND RECREATED: use one kept for this.

    python bench/pilot_bench.py [--pilots 20] [--db postgresql://postgres@127.0.0.1/pilotbench]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select, text

from ledgerbridge.ledger import Entry, Ledger, Line
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.ledger.exports import write_hledger
from ledgerbridge.pilot import compare, cutover, read_old_books, start_pilot
from ledgerbridge.sandbox.company import company_documents, load_company
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.store.tables import journal_entries
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.worker import Worker

console = Console()


def _engine(db: str | None, directory: Path) -> Engine:
    if db is None:
        engine = make_engine(f"sqlite:///{directory / 'bench.db'}")
    else:
        engine = make_engine(db)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


def _copies(ledger: Ledger) -> list[Entry]:
    """The book's entries as new entries to post (none of them is a reversal here)."""
    with ledger.engine.connect() as conn:
        ids = conn.execute(select(journal_entries.c.id).where(
            journal_entries.c.entity_id == ledger.entity.id).order_by(journal_entries.c.id)
        ).scalars().all()
    copies = []
    for entry_id in ids:
        entry = ledger.entry(entry_id)
        copies.append(Entry(entry.date, tuple(Line(ln.account, ln.original, ln.rate, ln.memo,
                                                   ln.party, ln.due_date)
                                              for ln in entry.lines), entry.memo))
    return copies


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pilots", type=int, default=20)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        engine = _engine(args.db, directory)
        shadows = []
        for n in range(1, args.pilots + 1):
            name = f"company-{n}"
            Ledger.create(engine, entity=name, currency="USD", chart=standard_chart())
            add_connection(engine, name, "webhook", entity=name, settings={"secret": "bench"})
            shadows.append(Ledger(engine, start_pilot(engine, name, by="bench").shadow_entity))
            load_company(engine, name, company_documents(n))
        Worker(engine, batch=200).run_until_idle()
        entries = sum(len(_copies(s)) for s in shadows)

        started = time.perf_counter()
        differing = 0
        for shadow in shadows:
            path = directory / f"{shadow.entity.code}.journal"
            with path.open("w", encoding="utf-8") as out:
                write_hledger(shadow, out)
            result = compare(shadow, read_old_books(path, shadow.accounts(), "USD"))
            differing += len(result.discrepancies) + len(result.totals)
        compared = time.perf_counter() - started

        copies = [e for s in shadows for e in _copies(s)]
        baseline_book = Ledger.create(engine, entity="baseline", currency="USD",
                                      chart=standard_chart())
        started = time.perf_counter()
        baseline_book.post_many(copies)
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        for n in range(1, args.pilots + 1):
            cutover(engine, f"company-{n}", by="bench")
        promoted = time.perf_counter() - started
        engine.dispose()

    table = Table("step", "entries", "seconds", "entries/s", title=(
        f"Pilot: {args.pilots} generated quarters on {'PostgreSQL' if args.db else 'SQLite'}"))
    for step, seconds in (("compare (export, read, match)", compared),
                          ("baseline: post_many", baseline), ("cutover", promoted)):
        table.add_row(step, str(entries), f"{seconds:.2f}", f"{entries / seconds:,.0f}")
    console.print(table)
    console.print(f"cutover / baseline: {promoted / baseline:.1f}x; discrepancies found in "
                  f"faithful copies: {differing}", highlight=False)


if __name__ == "__main__":
    main()
