"""Dashboard benchmark: the statement pages of a large ledger over real HTTP.

Posts N two-line entries (the ledger benchmark's workload, through ``Ledger.post_many``),
serves the dashboard with uvicorn on a local port, logs in as a viewer through the
login form and times GET of the balance sheet, the income statement and the cash flow
statement for a year, then for a range that starts and ends mid-month (p50 and p95 of
sequential requests). The baseline, in the same run and on the same server and
session, is a static file of the dashboard (``/static/dashboard.css``): the ratio says
what building a report page costs on top of the web stack itself.

    python bench/dashboard_bench.py [--n 1000000] [--db URL] [--requests 40] [--profile]

A PostgreSQL ``--db`` has its ``public`` schema DROPPED AND RECREATED, and is vacuumed
and analysed after the load, as autovacuum would do. ``--profile`` prints where the
time of building the report pages goes (cProfile, in-process).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from ledger_bench import entries, fresh_ledger
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.ledger import Ledger
from ledgerbridge.web import dashboard_app
from ledgerbridge.web.report_view import REPORTS, Period, table_view
from ledgerbridge.web.users import Role, add_user

TARGET_P95_MS = 300
YEAR = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))  # the workload's second year
# Partial first and last months: their days are read from the journal lines.
MID_MONTH = Period(dt.date(2025, 1, 16), dt.date(2025, 12, 15))
PAGES = {f"{name}{label}": (name, period)
         for label, period in (("", YEAR), (" mid-month", MID_MONTH))
         for name in ("balance-sheet", "income-statement", "cash-flow")}
STATIC = "/static/dashboard.css"
PASSWORD = "bench passphrase"

console = Console()


def log_in(url: str) -> httpx.Client:
    """A viewer's logged-in client, through the login form like a browser."""
    client = httpx.Client(base_url=url, timeout=60)
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/login", data={"name": "viewer", "password": PASSWORD,
                                         "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return client


def timings(client: httpx.Client, path: str, requests: int) -> list[float]:
    """Milliseconds of ``requests`` sequential GETs of ``path`` (after one warm-up)."""
    assert client.get(path).status_code == 200, path
    out = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, path
    return out


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return statistics.quantiles(values, n=20)[-1]


def profile_pages(ledger: Ledger) -> None:
    """Where the time of building the pages' reports goes (cProfile, in-process)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for name, period in PAGES.values():
        table_view(REPORTS[name].build(ledger, period))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(20)


def main() -> None:
    """Build the ledger, serve it, time the pages and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="entries in the ledger")
    parser.add_argument("--db", help="database URL (default: a new SQLite file in a temp dir)")
    parser.add_argument("--requests", type=int, default=40, help="timed GETs per page")
    parser.add_argument("--profile", action="store_true", help="cProfile the report pages")
    args = parser.parse_args()
    scratch = None if args.db else Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    url = args.db or f"sqlite:///{scratch / 'bench.db'}"

    ledger = fresh_ledger(url)
    console.print(f"posting {args.n:,} entries into {ledger.engine.url!r} ...")
    start = time.perf_counter()
    posted = ledger.post_many(entries(args.n)).posted
    console.print(f"posted {posted:,} entries in {time.perf_counter() - start:.1f} s")
    if ledger.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
        with ledger.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    add_user(ledger.engine, "viewer", PASSWORD, Role.VIEWER)
    if args.profile:
        profile_pages(ledger)

    results = {}
    with serve_in_thread(dashboard_app(ledger.engine, entity="bench")) as site:
        client = log_in(site)
        results["static file (baseline)"] = timings(client, STATIC, args.requests)
        for label, (name, period) in PAGES.items():
            path = f"/reports/{name}?{period.query(REPORTS[name].dates)}"
            results[label] = timings(client, path, args.requests)
        client.close()
    ledger.engine.dispose()
    if scratch is not None:
        shutil.rmtree(scratch)

    base = statistics.median(results["static file (baseline)"])
    table = Table(title=f"dashboard bench: {args.n:,} entries, {ledger.engine.dialect.name}, "
                        f"{args.requests} GETs each")
    for column in ("page", "p50 ms", "p95 ms", "p50 / static", "target", ""):
        table.add_column(column, no_wrap=column == "page")
    for name, values in results.items():
        static = name.startswith("static")
        ok = static or p95(values) < TARGET_P95_MS
        table.add_row(name, f"{statistics.median(values):.1f}", f"{p95(values):.1f}",
                      f"{statistics.median(values) / base:.1f}",
                      "" if static else f"p95 < {TARGET_P95_MS}",
                      "" if static else ("[green]pass[/]" if ok else "[red]FAIL[/]"))
    console.print(table)


if __name__ == "__main__":
    main()
