import json

import httpx
import pytest
from sqlalchemy import select

from ledgerbridge.connectors.webhook import sign
from ledgerbridge.store.tables import inbox
from ledgerbridge.web.users import Role, add_user, create_token
from tests.sync.conftest import SECRET
from tests.sync.samples import body, invoice


def post(url, payload: bytes, secret=SECRET, **headers):
    headers = {"content-type": "application/json", **headers}
    if secret is not None:
        headers["x-ledgerbridge-signature"] = sign(payload, secret)
    return httpx.post(f"{url}/webhooks/hook", content=payload, headers=headers, timeout=10)


def rows(ledger):
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(inbox).order_by(inbox.c.id)))


def test_signed_document_is_stored_raw_then_acknowledged(ledger, hook, gateway):
    payload = body(invoice())
    response = post(gateway, payload, authorization="Bearer top-secret")
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    (row,) = rows(ledger)
    assert row.body == payload
    assert (row.status, row.object_type, row.object_id) == ("received", "invoice", "INV-1")
    headers = json.loads(row.headers)
    assert headers["authorization"] == "[redacted]"
    assert "top-secret" not in row.headers


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_bad_signature_is_401_and_stores_nothing(ledger, hook, gateway, secret):
    response = post(gateway, body(invoice()), secret=secret)
    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert SECRET not in response.text
    assert rows(ledger) == []


def test_tampered_body_is_refused(ledger, hook, gateway):
    payload = body(invoice())
    headers = {"x-ledgerbridge-signature": sign(payload, SECRET)}
    response = httpx.post(f"{gateway}/webhooks/hook", content=payload.replace(b"100.00",
                          b"900.00"), headers=headers)
    assert response.status_code == 401
    assert rows(ledger) == []


def test_malformed_body_is_400_and_kept_for_replay(ledger, hook, gateway):
    response = post(gateway, b"{not json")
    assert response.status_code == 400
    assert "not JSON" in response.json()["error"]
    (row,) = rows(ledger)
    assert (row.status, row.body) == ("dead", b"{not json")
    assert "not JSON" in row.last_error


def test_duplicates_are_acknowledged_once(ledger, hook, gateway):
    payload = body(invoice())
    assert post(gateway, payload, **{"x-ledgerbridge-event-id": "evt-1"}).status_code == 202
    again = post(gateway, payload, **{"x-ledgerbridge-event-id": "evt-1"})
    assert again.status_code == 200
    assert again.json() == {"accepted": 0, "duplicates": 1, "ids": []}
    # the same object version under another event id is the same fact
    assert post(gateway, payload, **{"x-ledgerbridge-event-id": "evt-2"}).json()[
        "duplicates"] == 1
    assert len(rows(ledger)) == 1


def test_unknown_connection_is_404(ledger, gateway):
    response = httpx.post(f"{gateway}/webhooks/nope", content=b"{}")
    assert response.status_code == 404


def test_openapi_lists_the_gateway(ledger, gateway):
    spec = httpx.get(f"{gateway}/openapi.json").json()
    assert "/webhooks/{connection}" in spec["paths"]


def test_audit_endpoint_walks_entry_to_raw_payload(ledger, hook, gateway):
    from ledgerbridge.sync.worker import Worker

    payload = body(invoice())
    assert post(gateway, payload).status_code == 202
    Worker(ledger.engine).run_until_idle()
    assert httpx.get(f"{gateway}/api/entries/1/audit").status_code == 401
    add_user(ledger.engine, "auditor", "long enough", Role.VIEWER)
    token = {"authorization": f"Bearer {create_token(ledger.engine, 'auditor')}"}
    trail = httpx.get(f"{gateway}/api/entries/1/audit", headers=token).json()
    assert trail["entry"]["lineage"]["external_id"] == "INV-1"
    assert trail["document"]["data"]["number"] == "INV-1"
    assert trail["raw"]["body"] == payload.decode()
    assert trail["connection"] == {"name": "hook", "system": "webhook"}
    assert sorted(line["amount"] for line in trail["entry"]["lines"]) == [
        "-100.00", "-8.25", "108.25"]
    assert httpx.get(f"{gateway}/api/entries/999/audit", headers=token).status_code == 404
