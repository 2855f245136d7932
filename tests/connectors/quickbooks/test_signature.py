"""intuit-signature: base64 HMAC-SHA256 of the raw body under the verifier token."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.connectors.base import WebhookRequest
from ledgerbridge.connectors.quickbooks import QuickBooksConnector, QuickBooksSettings
from ledgerbridge.connectors.quickbooks.wire import sign, signature_matches
from ledgerbridge.sync.errors import SignatureError

BODY = (b'{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":'
        b'[{"name":"Invoice","id":"130","operation":"Create",'
        b'"lastUpdated":"2015-10-05T14:42:19-0700"}]}}]}')
# computed independently: openssl dgst -sha256 -hmac verifier-abc -binary | base64
VECTOR = "iTohche0zOJx5V8Pwv01uDHJwZxO4hmFXyX3RvItK3g="


def _connector(verifier: str | None = "verifier-abc") -> QuickBooksConnector:
    return QuickBooksConnector("qbo", QuickBooksSettings(
        realm_id="1185883450", client_id="id", client_secret="secret",
        verifier_token=verifier))


def _request(signature: str | None) -> WebhookRequest:
    headers = {} if signature is None else {"intuit-signature": signature}
    return WebhookRequest("POST", "https://hub.example/webhooks/qbo", headers, BODY)


def test_known_vector():
    assert sign(BODY, "verifier-abc") == VECTOR
    _connector().verify(_request(VECTOR))


@pytest.mark.parametrize("signature", [None, "", VECTOR[:-2] + "x=", sign(BODY, "other")])
def test_wrong_or_missing_signatures_are_refused(signature):
    with pytest.raises(SignatureError):
        _connector().verify(_request(signature))


def test_a_connection_without_verifier_accepts_no_webhooks():
    with pytest.raises(SignatureError, match="verifier_token"):
        _connector(None).verify(_request(VECTOR))


@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0), st.integers(0, 255))
def test_any_changed_byte_breaks_the_signature(body, where, value):
    position = where % len(body)
    changed = body[:position] + bytes([value]) + body[position + 1:]
    assert signature_matches(changed, sign(body, "k"), "k") == (changed == body)
