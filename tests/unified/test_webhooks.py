"""Outgoing webhooks to a real local receiver: signed, announced whatever the origin, retried."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI, Request, Response
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.documents import parse_document
from ledgerbridge.store.tables import webhook_deliveries
from ledgerbridge.unified.webhooks import (
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    announce,
    deliver,
    sign,
    subscribe,
    verify,
)
from tests.unified.conftest import sqlite_only
from tests.unified.test_rest import INVOICE


@dataclass
class Receiver:
    """A subscriber's endpoint: what it received, and the status it answers with."""

    url: str
    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on a free local port."""
    app = FastAPI()
    with serve_in_thread(app) as url:
        state = Receiver(f"{url}/hooks")

        @app.post("/hooks")
        async def hooks(request: Request) -> Response:
            state.received.append((dict(request.headers), await request.body()))
            return Response(status_code=state.status)
        yield state


@given(st.binary(max_size=100), st.text(min_size=1, max_size=20))
def test_a_signature_verifies_only_the_same_body_under_the_same_secret(body, secret):
    now = int(time.time())
    header = sign(secret, body, now)
    assert verify(secret, body, header)
    assert not verify(secret, body + b"x", header)
    assert not verify(secret + "x", body, header)
    assert not verify(secret, body, sign(secret, body, now - 3600))  # replayed later


@sqlite_only
def test_a_change_made_through_the_api_reaches_the_subscriber_signed(api, receiver):
    made = api.post("/unified/v1/webhooks", json={"url": receiver.url, "kinds": ["invoices"]})
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    listed = api.get("/unified/v1/webhooks").json()
    assert listed == [{**made.json(), "secret": None}]
    record = api.post("/unified/v1/invoices", content=json.dumps(INVOICE)).json()
    ((headers, body),) = receiver.received  # delivered after the answer was sent
    assert verify(secret, body, headers[SIGNATURE_HEADER.lower()])
    event = json.loads(body)
    assert event["type"] == "invoices.changed"
    assert (event["data"]["id"], event["data"]["version"]) == (record["id"], record["version"])
    assert event["data"]["document"]["total"] == "129.90"
    assert api.delete(f"/unified/v1/webhooks/{made.json()['id']}").status_code == 204
    api.post("/unified/v1/payments", content=json.dumps({
        "type": "payment", "source": {"connection": "demo", "object_type": "payment",
                                      "external_id": "P-1"}, "date": "2026-04-03",
        "amount": "10.00", "currency": "USD"}))
    assert len(receiver.received) == 1


def _due_now(engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(webhook_deliveries).values(
            next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))


def _states(engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(webhook_deliveries.c.status, webhook_deliveries.c.attempts))]


def test_changes_from_anywhere_are_announced_and_failures_retried(books, ours, receiver):
    subscribe(books.engine, receiver.url, ("invoices", "payments"), secret="s" * 20)
    ours.create("invoices", parse_document(INVOICE))  # as the worker would store it
    receiver.status = 503
    assert (announce(books.engine), announce(books.engine)) == (1, 0)
    assert deliver(books.engine) == 1
    assert _states(books.engine) == [("failed", 1)]
    assert deliver(books.engine) == 0  # not due yet
    receiver.status = 204
    _due_now(books.engine)
    assert deliver(books.engine) == 1
    assert _states(books.engine) == [("sent", 2)]
    assert len(receiver.received) == 2


@sqlite_only
def test_a_delivery_that_keeps_failing_goes_dead(books, ours, receiver):
    subscribe(books.engine, receiver.url, ("invoices",), secret="s" * 20)
    ours.create("invoices", parse_document(INVOICE))
    announce(books.engine)
    receiver.status = 500
    for _ in range(MAX_ATTEMPTS):
        _due_now(books.engine)
        deliver(books.engine)
    assert _states(books.engine) == [("dead", MAX_ATTEMPTS)]
