"""X-Gusto-Signature: the hex HMAC-SHA256 of the body, keyed by the verification token."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.connectors.gusto.signature import sign, verifies
from tests.connectors.gusto.conftest import NAME, VERIFICATION_TOKEN

BODY = (b'{"uuid":"f7397a24-57ad-4fae-b011-d258e8232900","event_type":"payroll.processed",'
        b'"resource_type":"Company","entity_type":"Payroll"}')


def test_signature_is_the_documented_hmac():
    expected = hmac.new(VERIFICATION_TOKEN.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, VERIFICATION_TOKEN) == expected
    assert verifies(BODY, VERIFICATION_TOKEN, expected.upper())


@given(st.binary(max_size=200), st.binary(min_size=1, max_size=200))
def test_any_change_to_the_body_fails(body, extra):
    signature = sign(body, VERIFICATION_TOKEN)
    assert verifies(body, VERIFICATION_TOKEN, signature)
    assert not verifies(body + extra, VERIFICATION_TOKEN, signature)
    assert not verifies(body, "another-token", signature)
    assert not verifies(body, VERIFICATION_TOKEN, None)


def test_gateway_refuses_a_bad_signature_and_accepts_a_good_one(ledger, connection, gateway):
    url = f"{gateway}/webhooks/{NAME}"
    bad = httpx.post(url, content=BODY, headers={"x-gusto-signature": "0" * 64})
    assert bad.status_code == 401
    assert VERIFICATION_TOKEN not in bad.text
    good = httpx.post(url, content=BODY,
                      headers={"x-gusto-signature": sign(BODY, VERIFICATION_TOKEN)})
    assert good.status_code == 202


def test_a_signed_body_that_is_no_event_is_refused(ledger, connection, gateway):
    body = json.dumps({"verification_token": VERIFICATION_TOKEN}).encode()
    response = httpx.post(f"{gateway}/webhooks/{NAME}", content=body,
                          headers={"x-gusto-signature": sign(body, VERIFICATION_TOKEN)})
    assert response.status_code == 400
    assert "event_type" in response.text
