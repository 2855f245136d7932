"""The connector's surface: exports, streams, cursors and webhook bodies."""

from __future__ import annotations

import datetime as dt

import pytest

import ledgerbridge.connectors.stripe as package
from ledgerbridge.connectors.base import WebhookRequest
from ledgerbridge.connectors.stripe import StripeConnector, StripeSettings
from ledgerbridge.sandbox.emulators import SandboxOptions, emulator_app
from ledgerbridge.sync.errors import MalformedPayload
from ledgerbridge.sync.scheduler import poll_connection


def test_the_package_exports_exactly_its_public_names():
    assert sorted(package.__all__) == ["SALES_MAPPING", "StripeConnector", "StripeSettings",
                                       "sign"]
    assert [s.name for s in StripeConnector.streams] == [
        "balance_transactions", "charges", "refunds", "disputes", "payouts"]
    assert StripeConnector.secret_fields == ("api_key", "webhook_secret")
    assert StripeSettings(api_key="sk").base_url.host == "api.stripe.com"


def test_the_sandbox_serves_the_stripe_emulator():
    app = emulator_app("stripe", SandboxOptions())
    assert app.state.account.settlement == "usd"


@pytest.mark.parametrize("body", [b"not json", b'{"object": "charge", "id": "ch_1"}',
                                  b'{"object": "event", "id": "evt_1", "data": {}}'])
def test_a_body_that_is_not_a_stripe_event_is_malformed(body):
    connector = StripeConnector("s", StripeSettings(api_key="sk", webhook_secret="whsec"))
    with pytest.raises(MalformedPayload):
        connector.split(WebhookRequest("POST", "/", {}, body))


def test_polls_resume_from_the_cursor_and_rereads_inside_the_lookback_are_dropped(
        ledger, connection, client):
    for amount in (1000, 2000, 3000):
        client.v1.charges.create(params={"amount": amount, "currency": "usd"})
    settings = {**connection.settings, **connection.secrets, "page_size": 2}
    connector = StripeConnector(connection.name, StripeSettings(**settings))
    pages = list(connector.read(connector.stream("charges"), None))
    newest = max(c.created for c in client.v1.charges.list().data)
    assert [len(p.events) for p in pages] == [2, 1]
    assert [p.cursor for p in pages] == [None, newest]  # the cursor moves with the last page
    # The webhooks already brought these very versions: polls read them and store nothing.
    (first,) = poll_connection(ledger.engine, connection, streams=["charges"])
    (again,) = poll_connection(ledger.engine, connection, streams=["charges"])
    assert (first.read, first.stored, again.read, again.stored) == (3, 0, 3, 0)
    since = dt.datetime.fromtimestamp(newest, dt.UTC)
    (backfill,) = poll_connection(ledger.engine, connection, streams=["charges"], since=since)
    assert backfill.cursor == newest and backfill.error is None
