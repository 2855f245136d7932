"""Events of new objects are applied in bulk: same books as one by one, failures stay alone."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.store.tables import accounts, documents, inbox, journal_entries, journal_lines
from ledgerbridge.sync.bulk_apply import NewObjects, OneByOne
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.inbox import Channel, store_events
from ledgerbridge.sync.worker import Worker
from tests.sync.conftest import SECRET
from tests.sync.samples import invoice


def payment(number: int, amount: str, *, invoice_id: str | None = None,
            currency: str = "USD") -> dict:
    """A payment, applied in full to ``invoice_id`` or to nothing."""
    applications = [] if invoice_id is None else [
        {"document": {"external_id": invoice_id}, "amount": amount}]
    return {
        "type": "payment",
        "source": {"connection": "sender", "object_type": "payment",
                   "external_id": f"PAY-{number}", "version": "1"},
        "date": "2026-02-20", "currency": currency, "amount": amount,
        "method": "bank_transfer", "contact": {"external_id": "acme-corp", "name": "Acme Corp"},
        "applications": applications,
    }


def _events(sent: list[dict]) -> list[RawEvent]:
    return [RawEvent(json.dumps(doc).encode(), f"evt-{n}", doc["type"],
                     doc["source"]["external_id"], doc["source"].get("version"))
            for n, doc in enumerate(sent)]


def _books(engine, ledger: Ledger, connection_id: int, name: str) -> dict:
    """Documents, entries with their lines, and event outcomes, without row ids.

    The connection's name (part of documents and keys) is written as ``hook``.
    """
    with engine.connect() as conn:
        docs = sorted(
            (r.type, r.external_id, r.version, r.status, r.data.replace(name, "hook"),
             r.entry_id is not None)
            for r in conn.execute(select(documents).where(
                documents.c.connection_id == connection_id)))
        lines = conn.execute(
            select(journal_entries.c.idempotency_key, journal_entries.c.date,
                   journal_entries.c.memo, journal_entries.c.reverses_id.is_not(None),
                   journal_lines.c.line_no, accounts.c.code, journal_lines.c.amount,
                   journal_lines.c.currency, journal_lines.c.original_amount,
                   journal_lines.c.memo, journal_lines.c.party)
            .join(journal_lines, journal_lines.c.entry_id == journal_entries.c.id)
            .join(accounts, accounts.c.id == journal_lines.c.account_id)
            .where(journal_entries.c.entity_id == ledger.entity.id)).all()
        outcomes = sorted(conn.execute(
            select(inbox.c.event_id, inbox.c.status).where(
                inbox.c.connection_id == connection_id)).all())
    lines = [((key or "").replace(name, "hook"), *rest) for key, *rest in lines]
    return {"documents": docs, "lines": sorted(lines, key=repr), "outcomes": outcomes}


def _drain(engine, worker: Worker) -> None:
    """Work until nothing is due, making waiting events due at once."""
    for _ in range(10):
        worker.run_until_idle()
        with engine.begin() as conn:
            due = conn.execute(update(inbox).where(inbox.c.status.in_(("waiting", "failed")))
                               .values(next_attempt_at=None)).rowcount
        if not due:
            return
    worker.run_until_idle()


def _sent(events: list[tuple[str, int, bool]], payments: list[tuple[int, str | None]]
          ) -> list[dict]:
    sent = [invoice(f"INV-{n}", f"{100 * v}.00", f"{8 * v}.00", version=str(v),
                    status="void" if void else "open") for n, v, void in events]
    sent += [payment(k, f"{10 + k}.00", invoice_id=None if target is None else f"INV-{target}")
             for k, target in payments]
    return sent


def _one_by_one(*_args: object, **_kwargs: object) -> bool:
    raise OneByOne


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(1, 3),
                              st.booleans()),
                    min_size=1, max_size=10, unique_by=lambda t: (t[0], t[1])),
    payments=st.lists(st.sampled_from([None, "A", "B", "Z"]), max_size=6),
    seed=st.integers(0, 2**16),
)
def test_bulk_batches_give_the_books_of_one_by_one(engine, events, payments, seed):
    """New objects, later versions, voids and payments (some waiting) in one big batch."""
    sent = _sent(events, list(enumerate(payments)))
    rng = random.Random(seed)
    order = sent + rng.sample(sent, k=len(sent) // 3)  # some delivered twice
    rng.shuffle(order)
    books = []
    for bulk in (True, False):
        tag = f"{'bulk' if bulk else 'single'}-{random.Random().getrandbits(48):x}"
        ledger = Ledger.create(engine, entity=f"e{tag}", currency="USD", chart=standard_chart())
        hook = add_connection(engine, f"hook-{tag}", "webhook", entity=f"e{tag}",
                              settings={"secret": SECRET})
        with engine.begin() as conn:
            store_events(conn, hook.id, Channel.WEBHOOK, _events(order))
        with pytest.MonkeyPatch.context() as patch:
            if not bulk:
                patch.setattr(NewObjects, "plan", _one_by_one)
            _drain(engine, Worker(engine, batch=100))
        books.append(_books(engine, ledger, hook.id, hook.name))
    assert books[0] == books[1]


def test_one_bad_event_in_a_bulk_batch_is_dead_lettered_alone(ledger, hook):
    """A payment that cannot post fails alone; its batch-mates post in the same batch."""
    sent = [payment(k, f"{10 + k}.00") for k in range(6)]
    sent[3] = payment(3, "13.00", currency="EUR")  # no exchange rate to USD: refused
    with ledger.engine.begin() as conn:
        store_events(conn, hook.id, Channel.WEBHOOK, _events(sent))
    worker = Worker(ledger.engine, batch=50)
    assert worker.run_once() == 6
    assert (worker.stats.posted, worker.stats.dead) == (5, 1)
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(inbox.c.event_id, inbox.c.status, inbox.c.last_error)
                            .order_by(inbox.c.id)).all()
        entries = conn.execute(select(func.count()).select_from(journal_entries)).scalar()
        stored = conn.execute(select(documents.c.external_id).order_by(documents.c.id)).all()
    assert [r.status for r in rows] == ["posted"] * 3 + ["dead"] + ["posted"] * 2
    assert "PAY-3" in rows[3].last_error and "exchange_rate" in rows[3].last_error
    assert entries == 5
    assert [s for (s,) in stored] == ["PAY-0", "PAY-1", "PAY-2", "PAY-4", "PAY-5"]


def test_a_redelivered_object_in_the_same_batch_goes_one_by_one(ledger, hook):
    """Two versions of one new object in a batch: the first in bulk, the second replaces it."""
    sent = [invoice("INV-1", version="1"), payment(1, "5.00"),
            invoice("INV-1", "200.00", "16.50", version="2")]
    with ledger.engine.begin() as conn:
        store_events(conn, hook.id, Channel.WEBHOOK, _events(sent))
    worker = Worker(ledger.engine, batch=50)
    assert worker.run_once() == 3
    with ledger.engine.connect() as conn:
        statuses = conn.execute(select(documents.c.external_id, documents.c.status)
                                .order_by(documents.c.id)).all()
        reversals = conn.execute(select(func.count()).where(
            journal_entries.c.reverses_id.is_not(None))).scalar()
    assert [tuple(s) for s in statuses] == [("INV-1", "superseded"), ("PAY-1", "current"),
                                            ("INV-1", "current")]
    assert reversals == 1
