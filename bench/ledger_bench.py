"""Ledger benchmark: bulk posting, trial balance and peak memory.

Posts N two-line entries through ``Ledger.post_many`` and compares the rate with a
raw ``sqlite3`` ``executemany`` of the same rows into the same schema (run in a
separate process afterwards, so neither timings nor memory figures mix). Then times
the trial balance and reports this process's peak memory.

    python bench/ledger_bench.py [--n 1000000] [--db URL] [--chunk 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import resource
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import text

from ledgerbridge.ledger import Account, AccountType, Entry, Ledger, Line
from ledgerbridge.money import Money, convert
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.store.engine import SQLITE_PRAGMAS

TARGET_RATIO = 1 / 3
TARGET_TRIAL_BALANCE_S = 2.0
TARGET_PEAK_MB = 500

CHART = [
    Account("1010", "Checking Account", AccountType.ASSET, "bank"),
    Account("1100", "Accounts Receivable", AccountType.ASSET, "receivable"),
    Account("2010", "Accounts Payable", AccountType.LIABILITY, "payable"),
    Account("2200", "Sales Tax Payable", AccountType.LIABILITY, "tax"),
    Account("3010", "Owner's Capital", AccountType.EQUITY, "capital"),
    Account("4010", "Sales", AccountType.INCOME, "sales"),
    Account("6100", "Rent", AccountType.EXPENSE),
    Account("6200", "Software", AccountType.EXPENSE),
]
CODES = [a.code for a in CHART]
MEMOS = ["Invoice", "Bill", "Card payment", "Payout", "Refund", "Transfer", "Fee"]
START = dt.date(2024, 1, 1)
EUR_RATE = Decimal("1.0857")  # USD per EUR; one entry in 50 is in EUR

console = Console()


# -- the workload -----------------------------------------------------------------


def spec(i: int) -> tuple[dt.date, int, str, str, str, str]:
    """The i-th entry as plain values: date, amount, debit, credit, memo, currency."""
    date = START + dt.timedelta(days=i * 7 % 730)
    amount = 100 + i * 7919 % 1_000_000
    debit = CODES[i % len(CODES)]
    credit = CODES[(i * 3 + 1) % len(CODES)]  # never the debit account: 2i + 1 is odd
    memo = f"{MEMOS[i % len(MEMOS)]} {i}"
    currency = "EUR" if i % 50 == 0 else "USD"
    return date, amount, debit, credit, memo, currency


def entries(n: int) -> Iterator[Entry]:
    """Generate the N entries lazily, as the public API receives them."""
    for i in range(n):
        date, amount, debit, credit, memo, currency = spec(i)
        rate = EUR_RATE if currency != "USD" else None
        yield Entry(
            date=date,
            lines=(
                Line(debit, Money(amount, currency), rate, memo),
                Line(credit, Money(-amount, currency), rate),
            ),
            memo=memo,
            idempotency_key=f"bench-{i}",
        )


def raw_rows(n: int, entity_id: int, account_ids: dict[str, int]) -> tuple[list, list]:
    """The rows ``post_many`` writes for the same entries, as driver-ready tuples."""
    heads, lines = [], []
    for i in range(n):
        date, amount, debit, credit, memo, currency = spec(i)
        day = date.isoformat()
        rate = str(EUR_RATE) if currency != "USD" else None
        functional = convert(amount, currency, EUR_RATE, "USD") if rate else amount
        heads.append((i + 1, entity_id, day, memo, None, f"bench-{i}",
                      None, None, None, None, None))
        lines.append((i + 1, entity_id, day, 1, account_ids[debit], functional, currency,
                      amount, rate, memo, None, None))
        lines.append((i + 1, entity_id, day, 2, account_ids[credit], -functional, currency,
                      -amount, rate, None, None, None))
    return heads, lines


# -- the measurements ---------------------------------------------------------------


def fresh_ledger(url: str) -> Ledger:
    """A migrated database holding one entity with the bench chart."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return Ledger.create(engine, entity="bench", name="Bench Co", currency="USD", chart=CHART)


def post_ours(ledger: Ledger, n: int, chunk: int | None) -> float:
    """Post N entries through the public API with a progress bar; return seconds."""
    options = {"chunk_size": chunk} if chunk else {}
    columns = (TextColumn("posting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("post", total=n)
        start = time.perf_counter()
        result = ledger.post_many(
            entries(n), progress=lambda done: bar.advance(task, done), **options
        )
        seconds = time.perf_counter() - start
    assert result.posted == n, result
    return seconds


def time_trial_balance(ledger: Ledger) -> tuple[float, str, int]:
    """Time the trial balance; return seconds, what was timed and the row count."""
    try:
        from ledgerbridge.ledger.reports import trial_balance
    except ImportError:
        trial_balance = None
    start = time.perf_counter()
    if trial_balance is not None:
        report = trial_balance(ledger)
        rows = list(report.rows)
        what = "reports.trial_balance(ledger)"
        assert report.totals["debit"] == report.totals["credit"], "trial balance does not balance"
    else:
        query = text(
            "SELECT a.code, a.name, t.balance FROM accounts a JOIN ("
            " SELECT account_id, SUM(amount) AS balance FROM journal_lines"
            " WHERE entity_id = :entity GROUP BY account_id"
            ") t ON t.account_id = a.id ORDER BY a.code"
        )
        with ledger.engine.connect() as conn:
            rows = conn.execute(query, {"entity": ledger.entity.id}).all()
        what = "SQL GROUP BY account_id (reports.trial_balance not available)"
        assert sum(r.balance for r in rows) == 0, "trial balance does not balance"
    return time.perf_counter() - start, what, len(rows)


def raw_sqlite(n: int) -> float:
    """Insert the same rows with sqlite3 executemany in one transaction; return seconds.

    The database is built like ours (same migrations, chart and pragmas) so the
    comparison measures only what happens between the caller and SQLite.
    """
    path = Path(tempfile.mkdtemp(prefix="ledger-bench-raw-")) / "raw.db"
    ledger = fresh_ledger(f"sqlite:///{path}")
    with ledger.engine.connect() as conn:
        account_ids = dict(conn.execute(text("SELECT code, id FROM accounts")).all())
    ledger.engine.dispose()
    heads, lines = raw_rows(n, ledger.entity.id, account_ids)
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    start = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO journal_entries (id, entity_id, date, memo, reverses_id, idempotency_key,"
        " connection, object_type, external_id, document_id, raw_payload_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        heads,
    )
    db.executemany(
        "INSERT INTO journal_lines (entry_id, entity_id, date, line_no, account_id, amount,"
        " currency, original_amount, rate, memo, party, due_date)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        lines,
    )
    db.execute("COMMIT")
    seconds = time.perf_counter() - start
    db.close()
    shutil.rmtree(path.parent)
    return seconds


def peak_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- main ------------------------------------------------------------------------------


def main() -> None:
    """Run the benchmark and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="entries to post")
    parser.add_argument("--db", help="database URL (default: a new SQLite file in a temp dir)")
    parser.add_argument("--chunk", type=int, help="entries per post_many chunk")
    args = parser.parse_args()
    scratch = None if args.db else Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    url = args.db or f"sqlite:///{scratch / 'bench.db'}"
    n = args.n

    ledger = fresh_ledger(url)
    console.print(f"posting {n:,} two-line entries into {ledger.engine.url!r}")
    ours_s = post_ours(ledger, n, args.chunk)
    console.print(f"ours: {n / ours_s:,.0f} entries/s, {3 * n / ours_s:,.0f} rows/s")
    tb_s, tb_what, tb_rows = time_trial_balance(ledger)
    console.print(f"trial balance: {tb_s:.3f} s for {tb_rows} accounts ({tb_what})")
    peak = peak_mb()
    console.print(f"peak memory (posting process): {peak:,.0f} MB")
    ledger.engine.dispose()
    if scratch is not None:
        shutil.rmtree(scratch)

    console.print("raw sqlite3 executemany of the same rows (separate process) ...")
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        raw_s = pool.apply(raw_sqlite, (n,))
    console.print(f"raw:  {n / raw_s:,.0f} entries/s, {3 * n / raw_s:,.0f} rows/s")
    ratio = raw_s / ours_s

    def verdict(ok: bool) -> str:
        return "[green]pass[/]" if ok else "[red]FAIL[/]"

    table = Table(title=f"ledger bench: {n:,} entries, {ledger.engine.dialect.name}")
    for column in ("measure", "value", "target", ""):
        table.add_column(column)
    table.add_row("ours entries/s", f"{n / ours_s:,.0f}", "", "")
    table.add_row("raw sqlite3 entries/s", f"{n / raw_s:,.0f}", "", "")
    table.add_row("ours rows/s", f"{3 * n / ours_s:,.0f}", "", "")
    table.add_row("raw sqlite3 rows/s", f"{3 * n / raw_s:,.0f}", "", "")
    table.add_row("ratio ours/raw", f"{ratio:.2f}", f">= {TARGET_RATIO:.2f}",
                  verdict(ratio >= TARGET_RATIO))
    table.add_row("trial balance s", f"{tb_s:.3f}", f"< {TARGET_TRIAL_BALANCE_S:.0f}",
                  verdict(tb_s < TARGET_TRIAL_BALANCE_S))
    table.add_row("peak memory MB", f"{peak:,.0f}", f"< {TARGET_PEAK_MB}",
                  verdict(peak < TARGET_PEAK_MB))
    console.print(table)
    console.print(f"trial balance timed: {tb_what}")


if __name__ == "__main__":
    main()
