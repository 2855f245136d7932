import datetime as dt

import httpx
import pytest
from sqlalchemy import func, select

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.feed.emulator import create_emulator
from ledgerbridge.connectors.webhook import sign
from ledgerbridge.store.tables import inbox, journal_entries, stream_state
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.scheduler import poll_connection, poll_due
from ledgerbridge.sync.worker import Worker
from tests.sync.conftest import SECRET
from tests.sync.samples import invoice

TOKEN = "feed-token-123"
T0 = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)


def versioned(number, minutes, **kw):
    document = invoice(number, **kw)
    document["source"]["updated_at"] = (T0 + dt.timedelta(minutes=minutes)).isoformat()
    return document


@pytest.fixture
def feed():
    with serve_in_thread(create_emulator(TOKEN)) as url:
        yield url


@pytest.fixture
def connection(ledger, feed):
    return add_connection(ledger.engine, "shop", "feed", poll_interval=60, settings={
        "url": f"{feed}/documents", "token": TOKEN, "secret": SECRET, "page_size": 2})


def publish(feed, *documents):
    for document in documents:
        httpx.post(f"{feed}/documents", json=document,
                   headers={"authorization": f"Bearer {TOKEN}"}).raise_for_status()


def count(ledger, table, *where):
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_poll_pages_through_stores_and_posts(ledger, feed, connection):
    publish(feed, *(versioned(f"INV-{n}", n) for n in range(5)))
    (result,) = poll_connection(ledger.engine, connection)
    assert (result.read, result.stored, result.error) == (5, 5, None)
    assert result.cursor == (T0 + dt.timedelta(minutes=4)).isoformat()
    Worker(ledger.engine).run_until_idle()
    assert count(ledger, journal_entries) == 5
    # the next poll re-reads the lookback window; the inbox drops what it has
    (again,) = poll_connection(ledger.engine, connection)
    assert (again.read, again.stored) == (5, 0)


def test_a_new_version_is_picked_up_and_reposted(ledger, feed, connection):
    publish(feed, versioned("INV-1", 1))
    poll_connection(ledger.engine, connection)
    Worker(ledger.engine).run_until_idle()
    publish(feed, versioned("INV-1", 30, amount="250.00", tax="20.63"))
    (result,) = poll_connection(ledger.engine, connection)
    assert result.stored == 1
    Worker(ledger.engine).run_until_idle()
    assert count(ledger, journal_entries) == 3  # original, reversal, corrected


def test_webhook_and_poll_of_the_same_version_store_it_once(ledger, feed, connection,
                                                            gateway):
    document = versioned("INV-9", 5)
    raw = httpx.Request("POST", "/", json=document).content
    response = httpx.post(f"{gateway}/webhooks/shop", content=raw,
                          headers={"x-ledgerbridge-signature": sign(raw, SECRET)})
    assert response.status_code == 202, response.text
    publish(feed, document)
    (result,) = poll_connection(ledger.engine, connection)
    assert (result.read, result.stored) == (1, 0)
    Worker(ledger.engine).run_until_idle()
    assert count(ledger, journal_entries) == 1


def test_failures_are_recorded_and_the_cursor_kept(ledger, feed, connection):
    publish(feed, versioned("INV-1", 1))
    poll_connection(ledger.engine, connection)
    bad = add_connection(ledger.engine, "bad-token", "feed", settings={
        "url": f"{feed}/documents", "token": "wrong"})
    (result,) = poll_connection(ledger.engine, bad)
    assert "HTTP 401" in result.error and "wrong" not in result.error
    down = add_connection(ledger.engine, "down", "feed", settings={
        "url": "http://127.0.0.1:9/documents", "token": TOKEN, "timeout_seconds": 2})
    (result,) = poll_connection(ledger.engine, down)
    assert result.error is not None and result.cursor is None
    with ledger.engine.connect() as conn:
        errors = dict(conn.execute(select(stream_state.c.connection_id,
                                          stream_state.c.last_error)).all())
    assert errors[connection.id] is None
    assert "401" in errors[bad.id]


def test_backfill_from_a_date_and_due_polls(ledger, feed, connection):
    publish(feed, versioned("INV-1", 1), versioned("INV-2", 120))
    (result,) = poll_connection(ledger.engine, connection,
                                since=T0 + dt.timedelta(minutes=60))
    assert result.read == 1
    assert count(ledger, inbox) == 1
    # due: the last sync was just now, so nothing polls until the interval passes
    assert poll_due(ledger.engine) == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61)
    (due,) = poll_due(ledger.engine, now=later)
    assert due.connection == "shop"
