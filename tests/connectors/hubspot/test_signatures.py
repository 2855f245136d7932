"""Webhook signatures, checked against values computed from HubSpot's documented recipes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.base import WebhookRequest
from ledgerbridge.connectors.hubspot import HubSpotConnector, HubSpotSettings
from ledgerbridge.connectors.hubspot.signatures import signed_headers
from ledgerbridge.sync.errors import SignatureError

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
URL = "https://hooks.example.com/webhooks/hs?portal=62515"
BODY = b'[{"eventId":1,"subscriptionType":"deal.propertyChange","objectId":1001}]'
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
STAMP = int(NOW.timestamp() * 1000)


def connector(**settings):
    return HubSpotConnector("hs", HubSpotSettings(access_token="t", client_secret=SECRET,
                                                  **settings))


SHARED = connector()


def request(headers, *, url=URL, body=BODY, at=NOW):
    return WebhookRequest("POST", url, {k.lower(): v for k, v in headers.items()}, body, at)


def v3(secret=SECRET, stamp=STAMP, uri=URL, body=BODY):
    message = b"POST" + uri.encode() + body + str(stamp).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def test_v3_good_signature_is_accepted():
    connector().verify(request({"X-HubSpot-Signature-v3": v3(),
                                "X-HubSpot-Request-Timestamp": str(STAMP)}))


@pytest.mark.parametrize("headers", [
    {"X-HubSpot-Signature-v3": v3(secret="other"), "X-HubSpot-Request-Timestamp": str(STAMP)},
    {"X-HubSpot-Signature-v3": v3(body=b"[]"), "X-HubSpot-Request-Timestamp": str(STAMP)},
    {"X-HubSpot-Signature-v3": v3(), "X-HubSpot-Request-Timestamp": str(STAMP + 1)},
    {"X-HubSpot-Signature-v3": v3()},
    {},
], ids=["wrong-secret", "other-body", "other-timestamp", "no-timestamp", "unsigned"])
def test_v3_bad_signature_is_refused(headers):
    with pytest.raises(SignatureError):
        connector().verify(request(headers))


def test_v3_stale_timestamp_is_refused_even_when_signed_right():
    old = STAMP - 6 * 60 * 1000
    with pytest.raises(SignatureError, match="five minutes"):
        connector().verify(request({"X-HubSpot-Signature-v3": v3(stamp=old),
                                    "X-HubSpot-Request-Timestamp": str(old)}))
    recent = STAMP - 4 * 60 * 1000
    connector().verify(request({"X-HubSpot-Signature-v3": v3(stamp=recent),
                                "X-HubSpot-Request-Timestamp": str(recent)}))


def test_v3_signs_the_uri_with_hubspots_escapes_decoded():
    encoded = "https://hooks.example.com/webhooks/hs?next=a%3Ab"
    signature = v3(uri="https://hooks.example.com/webhooks/hs?next=a:b")
    connector().verify(request({"X-HubSpot-Signature-v3": signature,
                                "X-HubSpot-Request-Timestamp": str(STAMP)}, url=encoded))


def test_v1_is_sha256_of_secret_and_body():
    signature = hashlib.sha256(SECRET.encode() + BODY).hexdigest()
    connector().verify(request({"X-HubSpot-Signature": signature,
                                "X-HubSpot-Signature-Version": "v1"}))
    with pytest.raises(SignatureError):
        connector().verify(request({"X-HubSpot-Signature": signature,
                                    "X-HubSpot-Signature-Version": "v2"}))


def test_v2_is_sha256_of_secret_method_uri_and_body():
    signature = hashlib.sha256(SECRET.encode() + b"POST" + URL.encode() + BODY).hexdigest()
    connector().verify(request({"X-HubSpot-Signature": signature,
                                "X-HubSpot-Signature-Version": "v2"}))


def test_the_configured_public_url_is_what_is_signed():
    public = "https://ledger.example.com/webhooks/hs"
    headers = {"X-HubSpot-Signature-v3": v3(uri=public),
               "X-HubSpot-Request-Timestamp": str(STAMP)}
    connector(webhook_url=public).verify(request(headers, url="http://10.0.0.5/webhooks/hs"))
    with pytest.raises(SignatureError):
        connector().verify(request(headers, url="http://10.0.0.5/webhooks/hs"))


def test_without_a_client_secret_no_webhook_is_accepted():
    plain = HubSpotConnector("hs", HubSpotSettings(access_token="t"))
    with pytest.raises(SignatureError, match="client_secret"):
        plain.verify(request({"X-HubSpot-Signature-v3": v3(),
                              "X-HubSpot-Request-Timestamp": str(STAMP)}))


@settings(max_examples=50)
@given(version=st.sampled_from(["v1", "v2", "v3"]), body=st.binary(max_size=200),
       path=st.text(alphabet="abcxyz/-_", max_size=20))
def test_what_the_emulator_signs_the_connector_accepts(version, body, path):
    url = f"https://hooks.example.com/{path}"
    headers = signed_headers(version, SECRET, "POST", url, body, NOW)
    SHARED.verify(request(headers, url=url, body=body))
    with pytest.raises(SignatureError):
        SHARED.verify(request(headers, url=url, body=body + b"x"))
