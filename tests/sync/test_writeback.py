import hashlib
import hmac
import json

import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import select

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.store.tables import outbox
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.outbox import deliver_due
from ledgerbridge.sync.worker import Worker
from tests.sync.conftest import SECRET
from tests.sync.samples import invoice
from tests.sync.test_worker import deliver

MAPPING = """
writeback:
  - on: invoice.paid
    connection: crm
    command: mark_paid
    fields: [number, total]
"""


def receiver(answers):
    """A CRM stand-in that records signed commands and answers from a script."""
    app = FastAPI()
    app.state.seen = []

    @app.post("/hooks")
    async def hooks(request: Request) -> Response:
        body = await request.body()
        expected = "sha256=" + hmac.new(b"crm-secret", body, hashlib.sha256).hexdigest()
        assert request.headers["x-ledgerbridge-signature"] == expected
        app.state.seen.append((request.headers["idempotency-key"], json.loads(body)))
        return Response(status_code=answers.pop(0) if answers else 200)

    return app


def outbox_rows(ledger):
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(outbox).order_by(outbox.c.id)))


@pytest.fixture
def paid_invoice(ledger):
    def make(url):
        add_connection(ledger.engine, "crm", "webhook",
                       settings={"secret": "crm-secret", "callback_url": f"{url}/hooks"})
        hook = add_connection(ledger.engine, "hook", "webhook", mapping=MAPPING,
                              settings={"secret": SECRET})
        deliver(ledger, hook, invoice("INV-7", status="paid"))
        Worker(ledger.engine).run_until_idle()
    return make


def test_paid_invoice_is_written_back_once_with_its_key(ledger, paid_invoice):
    app = receiver([])
    with serve_in_thread(app) as url:
        paid_invoice(url)
        (row,) = outbox_rows(ledger)
        assert row.status == "pending" and row.entry_id is not None
        assert deliver_due(ledger.engine) == 1
        assert deliver_due(ledger.engine) == 0
    (key, body), = app.state.seen
    assert key == row.idempotency_key
    assert body["command"] == "mark_paid"
    assert body["payload"]["external_id"] == "INV-7"
    assert body["payload"]["total"] == "108.25"
    assert outbox_rows(ledger)[0].status == "sent"


def test_temporary_failure_is_retried_permanent_one_dead_lettered(ledger, paid_invoice):
    app = receiver([503, 400])
    with serve_in_thread(app) as url:
        paid_invoice(url)
        deliver_due(ledger.engine)
        (row,) = outbox_rows(ledger)
        assert (row.status, row.attempts) == ("failed", 1)
        assert "HTTP 503" in row.last_error and row.next_attempt_at is not None
        with ledger.engine.begin() as conn:
            conn.execute(outbox.update().values(next_attempt_at=None))
        deliver_due(ledger.engine)
    (row,) = outbox_rows(ledger)
    assert row.status == "dead" and "HTTP 400" in row.last_error
    assert len(app.state.seen) == 2
    assert app.state.seen[0][0] == app.state.seen[1][0]  # same idempotency key each time
