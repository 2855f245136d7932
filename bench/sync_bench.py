"""Sync benchmark: accepted webhooks/s and webhook-to-ledger latency, real processes.

Runs the real gateway (``ledgerbridge serve --no-worker``, one uvicorn process) and
real workers (``ledgerbridge worker``: 1 on SQLite, 2 on PostgreSQL) as separate
processes and drives them over HTTP with signed, distinct invoice documents.

* Throughput: ``--n`` requests as fast as possible with ``--concurrency`` in flight.
  A webhook counts as accepted only when answered 2xx; the gateway answers after
  its commit, and the inbox row count is checked against the accepted count at the
  end. The same load is sent, in the same run, to a bare FastAPI endpoint that only
  reads the body and returns 200 (bench/bare_app.py, served by uvicorn the same way).
* Latency: open loop at ``--rate`` events/s for ``--seconds``; each event's latency
  runs from its scheduled send time to the moment its inbox row is seen posted (the
  status changes in the same transaction as the journal entry) by a reader polling
  the database every ``--poll`` seconds. The workers' own ``processed_at`` stamp
  (taken just before their commit) is reported alongside.

Every phase starts on a fresh database. A SQLite database is a new file (a given
``sqlite:///`` file is deleted first); a PostgreSQL database has its ``public``
schema DROPPED AND RECREATED: point ``--pg`` at a database used for nothing else.

    python bench/sync_bench.py [--pg postgresql://postgres@127.0.0.1/syncbench]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from ledgerbridge.connectors.webhook.connector import EVENT_ID_HEADER, SIGNATURE_HEADER, sign
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.store.tables import inbox
from ledgerbridge.sync.connections import add_connection

TARGET_ACCEPTED_PER_S = 1000
TARGET_P99_S = 1.0
TARGET_RATE = 300

SECRET = "whsec_bench_0123456789abcdef"
CONNECTION = "bench"
PATH = f"/webhooks/{CONNECTION}"
BENCH_DIR = Path(__file__).resolve().parent
LEDGERBRIDGE = Path(sys.executable).with_name("ledgerbridge")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DONE = ("posted", "ignored", "dead")

console = Console()


# -- the workload -----------------------------------------------------------------------


def invoice(number: str, i: int) -> dict:
    """A canonical invoice with one taxed line, as a sending tool posts it."""
    cents = 10_000 + i * 7919 % 90_000
    return {
        "type": "invoice",
        "source": {"connection": "sender", "object_type": "invoice", "external_id": number},
        "number": number,
        "customer": {"external_id": f"cust-{i % 97}", "name": f"Customer {i % 97}"},
        "issue_date": "2026-02-01",
        "due_date": "2026-03-03",
        "currency": "USD",
        "status": "open",
        "lines": [{"description": "Consulting", "amount": f"{cents // 100}.{cents % 100:02d}",
                   "tax_lines": [{"jurisdiction": "US-TX",
                                  "amount": f"{cents * 825 // 1_000_000}.00"}]}],
    }


def payloads(tag: str, n: int) -> list[tuple[bytes, dict[str, str]]]:
    """N distinct signed requests (body, headers), built before any timing starts."""
    built = []
    for i in range(n):
        number = f"{tag}-{i}"
        body = json.dumps(invoice(number, i)).encode()
        built.append((body, {"content-type": "application/json",
                             SIGNATURE_HEADER: sign(body, SECRET),
                             EVENT_ID_HEADER: f"evt-{number}"}))
    return built


# -- databases and processes ------------------------------------------------------------


def fresh_database(url: str) -> None:
    """Empty the database, migrate it, create the ledger and the webhook connection."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    Ledger.create(engine, entity="default", name="Bench Co", currency="USD",
                  chart=standard_chart())
    add_connection(engine, CONNECTION, "webhook", settings={"secret": SECRET})
    engine.dispose()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Service:
    """A child process with its log file; always stopped by ``stop``."""

    name: str
    command: list[str]
    log: Path
    proc: subprocess.Popen | None = None
    cpu: float = 0.0

    def start(self) -> Service:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        return self

    def check(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")

    def cpu_now(self) -> float:
        return cpu_seconds(self.proc.pid) if self.proc is not None else float("nan")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.cpu = self.cpu_now()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)


def wait_ready(service: Service, base: str, timeout: float = 30.0) -> None:
    """Wait until ``GET /health`` answers 200; stop the service if it never does."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            service.check()
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{service.name} did not become ready within {timeout:.0f} s")
    except BaseException:
        service.stop()
        raise


def gateway(url: str, logs: Path) -> tuple[Service, str]:
    """``ledgerbridge serve --no-worker`` on a free port, ready."""
    port = free_port()
    service = Service("gateway", [str(LEDGERBRIDGE), "serve", "--db", url, "--port", str(port),
                                  "--no-worker"], logs / f"gateway-{port}.log").start()
    base = f"http://127.0.0.1:{port}"
    wait_ready(service, base)
    return service, base


def bare(logs: Path) -> tuple[Service, str]:
    """The bare FastAPI endpoint under uvicorn (one process, as the gateway), ready."""
    port = free_port()
    service = Service("bare", [sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir",
                               str(BENCH_DIR), "--host", "127.0.0.1", "--port", str(port),
                               "--log-level", "warning", "--no-access-log"],
                      logs / f"bare-{port}.log").start()
    base = f"http://127.0.0.1:{port}"
    wait_ready(service, base)
    return service, base


def workers(url: str, count: int, idle_sleep: float | None, logs: Path) -> list[Service]:
    """``ledgerbridge worker`` processes on ``url``."""
    extra = [] if idle_sleep is None else ["--idle-sleep", str(idle_sleep)]
    return [Service(f"worker {k}", [str(LEDGERBRIDGE), "worker", "--db", url, *extra],
                    logs / f"worker-{k}.log").start() for k in range(count)]


def stop_all(services: list[Service]) -> None:
    for service in reversed(services):
        service.stop()


# -- the load generator's HTTP clients ----------------------------------------------------


class RequestFailed(Exception):
    """A request got no HTTP answer (connection refused, reset, timeout ...)."""


class _KeepAlive:
    """One HTTP/1.1 keep-alive connection speaking just what the benchmark needs."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, head: bytes, body: bytes) -> tuple[int, bytes, bool]:
        self.writer.write(head + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                close = value.strip().lower() == "close"
            elif name == "transfer-encoding":
                raise RequestFailed("chunked answers are not supported")
        content = await self.reader.readexactly(length) if length else b""
        return status, content, close

    def close(self) -> None:
        self.writer.close()


class RawClient:
    """A minimal HTTP/1.1 client over asyncio streams with a pool of keep-alive connections.

    It costs a few tens of microseconds of CPU per request, so on a small machine the
    load generator leaves the cores to the servers it measures (httpx's AsyncClient
    spends milliseconds per request here, more than the bare endpoint itself).
    """

    def __init__(self, base: str, size: int, timeout: float = 60.0) -> None:
        url = httpx.URL(base)
        self.host, self.port, self.size, self.timeout = url.host, url.port, size, timeout
        self.idle: list[_KeepAlive] = []
        self.opened = 0
        self.slots = asyncio.Semaphore(size)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        head = (f"POST {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                + f"content-length: {len(body)}\r\n\r\n").encode("latin-1")
        async with self.slots:
            conn = self.idle.pop() if self.idle else None
            try:
                if conn is None:
                    conn = _KeepAlive(*await asyncio.wait_for(
                        asyncio.open_connection(self.host, self.port), self.timeout))
                    self.opened += 1
                status, content, close = await asyncio.wait_for(conn.post(head, body),
                                                                self.timeout)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    TimeoutError, ValueError, IndexError) as exc:
                if conn is not None:
                    conn.close()
                raise RequestFailed(type(exc).__name__) from exc
            if close:
                conn.close()
            else:
                self.idle.append(conn)
            return status, content

    async def aclose(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


class HttpxClient:
    """The same interface over ``httpx.AsyncClient`` (``--client httpx``)."""

    def __init__(self, base: str, size: int, timeout: float = 60.0) -> None:
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self.client = httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            response = await self.client.post(path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise RequestFailed(type(exc).__name__) from exc
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self.client.aclose()


CLIENTS = {"raw": RawClient, "httpx": HttpxClient}


# -- throughput ---------------------------------------------------------------------------


@dataclass
class Blast:
    """The outcome of one closed-loop run."""

    sent: int
    statuses: Counter
    seconds: float
    client_cpu: float

    @property
    def accepted(self) -> int:
        return sum(n for code, n in self.statuses.items() if isinstance(code, int)
                   and 200 <= code < 300)

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


async def _closed_loop(client: RawClient | HttpxClient, work: list, concurrency: int,
                       advance) -> Counter:  # noqa: ANN001
    statuses: Counter = Counter()
    jobs = iter(work)

    async def lane() -> None:
        for body, headers in jobs:
            try:
                status, _ = await client.post(PATH, body, headers)
                statuses[status] += 1
            except RequestFailed as exc:
                statuses[str(exc)] += 1
            advance()

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return statuses


async def _blast(kind: str, base: str, warm: list, work: list, concurrency: int,
                 advance) -> tuple:  # noqa: ANN001
    client = CLIENTS[kind](base, concurrency)
    try:
        warm_statuses = await _closed_loop(client, warm, concurrency, lambda: None)
        cpu0 = time.process_time()
        start = time.perf_counter()
        statuses = await _closed_loop(client, work, concurrency, advance)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    finally:
        await client.aclose()
    return warm_statuses, statuses, seconds, cpu


def blast(label: str, kind: str, base: str, warm: list, work: list, concurrency: int
          ) -> tuple[Blast, int]:
    """Send ``warm`` then ``work`` (timed); returns the timed run and warm-up acceptances."""
    columns = (TextColumn(f"{label:<18}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=len(work))
        warm_statuses, statuses, seconds, cpu = asyncio.run(
            _blast(kind, base, warm, work, concurrency, lambda: bar.advance(task))
        )
    warm_ok = sum(n for c, n in warm_statuses.items() if isinstance(c, int) and 200 <= c < 300)
    return Blast(len(work), statuses, seconds, cpu), warm_ok


def inbox_rows(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(inbox)).scalar_one()
    finally:
        engine.dispose()


# -- latency ------------------------------------------------------------------------------


class Watcher(threading.Thread):
    """Polls the inbox and notes when each acknowledged event is first seen done."""

    def __init__(self, url: str, interval: float) -> None:
        super().__init__(name="watcher", daemon=True)
        self.engine: Engine = make_engine(url)
        self.interval = interval
        self.acked: list[int] = []  # appended by the event loop; list.append is atomic
        self.seen: dict[int, tuple[float, str]] = {}
        self.polls = 0
        self.error: BaseException | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        query = text("SELECT id, status FROM inbox WHERE id >= :floor AND status IN "
                     "('posted', 'ignored', 'dead')")
        try:
            with self.engine.connect() as conn:
                while not self._halt.is_set():
                    pending = [i for i in self.acked[:] if i not in self.seen]
                    if pending:
                        rows = conn.execute(query, {"floor": min(pending)}).all()
                        conn.rollback()  # end the snapshot: the next poll sees new commits
                        now = time.perf_counter()
                        self.polls += 1
                        for row in rows:
                            if row.id not in self.seen:
                                self.seen[row.id] = (now, row.status)
                    self._halt.wait(self.interval)
        except BaseException as exc:  # reported by the main thread
            self.error = exc
        finally:
            self.engine.dispose()

    def done(self, ids: list[int]) -> int:
        return sum(1 for i in ids if i in self.seen)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


@dataclass
class Sent:
    """One open-loop event: when it was due, when it was acknowledged, its inbox id."""

    due: float
    acked: float | None = None
    status: int | str | None = None
    inbox_id: int | None = None


@dataclass
class OpenLoop:
    """The outcome of one open-loop run."""

    events: list[Sent]
    seconds: float
    client_cpu: float
    max_in_flight: int
    statuses: Counter = field(default_factory=Counter)


async def _open_loop(kind: str, base: str, work: list, rate: float, watcher: Watcher,
                     cap: int, advance) -> OpenLoop:  # noqa: ANN001
    client = CLIENTS[kind](base, cap)
    events = [Sent(0.0) for _ in work]
    slots = asyncio.Semaphore(cap)
    in_flight = peak = 0
    statuses: Counter = Counter()

    async def send(k: int) -> None:
        nonlocal in_flight
        body, headers = work[k]
        event = events[k]
        try:
            status, content = await client.post(PATH, body, headers)
            event.acked, event.status = time.perf_counter(), status
            if status in (200, 202):
                ids = json.loads(content)["ids"]
                if ids:
                    event.inbox_id = ids[0]
                    watcher.acked.append(ids[0])
        except RequestFailed as exc:
            event.status = str(exc)
        finally:
            statuses[event.status] += 1
            in_flight -= 1
            slots.release()
            advance()

    tasks = []
    try:
        cpu0 = time.process_time()
        start = time.perf_counter() + 0.05
        for k in range(len(work)):
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await slots.acquire()  # bounded: past ``cap`` in flight the sender waits
            in_flight += 1
            peak = max(peak, in_flight)
            events[k].due = due
            tasks.append(asyncio.create_task(send(k)))
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    finally:
        await client.aclose()
    return OpenLoop(events, seconds, cpu, peak, statuses)


def open_loop(label: str, kind: str, base: str, work: list, rate: float, watcher: Watcher,
              drain: float) -> OpenLoop:
    """Send ``work`` at ``rate``/s, then wait (at most ``drain`` s) until all are done."""
    columns = (TextColumn(f"{label:<18}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("sent", total=len(work))
        result = asyncio.run(_open_loop(kind, base, work, rate, watcher, 256,
                                        lambda: bar.advance(task)))
        ids = [e.inbox_id for e in result.events if e.inbox_id is not None]
        posted = bar.add_task("posted", total=len(ids))
        deadline = time.monotonic() + drain
        while time.monotonic() < deadline:
            if watcher.error is not None:
                raise RuntimeError(f"watcher failed: {watcher.error!r}")
            count = watcher.done(ids)
            bar.update(posted, completed=count)
            if count == len(ids):
                break
            time.sleep(0.05)
    return result


def not_posted_reasons(url: str, ids: list[int]) -> str:
    """Statuses of acknowledged events that were not posted, and the first error."""
    if not ids:
        return ""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(inbox.c.status, inbox.c.last_error)
                                .where(inbox.c.id.in_(ids))).all()
    finally:
        engine.dispose()
    counts = Counter(r.status for r in rows)
    error = next((r.last_error for r in rows if r.last_error), None)
    text_ = ", ".join(f"{k}: {v}" for k, v in counts.items())
    return f"{text_}; {error[:200]}" if error else text_


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def processed_times(url: str, ids: list[int]) -> dict[int, dt.datetime]:
    """The workers' ``processed_at`` stamps of these inbox rows."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(inbox.c.id, inbox.c.processed_at)
                                .where(inbox.c.id >= min(ids), inbox.c.id <= max(ids)))
            found = {}
            for row in rows:
                if row.processed_at is not None:
                    stamp = row.processed_at
                    if stamp.tzinfo is None:  # SQLite keeps the UTC wall time without zone
                        stamp = stamp.replace(tzinfo=dt.UTC)
                    found[row.id] = stamp
            return found
    finally:
        engine.dispose()


# -- one database -------------------------------------------------------------------------


@dataclass
class Result:
    """Everything measured on one database."""

    name: str
    workers: int
    bare: Blast | None = None
    ours: Blast | None = None
    inbox_rows: int | None = None
    accepted_total: int | None = None
    latency: list[float] = field(default_factory=list)
    stamped: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    sent: int = 0
    not_posted: int = 0
    not_posted_why: str = ""
    loop: OpenLoop | None = None
    cpu: dict[str, float] = field(default_factory=dict)


def phase_url(url: str, scratch: Path, phase: str) -> str:
    """The database URL of one phase: a new SQLite file per phase unless one was given."""
    return f"sqlite:///{scratch / f'{phase}.db'}" if url == "sqlite" else url


def run_throughput(result: Result, url: str, args: argparse.Namespace, logs: Path,
                   tag: str) -> None:
    warm = payloads(f"{tag}-warm", args.warmup)
    work = payloads(tag, args.n)
    service, base = bare(logs)
    try:
        result.bare, _ = blast("bare endpoint", args.client, base, warm, work, args.concurrency)
    finally:
        service.stop()
    result.cpu["bare server"] = service.cpu
    console.print(f"  bare FastAPI: {result.bare.per_second:,.0f} accepted/s "
                  f"({result.bare.seconds:.2f} s)")
    fresh_database(url)
    service, base = gateway(url, logs)
    try:
        result.ours, warm_ok = blast("gateway", args.client, base, warm, work, args.concurrency)
    finally:
        service.stop()
    result.cpu["gateway (throughput)"] = service.cpu
    result.accepted_total = warm_ok + result.ours.accepted
    result.inbox_rows = inbox_rows(url)
    console.print(f"  gateway: {result.ours.per_second:,.0f} accepted/s "
                  f"({result.ours.seconds:.2f} s); inbox rows {result.inbox_rows:,} for "
                  f"{result.accepted_total:,} acknowledged")


def run_latency(result: Result, url: str, args: argparse.Namespace, logs: Path,
                tag: str) -> None:
    fresh_database(url)
    warm = payloads(f"{tag}-lwarm", max(1, int(args.rate)))
    work = payloads(f"{tag}-lat", int(args.rate * args.seconds))
    services: list[Service] = []
    watcher = Watcher(url, args.poll)
    try:
        service, base = gateway(url, logs)
        services.append(service)
        services.extend(workers(url, result.workers, args.idle_sleep, logs))
        watcher.start()
        open_loop("warm-up (1 s)", args.client, base, warm, args.rate, watcher, args.drain)
        for s in services:
            s.check()
        cpu0 = {s.name: s.cpu_now() for s in services}
        loop = open_loop(f"{args.rate:g}/s x {args.seconds:g} s", args.client, base, work,
                         args.rate, watcher, args.drain)
        cpu1 = {s.name: s.cpu_now() for s in services}
        for s in services:
            s.check()
    finally:
        try:
            watcher.stop()
        finally:
            stop_all(services)
    result.cpu["gateway (latency)"] = cpu1["gateway"] - cpu0["gateway"]
    result.cpu["workers (latency)"] = sum(cpu1[n] - cpu0[n] for n in cpu1 if n != "gateway")
    result.cpu["client (latency)"] = loop.client_cpu
    result.loop = loop
    result.sent = len(work)
    ids = [e.inbox_id for e in loop.events if e.inbox_id is not None]
    stamps = processed_times(url, ids) if ids else {}
    missing = [e.inbox_id for e in loop.events if e.inbox_id is not None
               and watcher.seen.get(e.inbox_id, (0, ""))[1] != "posted"]
    result.not_posted_why = not_posted_reasons(url, missing)
    offset = time.time() - time.perf_counter()  # perf_counter -> wall clock, same machine
    for event in loop.events:
        if event.acked is not None:
            result.acks.append(event.acked - event.due)
        seen = watcher.seen.get(event.inbox_id) if event.inbox_id is not None else None
        if seen is None or seen[1] != "posted":
            result.not_posted += 1
            continue
        result.latency.append(seen[0] - event.due)
        stamp = stamps.get(event.inbox_id)
        if stamp is not None:
            result.stamped.append(stamp.timestamp() - offset - event.due)


def verdict(ok: bool) -> str:
    return "[green]pass[/]" if ok else "[red]FAIL[/]"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def summary(result: Result, args: argparse.Namespace) -> tuple[Table, bool]:
    table = Table(title=f"sync bench: {result.name}, 1 gateway process, "
                        f"{result.workers} worker process(es)")
    for column in ("measure", "value", "target", ""):
        table.add_column(column)
    ok = True
    if result.ours is not None and result.bare is not None:
        ours, bare_run = result.ours, result.bare
        ratio = ours.per_second / bare_run.per_second if bare_run.per_second else 0.0
        passed = ours.per_second >= TARGET_ACCEPTED_PER_S
        durable = result.inbox_rows == result.accepted_total
        errors = ours.sent - ours.accepted
        ok = ok and passed and durable and errors == 0
        table.add_row(f"accepted webhooks/s (ours, {ours.sent:,} x{args.concurrency})",
                      f"{ours.per_second:,.0f}", f">= {TARGET_ACCEPTED_PER_S:,}",
                      verdict(passed))
        table.add_row("bare FastAPI 200/s (same load)", f"{bare_run.per_second:,.0f}", "", "")
        table.add_row("ratio ours/bare", f"{ratio:.2f}", "", "")
        table.add_row("non-2xx answers (ours)",
                      ", ".join(f"{k}: {v}" for k, v in ours.statuses.items()
                                if not (isinstance(k, int) and 200 <= k < 300)) or "0",
                      "0", verdict(errors == 0))
        table.add_row("inbox rows = acknowledged", f"{result.inbox_rows:,} / "
                      f"{result.accepted_total:,}", "equal", verdict(durable))
        table.add_row("client CPU s (ours / bare)",
                      f"{ours.client_cpu:.1f} / {bare_run.client_cpu:.1f}", "", "")
    if result.loop is not None:
        loop = result.loop
        achieved = result.sent / loop.seconds if loop.seconds else 0.0
        table.add_row("events sent (open loop)", f"{result.sent:,} at {achieved:,.0f}/s",
                      f"{args.rate:g}/s", "")
        table.add_row("events not posted", f"{result.not_posted:,}", "0",
                      verdict(result.not_posted == 0))
        ok = ok and result.not_posted == 0
        if result.not_posted_why:
            console.print(f"  not posted: {result.not_posted_why}")
        if result.latency:
            p99 = percentile(result.latency, 99)
            passed = p99 < TARGET_P99_S
            ok = ok and passed
            for q in (50, 95):
                table.add_row(f"webhook->ledger p{q}", ms(percentile(result.latency, q)), "",
                              "")
            table.add_row("webhook->ledger p99", ms(p99), f"< {ms(TARGET_P99_S)}",
                          verdict(passed))
            table.add_row("webhook->ledger max", ms(max(result.latency)), "", "")
        if result.stamped:
            table.add_row("to worker's processed_at p50/p99",
                          f"{ms(percentile(result.stamped, 50))} / "
                          f"{ms(percentile(result.stamped, 99))}", "", "")
        if result.acks:
            table.add_row("webhook ack p50/p99", f"{ms(percentile(result.acks, 50))} / "
                          f"{ms(percentile(result.acks, 99))}", "", "")
        table.add_row("peak requests in flight", f"{loop.max_in_flight}", "", "")
    for name, seconds in result.cpu.items():
        table.add_row(f"CPU s: {name}", f"{seconds:.1f}", "", "")
    return table, ok


def key_figures(result: Result) -> str:
    parts = [result.name]
    if result.ours is not None and result.bare is not None:
        ratio = result.ours.per_second / result.bare.per_second if result.bare.per_second else 0
        parts.append(f"{result.ours.per_second:,.0f} accepted/s (bare {result.bare.per_second:,.0f}"
                     f"/s, ratio {ratio:.2f})")
    if result.latency:
        parts.append("p50/p95/p99 " + "/".join(ms(percentile(result.latency, q))
                                                for q in (50, 95, 99)))
    return " ".join(parts)


# -- main ---------------------------------------------------------------------------------


def main() -> None:
    """Run the benchmark on each database and print the summaries."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="WARNING: each phase empties its database: a SQLite file given with --db is "
               "deleted, and a PostgreSQL database given with --pg (or --db) has its public "
               "schema dropped and recreated. Never point it at a database you use.",
    )
    parser.add_argument("--db", default="sqlite",
                        help="first database: 'sqlite' (default: a new file per phase in a "
                             "temp dir), a sqlite:/// URL (deleted first!), or 'none'")
    parser.add_argument("--pg", help="also run on this PostgreSQL URL (its public schema is "
                                     "DROPPED and recreated), with --pg-workers workers")
    parser.add_argument("--pg-workers", type=int, default=2, help="workers on PostgreSQL")
    parser.add_argument("--n", type=int, default=10_000, help="requests in the throughput test")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument("--warmup", type=int, default=500,
                        help="untimed requests sent to each server first")
    parser.add_argument("--rate", type=float, default=TARGET_RATE,
                        help="events/s in the latency test (open loop)")
    parser.add_argument("--seconds", type=float, default=10.0, help="latency test duration")
    parser.add_argument("--idle-sleep", type=float, default=None,
                        help="the workers' --idle-sleep (default: the worker's own)")
    parser.add_argument("--poll", type=float, default=0.01,
                        help="seconds between the latency reader's inbox polls")
    parser.add_argument("--drain", type=float, default=60.0,
                        help="at most this long to wait for the workers to catch up")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="raw",
                        help="load generator's HTTP client (raw: minimal keep-alive client "
                             "over asyncio streams, far cheaper in CPU than httpx)")
    parser.add_argument("--phase", choices=("both", "throughput", "latency"), default="both")
    args = parser.parse_args()

    targets = []
    if args.db != "none":
        is_pg = args.db.startswith(("postgres", "postgresql"))
        targets.append((args.db, args.pg_workers if is_pg else 1))
    if args.pg:
        targets.append((args.pg, args.pg_workers))
    scratch = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    logs = scratch / "logs"
    logs.mkdir()
    results, all_ok = [], True
    cpus = os.cpu_count()
    try:
        for url, count in targets:
            name = ("sqlite (temp file)" if url == "sqlite"
                    else make_engine(url).url.render_as_string(hide_password=True))
            console.rule(f"{name}: {count} worker(s), {cpus} CPUs")
            result = Result(name, count)
            tag = f"b{int(time.time())}"
            if args.phase in ("both", "throughput"):
                run_throughput(result, phase_url(url, scratch, "throughput"), args, logs, tag)
            if args.phase in ("both", "latency"):
                run_latency(result, phase_url(url, scratch, "latency"), args, logs, tag)
            table, ok = summary(result, args)
            console.print(table)
            results.append(result)
            all_ok = all_ok and ok
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    console.print(f"this process (load generator) used {usage.ru_utime + usage.ru_stime:.0f} "
                  "s of CPU in all")
    console.print(("[green]PASS[/]" if all_ok else "[red]FAIL[/]") + " sync bench: "
                  + "; ".join(key_figures(r) for r in results))


if __name__ == "__main__":
    main()
