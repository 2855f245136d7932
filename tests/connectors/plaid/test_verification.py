"""Plaid-Verification: vectors built by hand from Plaid's documented algorithm."""

import base64
import hashlib
import hmac
import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwt.algorithms import ECAlgorithm
from sqlalchemy import func, select

from ledgerbridge.api import create_app
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.base import WebhookRequest
from ledgerbridge.connectors.plaid import WebhookKeys, verify
from ledgerbridge.connectors.registry import build
from ledgerbridge.store.tables import inbox
from ledgerbridge.sync.errors import SignatureError
from tests.connectors.plaid.conftest import SECRET, connect

BODY = json.dumps({
    "environment": "production", "historical_update_complete": True,
    "initial_update_complete": True, "item_id": "wz666MBjYWTp2PDzzggYhM6oWWmBb",
    "webhook_code": "SYNC_UPDATES_AVAILABLE", "webhook_type": "TRANSACTIONS",
}, indent=2).encode()
KID = "6c5516e1-92dc-479e-a8ff-5a51992e0001"
NOW = int(time.time())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def es256_jwt(private_key, header: dict, claims: dict) -> str:
    """A JWT signed as RFC 7515 says for ES256: raw r || s over header.payload."""
    signing_input = f"{b64url(json.dumps(header).encode())}." \
                    f"{b64url(json.dumps(claims).encode())}"
    der = private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def jwk_of(private_key, kid=KID, expired_at=None) -> dict:
    numbers = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {"alg": "ES256", "created_at": 1560466150, "crv": "P-256", "expired_at": expired_at,
            "kid": kid, "kty": "EC", "use": "sig", "x": numbers["x"], "y": numbers["y"]}


@pytest.fixture(scope="module")
def plaid_key():
    return ec.generate_private_key(ec.SECP256R1())


def token_for(key, body=BODY, iat=NOW, kid=KID, alg="ES256"):
    claims = {"iat": iat, "request_body_sha256": hashlib.sha256(body).hexdigest()}
    return es256_jwt(key, {"alg": alg, "kid": kid, "typ": "JWT"}, claims)


def keys_of(key):
    known = {KID: jwk_of(key)}

    def lookup(kid):
        if kid not in known:
            raise SignatureError(f"unknown key {kid}")
        return known[kid]

    return lookup


def test_a_genuine_webhook_verifies(plaid_key):
    claims = verify(token_for(plaid_key), BODY, keys_of(plaid_key), now=NOW + 10)
    assert claims["request_body_sha256"] == hashlib.sha256(BODY).hexdigest()


def test_signed_with_another_key(plaid_key):
    forger = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify(token_for(forger), BODY, keys_of(plaid_key), now=NOW)


@pytest.mark.parametrize("alg", ["HS256", "none", "ES384", "RS256", "es256"])
def test_any_algorithm_but_es256_is_refused(plaid_key, alg):
    if alg == "HS256":  # the classic confusion: the public key used as an HMAC secret
        pem = plaid_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        claims = {"iat": NOW, "request_body_sha256": hashlib.sha256(BODY).hexdigest()}
        header = b64url(json.dumps({"alg": "HS256", "kid": KID, "typ": "JWT"}).encode())
        payload = b64url(json.dumps(claims).encode())
        mac = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        token = f"{header}.{payload}.{b64url(mac)}"
    else:
        token = token_for(plaid_key, alg=alg)
    with pytest.raises(SignatureError, match="algorithm"):
        verify(token, BODY, keys_of(plaid_key), now=NOW)


def test_a_token_older_than_five_minutes_is_refused(plaid_key):
    verify(token_for(plaid_key, iat=NOW - 299), BODY, keys_of(plaid_key), now=NOW)
    with pytest.raises(SignatureError, match="5 minutes"):
        verify(token_for(plaid_key, iat=NOW - 301), BODY, keys_of(plaid_key), now=NOW)


def test_a_tampered_body_is_refused(plaid_key):
    token = token_for(plaid_key)
    tampered = BODY.replace(b"SYNC_UPDATES_AVAILABLE", b"DEFAULT_UPDATE")
    with pytest.raises(SignatureError, match="request_body_sha256"):
        verify(token, tampered, keys_of(plaid_key), now=NOW)
    with pytest.raises(SignatureError, match="request_body_sha256"):
        verify(token, BODY + b" ", keys_of(plaid_key), now=NOW)  # whitespace counts


def test_missing_malformed_unknown_kid_and_expired_key(plaid_key):
    keys = keys_of(plaid_key)
    for token, reason in [("", "missing"), ("not.a.jwt", "not a JWT"),
                          (token_for(plaid_key, kid="other"), "unknown key")]:
        with pytest.raises(SignatureError, match=reason):
            verify(token, BODY, keys, now=NOW)
    expired = {KID: jwk_of(plaid_key, expired_at=NOW - 60)}
    with pytest.raises(SignatureError, match="expired"):
        verify(token_for(plaid_key), BODY, expired.__getitem__, now=NOW)


def test_our_vectors_match_pyjwt(plaid_key):
    """The hand-built token and one from PyJWT are interchangeable."""
    claims = {"iat": NOW, "request_body_sha256": hashlib.sha256(BODY).hexdigest()}
    token = jwt.encode(claims, plaid_key, algorithm="ES256", headers={"kid": KID})
    assert verify(token, BODY, keys_of(plaid_key), now=NOW) == claims
    decoded = jwt.decode(token_for(plaid_key), plaid_key.public_key(), algorithms=["ES256"])
    assert decoded == claims


def test_keys_are_cached_by_kid_and_a_new_kid_is_fetched(plaid_key):
    fetched = []
    other = ec.generate_private_key(ec.SECP256R1())
    known = {KID: jwk_of(plaid_key), "kid-2": jwk_of(other, kid="kid-2")}

    def fetch(kid):
        fetched.append(kid)
        return known[kid]

    keys = WebhookKeys(fetch)
    for _ in range(3):
        verify(token_for(plaid_key), BODY, keys, now=NOW)
    verify(token_for(other, kid="kid-2"), BODY, keys, now=NOW)
    assert fetched == [KID, "kid-2", KID]  # a new kid: the cached live key is checked too
    verify(token_for(plaid_key), BODY, keys, now=NOW)
    assert len(fetched) == 3


def test_the_connector_fetches_the_emulators_key_once_and_again_after_rotation(bank):
    connector = build("plaid", "p", {
        "client_id": "ledgerbridge-sandbox", "secret": SECRET,
        "access_token": bank.access_token, "item_id": bank.item_id, "base_url": bank.url,
        "accounts": {}})
    captured = []
    with serve_in_thread(_capture(captured)) as hook:
        bank.call("/item/webhook/update", webhook=f"{hook}/hook")

        def fire():
            bank.call("/sandbox/item/fire_webhook", webhook_code="SYNC_UPDATES_AVAILABLE")
            headers, body = captured[-1]
            return WebhookRequest("POST", "/hook", headers, body)

        first, second = fire(), fire()
        connector.verify(first)
        connector.verify(second)
        bank.call("/_emulator/webhook_key/rotate")
        rotated = fire()
    connector.verify(rotated)
    with pytest.raises(SignatureError, match="expired"):
        connector.verify(first)  # signed with the key that rotation expired
    state = httpx.get(f"{bank.url}/_emulator/state").json()
    assert state["webhook_key_requests"] == 3  # first key, new key, the old key again
    (event,) = connector.split(rotated)
    assert connector.sync_after(event) == ("transactions",)


def _capture(captured):
    from fastapi import FastAPI, Request

    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> dict:
        captured.append((dict(request.headers), await request.body()))
        return {}

    return app


def test_the_gateway_answers_401_and_stores_nothing(ledger, bank, plaid_key):
    connect(ledger, bank)
    body = BODY.replace(b"wz666MBjYWTp2PDzzggYhM6oWWmBb", bank.item_id.encode())
    with serve_in_thread(create_app(ledger.engine)) as gateway:
        forged = httpx.post(f"{gateway}/webhooks/plaid", content=body,
                            headers={"plaid-verification": token_for(plaid_key, body=body)})
        assert forged.status_code == 401
        assert "refused" in forged.text and SECRET not in forged.text
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inbox)).scalar() == 0
