"""Calls to outside systems run with no database write lock held, and claim work once.

On SQLite one writer holds the whole database: a worker that normalized an event
(a vendor API call for a webhook that only names its record) or a deliverer that
sent a write-back inside its transaction would keep every webhook waiting.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, select, update

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.connectors.webhook.connector import WebhookConnector
from ledgerbridge.store.bulk import take_write_lock
from ledgerbridge.store.tables import inbox, outbox
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.inbox import Channel, store_events, store_many
from ledgerbridge.sync.outbox import deliver_due
from ledgerbridge.sync.worker import Worker
from tests.sync.conftest import SECRET
from tests.sync.samples import invoice
from tests.sync.test_worker import deliver
from tests.sync.test_writeback import MAPPING


def write_lock_free(url: str) -> bool:
    """Whether another connection can take the SQLite write lock right now."""
    other = create_engine(url, connect_args={"timeout": 0.05})
    try:
        with other.begin() as conn:
            take_write_lock(conn)
        return True
    except Exception:  # noqa: BLE001 - "database is locked"
        return False
    finally:
        other.dispose()


@pytest.fixture
def sqlite_ledger(ledger):
    """The test ledger, on SQLite only: the write lock is SQLite's."""
    if ledger.engine.dialect.name != "sqlite":
        pytest.skip("the database-wide write lock is SQLite's")
    return ledger


def test_worker_normalizes_with_no_write_lock_held(sqlite_ledger, hook, monkeypatch):
    url = sqlite_ledger.engine.url.render_as_string(hide_password=False)
    seen = []
    normalize = WebhookConnector.normalize

    def spying(self, event):  # noqa: ANN001, ANN202
        seen.append(write_lock_free(url))
        return normalize(self, event)

    monkeypatch.setattr(WebhookConnector, "normalize", spying)
    for n in range(3):
        deliver(sqlite_ledger, hook, invoice(f"INV-{n}"))
    worker = Worker(sqlite_ledger.engine)
    assert worker.run_until_idle() == 3
    assert seen == [True, True, True]
    assert worker.stats.posted == 3


@pytest.fixture
def queued(ledger):
    """A paid invoice whose write-back command waits in the outbox."""
    add_connection(ledger.engine, "crm", "webhook",
                   settings={"secret": "crm-secret", "callback_url": "http://127.0.0.1:9/x"})
    hook = add_connection(ledger.engine, "hook", "webhook", mapping=MAPPING,
                          settings={"secret": SECRET})
    deliver(ledger, hook, invoice("INV-7", status="paid"))
    Worker(ledger.engine).run_until_idle()
    return ledger


def test_write_back_is_sent_with_no_lock_and_leased_to_one_deliverer(queued, monkeypatch):
    ledger = queued
    url = ledger.engine.url.render_as_string(hide_password=False)
    sent = []

    def write(self, command, payload):  # noqa: ANN001, ANN202
        # a second deliverer meanwhile finds the command leased: nothing to send
        assert deliver_due(ledger.engine) == 0
        if ledger.engine.dialect.name == "sqlite":
            assert write_lock_free(url)
        sent.append((command, payload["idempotency_key"]))

    monkeypatch.setattr(WebhookConnector, "write", write)
    assert deliver_due(ledger.engine) == 1
    with ledger.engine.connect() as conn:
        (row,) = conn.execute(select(outbox))
    assert sent == [("mark_paid", row.idempotency_key)]
    assert (row.status, row.attempts, row.next_attempt_at) == ("sent", 1, None)


def test_a_lease_that_ran_out_is_sent_again_with_the_same_key(queued, monkeypatch):
    ledger = queued
    keys = []

    def crash(self, command, payload):  # noqa: ANN001, ANN202
        keys.append(payload["idempotency_key"])
        raise KeyboardInterrupt  # the process dies mid-send: the outcome is unknown

    monkeypatch.setattr(WebhookConnector, "write", crash)
    with pytest.raises(KeyboardInterrupt):
        deliver_due(ledger.engine)
    assert deliver_due(ledger.engine) == 0  # leased: not sent twice at once
    with ledger.engine.begin() as conn:  # the lease runs out
        conn.execute(update(outbox).values(
            next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    monkeypatch.setattr(WebhookConnector, "write", lambda self, c, p: keys.append(
        p["idempotency_key"]))
    assert deliver_due(ledger.engine) == 1
    assert len(keys) == 2 and keys[0] == keys[1]


def test_due_events_are_claimed_oldest_first_whatever_their_state(ledger, hook):
    now = dt.datetime.now(dt.UTC)
    with ledger.engine.begin() as conn:
        ids = [s.id for s in store_events(conn, hook.id, Channel.WEBHOOK, [
            RawEvent(b"{}", f"e{n}", "invoice", f"INV-{n}", "1") for n in range(6)])]
        states = [("failed", now - dt.timedelta(seconds=5)),  # a retry that came due
                  ("received", None),
                  ("waiting", now + dt.timedelta(hours=1)),  # not due yet
                  ("posted", None),
                  ("failed", now + dt.timedelta(hours=1)),  # not due yet
                  ("received", None)]
        for row_id, (status, at) in zip(ids, states, strict=True):
            conn.execute(update(inbox).where(inbox.c.id == row_id).values(
                status=status, next_attempt_at=at))
    worker = Worker(ledger.engine, batch=2)
    with ledger.engine.begin() as conn:
        first = [row.id for row in worker._claim(conn, now, [])]
    assert first == [ids[0], ids[1]]
    with ledger.engine.begin() as conn:
        everything = [row.id for row in Worker(ledger.engine)._claim(conn, now, [])]
    assert everything == [ids[0], ids[1], ids[5]]


def test_store_many_counts_only_new_events(ledger, hook):
    events = [RawEvent(b"{}", None, "charge", f"ch_{n}", "v1") for n in range(5)]
    with ledger.engine.begin() as conn:
        assert store_many(conn, hook.id, Channel.POLL, events[:3]) == 3
        assert store_many(conn, hook.id, Channel.POLL, events) == 2
        assert store_many(conn, hook.id, Channel.POLL, []) == 0
        stored = conn.execute(select(inbox.c.object_id).order_by(inbox.c.id)).scalars().all()
    assert stored == [f"ch_{n}" for n in range(5)]
