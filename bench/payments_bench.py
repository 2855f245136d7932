"""Payments benchmark: backfill Stripe balance transactions over HTTP into the ledger.

An emulated Stripe account is seeded in-process with ``--n`` balance transactions
(charges in USD, EUR, GBP and JPY, partial refunds, Stripe fees and automatic
payouts) and served by the Stripe emulator over real HTTP. Then, in one run:

* Baseline: raw HTTP paging alone - every page of ``/v1/balance_transactions``
  (100 a page, sources expanded) fetched and parsed, nothing stored.
* Backfill: ``sync poll`` of the connection's ``balance_transactions`` stream into
  the inbox and the worker normalizing and posting every event, as deployed: the
  poll in a process of its own, the worker posting what it has stored meanwhile,
  until both are done (``--sequential``: poll everything, then post, in one
  process). The emulator runs in a process of its own too (``--inline-emulator``:
  a thread of this one), since Stripe's API does not run on the ledger's CPU.

It reports transactions/s, wall and per CPU second (on a busy machine CPU time is
the steadier figure; the emulator's is shown apart), the poll's time and its
HTTP share, the worker's time split into HTTP (the payouts' transaction lists),
normalization and posting (applying documents, posting entries), the ratio to the
baseline, and checks the clearing (1150) and transit (1160) balances against the
account's own totals.

A SQLite database is a new temporary file; a PostgreSQL database given with
``--db`` has its ``public`` schema DROPPED AND RECREATED: use one kept for this.

    python bench/payments_bench.py [--n 100000] [--db postgresql://postgres@127.0.0.1/paybench]
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.stripe import SALES_MAPPING, StripeConnector
from ledgerbridge.connectors.stripe.account import Account
from ledgerbridge.connectors.stripe.client import StripeApi
from ledgerbridge.connectors.stripe.emulator import create_emulator
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.ledger.reports import trial_balance
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.store.tables import inbox
from ledgerbridge.sync.connections import add_connection, get_connection
from ledgerbridge.sync.scheduler import PollResult, poll_connection
from ledgerbridge.sync.worker import Worker
from sync_bench import cpu_seconds

TARGET_SECONDS = 60.0
TARGET_N = 100_000
API_KEY = "sk_test_bench_0123456789"
console = Console()


@dataclass
class Clock:
    """Seconds spent inside wrapped calls; nested calls of another clock are taken out."""

    seconds: float = 0.0
    inner: Clock | None = None

    def wrap(self, cls: type, name: str) -> None:
        """Time every call of ``cls.name`` from now on."""
        original: Callable[..., Any] = getattr(cls, name)
        clock = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            inner_before = clock.inner.seconds if clock.inner else 0.0
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                inner = (clock.inner.seconds - inner_before) if clock.inner else 0.0
                clock.seconds += time.perf_counter() - start - inner

        setattr(cls, name, timed)


@contextmanager
def timer(label: str, results: dict[str, float]):  # noqa: ANN201
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start


def fresh_database(url: str | None) -> str:
    """A new SQLite file, or the given PostgreSQL database emptied and migrated."""
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='paybench-')) / 'ledger.db'}"
    engine = make_engine(url)
    if make_url(url).get_backend_name() == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    return url


def baseline(base_url: str, n: int) -> float:
    """Seconds to page through every balance transaction over HTTP, parsing only."""
    api = StripeApi(base_url, API_KEY, connection="baseline")
    start = time.perf_counter()
    seen = sum(len(page["data"]) for page in api.pages(
        "/v1/balance_transactions", [("limit", 100), ("expand[]", "data.source")]))
    elapsed = time.perf_counter() - start
    if seen != n:
        raise SystemExit(f"baseline saw {seen} transactions, expected {n}")
    return elapsed


def expected_books(account: Account) -> tuple[int, int]:
    """Clearing and transit as the account's own records say they should be."""
    transactions = account.sequence("balance_transaction")[0]
    paid = sum(p["amount"] for p in account.sequence("payout")[0] if p["status"] == "paid")
    return sum(t["net"] for t in transactions), paid


@contextmanager
def emulator_process(account: Account) -> Iterator[tuple[str, int]]:
    """Serve the seeded account from a forked process of its own; yields its URL and pid.

    Stripe's API does not run on the ledger's CPU: served from a thread of this
    process, the emulator would take its turns at the interpreter lock from the
    worker being measured.
    """
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    stop = context.Event()

    def serve() -> None:
        with serve_in_thread(create_emulator(SandboxOptions(API_KEY), account)) as base:
            theirs.send(base)
            stop.wait()

    process = context.Process(target=serve, name="stripe-emulator", daemon=True)
    process.start()
    try:
        yield ours.recv(), process.pid
    finally:
        stop.set()
        process.join(timeout=10)


@dataclass
class PollReport:
    """What the poll did, measured where it ran."""

    result: PollResult
    wall: float
    cpu: float
    http: float


def poll_backfill(url: str, name: str, http: Clock) -> PollReport:
    """``sync poll`` of the balance transactions into the inbox."""
    engine = make_engine(url)
    with engine.connect() as conn:
        record = get_connection(conn, name)
    http.seconds = 0.0
    start, cpu = time.perf_counter(), time.process_time()
    (result,) = poll_connection(engine, record, streams=["balance_transactions"])
    engine.dispose()
    return PollReport(result, time.perf_counter() - start, time.process_time() - cpu,
                      http.seconds)


def poll_apart(url: str, name: str, http: Clock) -> tuple[Callable[[], bool],
                                                          Callable[[], PollReport]]:
    """Run ``poll_backfill`` in a forked process; (whether it is still running, its report)."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    process = context.Process(target=lambda: theirs.send(poll_backfill(url, name, http)),
                              name="poll", daemon=True)
    process.start()

    def report() -> PollReport:
        found = ours.recv()
        process.join()
        return found

    return lambda: process.is_alive() and not ours.poll(), report


def main() -> None:  # noqa: PLR0915
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=TARGET_N, help="balance transactions")
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    parser.add_argument("--batch", type=int, default=500, help="events per worker transaction")
    parser.add_argument("--sequential", action="store_true",
                        help="poll everything first, then post, in this process")
    parser.add_argument("--inline-emulator", action="store_true",
                        help="serve the emulator from a thread of this process")
    args = parser.parse_args()

    http, normalize = Clock(), Clock()
    normalize.inner = http
    http.wrap(StripeApi, "get")
    normalize.wrap(StripeConnector, "normalize")
    times: dict[str, float] = {}

    account = Account(seed=1)
    with timer("seed", times):
        account.seed(args.n, start=int(time.time()) - args.n - 86_400)
    url = fresh_database(args.db)
    engine = make_engine(url)
    ledger = Ledger.create(engine, name="Bench Co", currency="USD", chart=standard_chart())
    engine.dispose()  # no pooled connection crosses a fork
    with ExitStack() as stack:
        if args.inline_emulator:
            base = stack.enter_context(serve_in_thread(create_emulator(SandboxOptions(API_KEY),
                                                                       account)))
            emulator_pid = None
        else:
            base, emulator_pid = stack.enter_context(emulator_process(account))
        times["baseline"] = baseline(base, args.n)
        add_connection(engine, "stripe", "stripe", mapping=SALES_MAPPING,
                       settings={"api_key": API_KEY, "base_url": base})
        engine.dispose()
        emulator_cpu = cpu_seconds(emulator_pid) if emulator_pid else 0.0
        worker = Worker(engine, batch=args.batch)
        cpu_start = time.process_time()
        with timer("backfill", times):
            if args.sequential:
                poll = poll_backfill(url, "stripe", http)
                http.seconds = 0.0
                with timer("worker", times):
                    worker.run_until_idle()
            else:
                polling, report = poll_apart(url, "stripe", http)
                with timer("worker", times):
                    while True:
                        if worker.run_once():
                            continue
                        if not polling():
                            break
                        time.sleep(0.05)  # caught up with the poll
                    poll = report()
                    worker.run_until_idle()  # what the last page brought
        times["cpu"] = time.process_time() - cpu_start
        if emulator_pid:
            emulator_cpu = cpu_seconds(emulator_pid) - emulator_cpu
    result = poll.result
    if result.error or result.stored != args.n:
        raise SystemExit(f"poll stored {result.stored} of {args.n}: {result.error}")
    with engine.connect() as conn:
        final = {status: n for status, n in conn.execute(
            select(inbox.c.status, func.count()).group_by(inbox.c.status))}
    done = final.get("posted", 0) + final.get("ignored", 0)
    books = {row["account"]: row["debit"] - row["credit"] for row in trial_balance(ledger).rows}
    clearing, transit = expected_books(account)
    books_ok = (books.get("1150", 0), books.get("1160", 0)) == (clearing, transit)

    total = times["backfill"]
    at_target = total * TARGET_N / args.n
    verdict = "met" if at_target < TARGET_SECONDS else "MISSED"
    posting = times["worker"] - http.seconds - normalize.seconds
    shape = ("poll, then worker, one process" if args.sequential
             else "poll and worker in processes of their own, at once")
    cpu_total = times["cpu"] + (0.0 if args.sequential else poll.cpu)
    table = Table(title=f"Stripe backfill: {args.n:,} balance transactions "
                        f"({make_url(url).get_backend_name()}; {shape}; emulator "
                        f"{'in this process' if args.inline_emulator else 'apart'})")
    for column in ("measure", "value"):
        table.add_column(column, justify="right" if column == "value" else "left")
    rows = [
        ("seed the emulator (in-process)", f"{times['seed']:.1f} s"),
        ("baseline: raw HTTP paging alone", f"{times['baseline']:.1f} s "
                                            f"({args.n / times['baseline']:,.0f} txn/s)"),
        ("backfill: poll + worker (wall)", f"{total:.1f} s ({args.n / total:,.0f} txn/s)"),
        ("  CPU: poll + worker (+ emulator)",
         f"{cpu_total:.1f} s ({args.n / cpu_total:,.0f} txn/CPU-s)"
         + (f" (+ {emulator_cpu:.1f} s)" if emulator_pid else "")),
        ("  poll: paging into the inbox", f"{poll.wall:.1f} s wall, {poll.cpu:.1f} s CPU, "
                                          f"HTTP {poll.http:.1f} s"),
        ("  worker: normalizing and posting", f"{times['worker']:.1f} s wall"),
        ("    of which HTTP (payouts' transactions)", f"{http.seconds:.1f} s"),
        ("    of which normalization", f"{normalize.seconds:.1f} s"),
        ("    of which posting (documents, entries)", f"{posting:.1f} s"),
        ("backfill / baseline", f"{total / times['baseline']:.1f}x"),
        ("events posted / ignored / not done", f"{final.get('posted', 0):,} / "
                                               f"{final.get('ignored', 0):,} / "
                                               f"{args.n - done:,}"),
        ("  first tries that waited for a charge", f"{worker.stats.waiting:,}"),
        ("clearing 1150 / transit 1160 match Stripe", "yes" if books_ok else
         f"NO: {books.get('1150')} / {books.get('1160')} vs {clearing} / {transit}"),
        (f"target: {TARGET_N:,} under {TARGET_SECONDS:.0f} s",
         f"{at_target:.0f} s at this rate: {verdict}"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
