import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.cli import app
from ledgerbridge.connectors.feed.emulator import create_emulator
from ledgerbridge.store.tables import journal_entries
from ledgerbridge.sync.connections import add_connection
from tests.sync.conftest import SECRET
from tests.sync.samples import invoice
from tests.sync.test_polling import TOKEN, publish, versioned
from tests.sync.test_worker import deliver

runner = CliRunner()


def run(*args, ok=True):
    result = runner.invoke(app, [str(a) for a in args])
    assert (result.exit_code == 0) == ok, result.output
    return result


def test_connections_worker_status_audit_replay(ledger, db_url, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    out = run("connections", "add", "hook", "--system", "webhook",
              "--setting", "secret=env:HOOK_SECRET", "--db", db_url).output
    assert "POST /webhooks/hook" in out
    listed = run("connections", "list", "--db", db_url).output
    assert "hook" in listed and SECRET not in listed
    run("connections", "add", "hook", "--system", "webhook", "--setting", "secret=x",
        "--db", db_url, ok=False)
    assert "no connector 'nope'" in run("connections", "add", "x", "--system", "nope",
                                        "--db", db_url, ok=False).output
    assert "invalid settings" in run("connections", "add", "y", "--system", "webhook",
                                     "--db", db_url, ok=False).output

    from ledgerbridge.sync.connections import get_connection
    with ledger.engine.connect() as conn:
        hook = get_connection(conn, "hook")
    deliver(ledger, hook, invoice())
    assert "posted=1" in run("worker", "--once", "--db", db_url).output
    status = run("connections", "status", "--db", db_url).output
    assert "hook" in status
    trail = json.loads(run("audit", "1", "--json", "--db", db_url).stdout)
    assert trail["document"]["external_id"] == "INV-1"
    assert "Queued 0" in run("sync", "replay", "--failed", "--db", db_url).output
    assert "no event 99" in run("sync", "replay", "99", "--db", db_url, ok=False).output
    run("connections", "remove", "hook", "--db", db_url)
    assert "no" in run("connections", "list", "--db", db_url).output


def entries(ledger):
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(journal_entries)).scalar()


def test_worker_polls_due_connections_and_sync_poll_reads_now(ledger, db_url):
    with serve_in_thread(create_emulator(TOKEN)) as feed:
        add_connection(ledger.engine, "shop", "feed", poll_interval=3600,
                       settings={"url": f"{feed}/documents", "token": TOKEN})
        publish(feed, versioned("INV-1", 1))
        run("worker", "--once", "--db", db_url)  # never polled yet, so it is due
        assert entries(ledger) == 1
        publish(feed, versioned("INV-2", 2))
        run("worker", "--once", "--db", db_url)  # polled a moment ago: not due
        assert entries(ledger) == 1
        out = run("sync", "poll", "shop", "--db", db_url).output
        assert "documents" in out
        run("worker", "--once", "--db", db_url)
        assert entries(ledger) == 2
        assert "unknown" not in run("sync", "poll", "shop", "--since", "2026-01-01",
                                    "--db", db_url).output
