"""Crash test: several worker processes on PostgreSQL, one killed with SIGKILL.

10,000 distinct events (invoice versions, edits, voids and payments that may
arrive before their invoice) are stored with duplicates in shuffled order. Four
``ledgerbridge worker`` processes share the inbox; once part of it is posted one
of them is killed with SIGKILL and a replacement is started. In the end every
event is posted exactly once and none is lost: each account's balance, the
documents and the journal entries are exactly what the events imply.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text, update

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.store.tables import accounts, documents, inbox, journal_entries, journal_lines
from ledgerbridge.store.tables import metadata as tables
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.inbox import Channel, store_events
from tests.conftest import PG_URL
from tests.sync.conftest import SECRET
from tests.sync.samples import invoice

WORKERS = 4
DISTINCT_EVENTS = 10_000
INVOICES = 7_000
SECOND_VERSIONS = 1_500  # invoices edited once ...
THIRD_VERSIONS = 500  # ... and of those, edited again
SAME_CONTENT = 150  # second versions that only relabel the first one
VOIDS = 200  # invoices whose last version voids them
PAYMENTS = DISTINCT_EVENTS - INVOICES - SECOND_VERSIONS - THIRD_VERSIONS - VOIDS
EARLY_PAYMENTS = 200  # payments stored before every version of their invoice
REDELIVERED = 1_000  # the same event id again
NEW_EVENT_ID = 500  # the same object version under a new event id
IN_A_LIST = 200  # the same invoice version again, inside a list (not deduplicated)
KILL_AFTER = 0.25  # share of the inbox done when one worker is killed
STORE_CHUNK = 1_000
STALL = 60.0  # seconds without progress that count as stuck workers


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The PostgreSQL test database, migrated and emptied."""
    engine: Engine = request.getfixturevalue("_pg_engine")
    names = ", ".join(t.name for t in tables.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _cents(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


@dataclass
class Scenario:
    """The events to deliver and the books they must produce."""

    events: list[RawEvent] = field(default_factory=list)
    distinct: int = 0
    objects: int = 0
    voided: int = 0
    latest: dict[str, dict[str, Any]] = field(default_factory=dict)
    balances: Counter[str] = field(default_factory=Counter)


def _scenario(seed: int) -> Scenario:
    """Build the events in shuffled order, with the books they imply."""
    rng = random.Random(seed)
    scenario = Scenario()
    # versions[n] is the list of (version, document) of invoice n, oldest first
    versions: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for i in range(INVOICES):
        number = f"INV-{i:05d}"
        net = rng.randint(100, 500_000)
        doc = invoice(number, _cents(net), _cents(net * 825 // 10_000), version="1",
                      customer=f"Customer {i % 97}")
        versions[number] = [("1", doc)]
    numbers = list(versions)
    edited = rng.sample(numbers, SECOND_VERSIONS)
    for k, number in enumerate(edited):
        first = versions[number][0][1]
        if k < SAME_CONTENT:  # new label, same facts: changes nothing
            line = first["lines"][0]
            amount, tax = line["amount"], line["tax_lines"][0]["amount"]
        else:
            net = rng.randint(100, 500_000)
            amount, tax = _cents(net), _cents(net * 825 // 10_000)
        customer = first["customer"]["name"]
        versions[number].append(
            ("2", invoice(number, amount, tax, version="2", customer=customer)))
    for number in edited[-THIRD_VERSIONS:]:
        net = rng.randint(100, 500_000)
        customer = versions[number][0][1]["customer"]["name"]
        versions[number].append(("3", invoice(number, _cents(net), _cents(net * 825 // 10_000),
                                              version="3", customer=customer)))
    voided = set(rng.sample(numbers, VOIDS))
    for number in voided:
        last = versions[number][-1][1]
        line = last["lines"][0]
        version = str(len(versions[number]) + 1)
        versions[number].append((version, invoice(
            number, line["amount"], line["tax_lines"][0]["amount"], version=version,
            status="void", customer=last["customer"]["name"])))

    def raw(doc: dict[str, Any], event_id: str, version: str) -> RawEvent:
        return RawEvent(json.dumps(doc).encode(), event_id, doc["type"],
                        doc["source"]["external_id"], version)

    # Each event gets a place in the arrival order (a random key, sorted at the end).
    size = float(DISTINCT_EVENTS)
    placed: list[tuple[float, RawEvent]] = []
    for number, history in versions.items():
        for version, doc in history:
            placed.append((rng.uniform(0, size), raw(doc, f"evt-{number}-v{version}", version)))
        version, last = history[-1]
        scenario.latest[f"invoice:{number}"] = {"version": version, "data": last}
        if last["status"] != "void":
            line = last["lines"][0]
            net = int(line["amount"].replace(".", ""))
            tax = int(line["tax_lines"][0]["amount"].replace(".", ""))
            scenario.balances["1100"] += net + tax
            scenario.balances["4020"] -= net
            scenario.balances["2200"] -= tax

    payable = [n for n in numbers if n not in voided]
    early: dict[str, float] = {}
    for p, number in enumerate(rng.sample(payable, PAYMENTS)):
        customer = versions[number][0][1]["customer"]
        applied = rng.randint(100, 200_000)
        extra = rng.choice((0, 0, 0, rng.randint(1, 50_000)))
        payment = {
            "type": "payment",
            "source": {"connection": "sender", "object_type": "payment",
                       "external_id": f"PAY-{p:05d}", "version": "1"},
            "date": "2026-02-20", "currency": "USD", "amount": _cents(applied + extra),
            "method": "bank_transfer", "contact": customer,
            "applications": [{"document": {"external_id": number},
                              "amount": _cents(applied)}],
        }
        scenario.latest[f"payment:PAY-{p:05d}"] = {"version": "1", "data": payment}
        scenario.balances["1010"] += applied + extra
        scenario.balances["1100"] -= applied
        scenario.balances["2400"] -= extra
        at = rng.uniform(0, size)
        if p < EARLY_PAYMENTS:
            at = rng.uniform(0, size * 0.6)
            early[number] = at
        placed.append((at, raw(payment, f"evt-PAY-{p:05d}", "1")))
    # Every version of an early payment's invoice arrives some time after the payment:
    # the payment waits, then is woken up.
    placed = [(rng.uniform(early[e.object_id] + 100, size) if e.object_id in early else at, e)
              for at, e in placed]
    placed.sort(key=lambda pair: pair[0])
    ordered = [event for _, event in placed]
    scenario.distinct = len(ordered)

    # Duplicates, each arriving some time after the original.
    placed = [(float(n), event) for n, event in enumerate(ordered)]
    again = [(n, event) for n, event in enumerate(ordered)]
    for n, event in rng.sample(again, REDELIVERED):
        placed.append((rng.uniform(n, len(ordered)), event))
    for k, (n, event) in enumerate(rng.sample(again, NEW_EVENT_ID)):
        placed.append((rng.uniform(n, len(ordered)), RawEvent(
            event.body, f"again-{k}", event.object_type, event.object_id,
            event.object_version)))
    invoices = [(n, event) for n, event in again if event.object_type == "invoice"]
    for k, (n, event) in enumerate(rng.sample(invoices, IN_A_LIST)):
        placed.append((rng.uniform(n, len(ordered)),
                       RawEvent(b"[" + event.body + b"]", f"list-{k}")))
    placed.sort(key=lambda pair: pair[0])
    ordered = [event for _, event in placed]
    scenario.events = ordered
    scenario.objects = len(scenario.latest)
    scenario.voided = len(voided)
    return scenario


def _status_counts(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(dict(conn.execute(
            select(inbox.c.status, func.count()).group_by(inbox.c.status)).all()))


class _Progress:
    """Fails when the workers finish no event for ``STALL`` seconds."""

    def __init__(self) -> None:
        self.done = -1
        self.since = time.monotonic()

    def check(self, counts: Counter[str]) -> None:
        done = counts["posted"] + counts["ignored"] + counts["dead"]
        if done != self.done:
            self.done, self.since = done, time.monotonic()
        assert time.monotonic() - self.since < STALL, f"workers stuck: {dict(counts)}"


def _start(command: list[str], logs: Path, n: int) -> tuple[subprocess.Popen, Path]:
    err = logs / f"worker-{n}.err"
    with (logs / f"worker-{n}.out").open("wb") as out, err.open("wb") as errors:
        process = subprocess.Popen(command, stdout=out, stderr=errors, start_new_session=True)
    return process, err


@pytest.mark.slow
def test_four_workers_one_killed_post_every_event_exactly_once(pg: Engine, tmp_path: Path):
    """Kill -9 one of four workers mid-run: every event still posts exactly once."""
    ledger = Ledger.create(pg, name="Crash Co", currency="USD", chart=standard_chart())
    hook = add_connection(pg, "hook", "webhook", settings={"secret": SECRET})
    scenario = _scenario(seed=20260201)
    assert scenario.distinct == DISTINCT_EVENTS
    total = DISTINCT_EVENTS + IN_A_LIST
    command = [str(Path(sys.executable).with_name("ledgerbridge")), "worker",
               "--db", PG_URL, "--batch", "20"]
    started = time.monotonic()
    running = [_start(command, tmp_path, n) for n in range(WORKERS)]
    logs = [err for _, err in running]
    progress = _Progress()
    try:
        stored = 0  # events keep arriving, in chunks, while the workers start and run
        for start in range(0, len(scenario.events), STORE_CHUNK):
            with pg.begin() as conn:
                stored += sum(not s.duplicate for s in store_events(
                    conn, hook.id, Channel.WEBHOOK, scenario.events[start:start + STORE_CHUNK]))
        assert stored == total
        while True:  # kill one worker once part of the inbox is done
            counts = _status_counts(pg)
            if counts["posted"] + counts["ignored"] >= KILL_AFTER * total:
                break
            progress.check(counts)
            for process, err in running:
                assert process.poll() is None, err.read_text()
            time.sleep(0.1)
        killed_at = (time.monotonic() - started, counts["posted"] + counts["ignored"])
        victim, _ = running.pop(0)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        assert victim.returncode == -signal.SIGKILL
        remaining = total - counts["posted"] - counts["ignored"]
        assert remaining > total // 2, "the kill came too late to test anything"
        running.append(_start(command, tmp_path, WORKERS))
        logs.append(running[-1][1])

        while True:  # wait until nothing is due
            counts = _status_counts(pg)
            if counts["posted"] + counts["ignored"] + counts["dead"] == total:
                break
            progress.check(counts)
            for process, err in running:
                assert process.poll() is None, err.read_text()
            if not counts["received"]:  # only retries left: make them due now
                with pg.begin() as conn:
                    conn.execute(update(inbox).where(inbox.c.status.in_(("waiting", "failed")))
                                 .values(next_attempt_at=None))
            time.sleep(0.2)
    finally:
        for process, _ in running:
            process.send_signal(signal.SIGTERM)
        for process, _ in running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    elapsed = time.monotonic() - started
    assert all(process.returncode == 0 for process, _ in running)

    # every stored event is posted or ignored: none lost, none dead-lettered
    counts = _status_counts(pg)
    assert set(counts) <= {"posted", "ignored"}, counts
    assert sum(counts.values()) == total
    assert counts["posted"] >= scenario.objects
    with pg.connect() as conn:
        retried = conn.execute(select(func.count()).where(inbox.c.attempts > 0)).scalar()
    conflicts = sum(err.read_text().count("lock conflict") for err in logs)
    print(f"\n{total} events by {WORKERS} workers in {elapsed:.1f}s, one killed at "
          f"{killed_at[0]:.1f}s with {killed_at[1]} done: {dict(counts)}; "
          f"{retried} waited or retried, {conflicts} lock conflicts")

    with pg.connect() as conn:
        # one document row per object version
        rows = conn.execute(select(documents.c.type, documents.c.external_id,
                                   documents.c.version, documents.c.status,
                                   documents.c.entry_id, documents.c.data)).all()
        assert len({(r.type, r.external_id, r.version) for r in rows}) == len(rows)
        # exactly one current (or voided) version of each object: the latest one
        live = {f"{r.type}:{r.external_id}": r for r in rows
                if r.status in ("current", "voided")}
        assert len(live) == sum(r.status in ("current", "voided") for r in rows)
        assert set(live) == set(scenario.latest)
        assert sum(r.status == "voided" for r in rows) == scenario.voided
        for key, expected in scenario.latest.items():
            assert live[key].version == expected["version"], key
            data = json.loads(live[key].data)
            if data["type"] == "invoice":
                assert data["lines"][0]["amount"] == expected["data"]["lines"][0]["amount"]

        entries = conn.execute(select(journal_entries.c.id, journal_entries.c.reverses_id,
                                      journal_entries.c.idempotency_key)).all()
        keys = [e.idempotency_key for e in entries if e.idempotency_key is not None]
        assert len(keys) == len(set(keys)), "an idempotency key was posted twice"
        reversed_ids = {e.reverses_id for e in entries if e.reverses_id is not None}
        standing = {e.id for e in entries if e.reverses_id is None} - reversed_ids
        # every entry still standing belongs to exactly one live document, and back
        live_entries = [r.entry_id for r in live.values() if r.entry_id is not None]
        assert len(live_entries) == len(set(live_entries))
        assert set(live_entries) == standing
        assert len(standing) == scenario.objects - scenario.voided
        assert all(r.entry_id is None for r in live.values() if r.status == "voided")

        balances = dict(conn.execute(
            select(accounts.c.code, func.sum(journal_lines.c.amount))
            .join(accounts, accounts.c.id == journal_lines.c.account_id)
            .where(journal_lines.c.entity_id == ledger.entity.id)
            .group_by(accounts.c.code)).all())
    assert {code: int(v) for code, v in balances.items() if int(v)} == {
        code: v for code, v in scenario.balances.items() if v}
    assert sum(balances.values()) == 0
    for err in logs:
        assert "Traceback" not in err.read_text(), err.read_text()
