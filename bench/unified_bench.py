"""Unified API benchmark: reading every invoice of the ledger page by page.

``--n`` stored invoices are listed through ``LedgerAdapter.list`` 100 at a time,
following ``next_cursor`` (keyset pages: each page starts after the last one's
row id). Baseline, in the same run on the same rows: the same records read with
``LIMIT/OFFSET`` pages, each row parsed into the same canonical document, which is
what an offset-paged API would do. Also timed: the raw rows alone (no documents),
to show what building canonical records costs. Figures are records per second,
the best of three rounds (the first warms caches).

    python bench/unified_bench.py [--n 20000] [--db postgresql://...]

A PostgreSQL database given with ``--db`` has its ``public`` schema DROPPED AND
RECREATED: point it at a database used for nothing else.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, insert, select, text

from ledgerbridge.documents import parse_document
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.store.tables import documents
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.unified import LedgerAdapter

PAGE = 100
console = Console(width=120)


def _invoice(i: int) -> dict:
    return {"type": "invoice", "source": {"connection": "bench", "object_type": "invoice",
                                          "external_id": f"INV-{i}"},
            "number": str(10_000 + i), "customer": {"external_id": f"c{i % 97}"},
            "issue_date": "2026-04-01", "currency": "USD",
            "lines": [{"description": "Work", "amount": f"{100 + i % 900}.{i % 100:02d}",
                       "tax_lines": [{"jurisdiction": "US-TX", "amount": "8.25"}]}]}


def fill(engine: Engine, n: int) -> None:
    """A ledger with a connection and ``n`` current invoice documents (no entries)."""
    upgrade(engine)
    Ledger.create(engine, name="Bench", currency="USD", chart=standard_chart())
    record = add_connection(engine, "bench", "webhook", settings={"secret": "whsec_bench_0123"})
    rows = [{"connection_id": record.id, "type": "invoice", "external_id": f"INV-{i}",
             "version": "1", "content_hash": f"{i:064d}", "status": "current",
             "data": parse_document(_invoice(i)).model_dump_json()} for i in range(n)]
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(documents), rows[start:start + 5000])


def keyset(adapter: LedgerAdapter) -> int:
    """Records read by following cursors."""
    count, cursor = 0, None
    while True:
        page = adapter.list("invoices", cursor=cursor, limit=PAGE)
        count += len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return count


def offset(engine: Engine, *, parse: bool) -> int:
    """Records read with OFFSET pages (parsed into documents, or raw rows)."""
    query = (select(documents.c.id, documents.c.data).where(
        documents.c.type == "invoice", documents.c.status == "current")
        .order_by(documents.c.id).limit(PAGE))
    count, skip = 0, 0
    with engine.connect() as conn:
        while rows := conn.execute(query.offset(skip)).all():
            for row in rows:
                if parse:
                    parse_document(row.data).model_copy(update={"id": str(row.id)})
                else:
                    json.loads(row.data)
            count += len(rows)
            skip += PAGE
    return count


def timed(label: str, run, rounds: int = 3) -> float:  # noqa: ANN001
    """Run ``run`` ``rounds`` times and print the best records per second."""
    best = None
    for _ in range(rounds):
        start = time.perf_counter()
        count = run()
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    seconds = best
    rate = count / seconds
    console.print(f"{label:<44} {count:>7} records {seconds:8.2f} s {rate:10.0f} /s")
    return rate


def main() -> None:
    """Fill a database, then time the three ways of reading it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="invoices stored")
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'unified.db'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
    fill(engine, args.n)
    console.print(f"{engine.dialect.name}, {args.n} invoices, pages of {PAGE}")
    ours = timed("unified list (keyset cursor, documents)", lambda: keyset(LedgerAdapter(engine)))
    base = timed("baseline: OFFSET pages, documents", lambda: offset(engine, parse=True))
    raw = timed("raw rows: OFFSET pages, JSON only", lambda: offset(engine, parse=False))
    console.print(f"keyset / offset: {ours / base:.2f}x   documents / raw rows: {ours / raw:.2f}x")


if __name__ == "__main__":
    main()
