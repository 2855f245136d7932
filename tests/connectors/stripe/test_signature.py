"""Stripe-Signature, checked against vectors computed from Stripe's documented algorithm."""

import datetime as dt
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.connectors.base import WebhookRequest
from ledgerbridge.connectors.stripe import StripeConnector, StripeSettings
from ledgerbridge.connectors.stripe.signature import SignatureMismatch, sign, verify
from ledgerbridge.sync.errors import SignatureError

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","object":"event"}'
T = 1_700_000_000


def documented(body: bytes, secret: str, stamp: int) -> str:
    """HMAC-SHA256 of "<t>.<body>", hex: what Stripe's documentation says v1 is."""
    return hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_sign_matches_the_documented_scheme():
    assert sign(BODY, SECRET, T) == f"t={T},v1={documented(BODY, SECRET, T)}"


def test_any_of_several_v1_values_may_match_and_other_schemes_are_ignored():
    header = (f"t={T},v0=deadbeef,v1={'0' * 64},v1={documented(BODY, SECRET, T)},"
              f"x9=whatever")
    assert verify(header, BODY, SECRET, tolerance=300, now=T + 10) == T


@pytest.mark.parametrize(("header", "now", "why"), [
    (f"t={T},v1={documented(BODY, 'whsec_other', T)}", T, "no v1 signature matches"),
    (f"t={T},v0={documented(BODY, SECRET, T)}", T, "no v1 signature"),
    (f"v1={documented(BODY, SECRET, T)}", T, "no timestamp"),
    (f"t={T},v1={documented(BODY, SECRET, T)}", T + 301, "tolerance 300"),
    (f"t={T},v1={documented(BODY, SECRET, T)}", T - 301, "tolerance 300"),
    ("", T, "no timestamp"),
])
def test_wrong_missing_or_stale_signatures_are_refused(header, now, why):
    with pytest.raises(SignatureMismatch, match=why):
        verify(header, BODY, SECRET, tolerance=300, now=now)


@given(body=st.binary(max_size=200), flip=st.integers(0, 199))
def test_a_signed_body_verifies_and_any_change_to_it_does_not(body, flip):
    header = sign(body, SECRET, T)
    assert verify(header, body, SECRET, tolerance=0, now=T) == T
    if body:
        i = flip % len(body)
        tampered = body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
        with pytest.raises(SignatureMismatch):
            verify(header, tampered, SECRET, tolerance=0, now=T)


def test_connector_raises_signature_error_without_a_secret_or_on_mismatch():
    received = dt.datetime.fromtimestamp(T, dt.UTC)
    good = WebhookRequest("POST", "/", {"stripe-signature": sign(BODY, SECRET, T)}, BODY,
                          received)
    StripeConnector("s", StripeSettings(api_key="sk", webhook_secret=SECRET)).verify(good)
    for settings in (StripeSettings(api_key="sk"),
                     StripeSettings(api_key="sk", webhook_secret="whsec_other")):
        with pytest.raises(SignatureError):
            StripeConnector("s", settings).verify(good)
