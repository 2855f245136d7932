"""The emulator speaks Ramp's wire format; the connector reads it and checks signatures."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.connectors.base import WebhookRequest
from ledgerbridge.connectors.ramp import RampConnector, RampSettings
from ledgerbridge.connectors.ramp.emulator import CLIENT_ID
from ledgerbridge.connectors.ramp.signature import SignatureMismatch, sign, verify
from ledgerbridge.sandbox.emulators import SandboxOptions, emulator_app
from ledgerbridge.sync.errors import FatalError, MalformedPayload, SignatureError
from tests.connectors.ramp.conftest import CLIENT_SECRET, WEBHOOK_SECRET


def _connector(url: str, secret: str = CLIENT_SECRET, **extra) -> RampConnector:
    return RampConnector("ramp", RampSettings(client_id=CLIENT_ID, client_secret=secret,
                                              webhook_secret=WEBHOOK_SECRET, base_url=url,
                                              **extra))


def test_lists_are_read_page_by_page_through_page_next(sandbox):
    for n in range(5):
        sandbox.control("POST", "/transactions", {"amount": f"{n + 1}.00",
                                                   "merchant_name": f"Shop {n}"})
    ramp = _connector(sandbox.url, page_size=2)
    pages = list(ramp.read(ramp.stream("transactions"), None))
    assert [len(p.events) for p in pages] == [2, 2, 1]
    assert [p.more for p in pages] == [True, True, False]
    assert len({e.object_id for p in pages for e in p.events}) == 5
    assert pages[-1].cursor is not None


def test_a_wrong_client_secret_is_fatal_and_names_no_secret(sandbox):
    ramp = _connector(sandbox.url, secret="wrong")
    with pytest.raises(FatalError, match="HTTP 401") as caught:
        list(ramp.read(ramp.stream("transactions"), None))
    assert "wrong" not in str(caught.value)


def test_the_emulator_refuses_bad_requests_like_ramp(sandbox):
    ramp = _connector(sandbox.url)
    with pytest.raises(FatalError, match="page_size"):
        ramp.api.get("/developer/v1/transactions", {"page_size": 20_000})
    with pytest.raises(FatalError, match="404"):
        ramp.api.retrieve("transactions", "missing")
    assert httpx.get(f"{sandbox.url}/developer/v1/transactions").status_code == 401


def test_webhooks_are_verified_and_split_by_event():
    ramp = _connector("http://127.0.0.1:9")
    body = b'{"id": "e-1", "type": "reimbursements.reimbursed", "object": {"id": "re-1"}}'
    signed = WebhookRequest("POST", "/", {"x-ramp-signature": sign(body, WEBHOOK_SECRET)}, body)
    ramp.verify(signed)
    (event,) = ramp.split(signed)
    assert (event.event_id, event.object_type, event.object_id) == ("e-1", "reimbursement",
                                                                     "re-1")
    with pytest.raises(SignatureError, match="does not match"):
        ramp.verify(WebhookRequest("POST", "/", {"x-ramp-signature": "00"}, body))
    other = b'{"id": "e-2", "type": "cards.issued", "object": {"id": "c-1"}}'
    with pytest.raises(MalformedPayload):
        ramp.split(WebhookRequest("POST", "/", {}, other))


def test_signatures_accept_a_sha256_prefix_and_refuse_no_header():
    verify(f"sha256={sign(b'{}', 's')}", b"{}", "s")
    with pytest.raises(SignatureMismatch, match="no X-Ramp-Signature"):
        verify("", b"{}", "s")


def test_the_sandbox_serves_the_ramp_emulator():
    assert emulator_app("ramp", SandboxOptions()).title == "ledgerbridge Ramp emulator"
