"""Intuit's popular Python client against the emulated company (when it is installed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ledgerbridge.connectors.quickbooks.emulator import CLIENT_ID, REALM_ID
from ledgerbridge.connectors.quickbooks.wire import sign
from tests.connectors.quickbooks.conftest import CLIENT_SECRET

sdk = pytest.importorskip("quickbooks", reason="python-quickbooks is not installed")


def test_python_quickbooks_creates_and_finds_a_customer(qbo, monkeypatch):
    from quickbooks.objects.customer import Customer

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator is plain http

    code = qbo.control("/codes")["code"]
    tokens = qbo.http.post(f"{qbo.url}/oauth2/v1/tokens/bearer", auth=(CLIENT_ID, CLIENT_SECRET),
                           data={"grant_type": "authorization_code", "code": code}).json()
    auth = SimpleNamespace(environment="production", access_token=tokens["access_token"],
                           refresh_token=tokens["refresh_token"], client_id=CLIENT_ID,
                           client_secret=CLIENT_SECRET)
    client = sdk.QuickBooks(auth_client=auth, company_id=REALM_ID, minorversion=75)
    client.api_url_v3 = f"{qbo.url}/v3"
    customer = Customer()
    customer.DisplayName = "Made by the SDK"
    customer.save(qb=client)
    assert customer.Id in qbo.company.records["Customer"]
    found = Customer.filter(DisplayName="Made by the SDK", qb=client)
    assert [c.Id for c in found] == [customer.Id]


def test_our_webhook_signatures_pass_the_sdks_check():
    body = '{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[]}}]}'
    client = sdk.QuickBooks(minorversion=75)
    assert client.validate_webhook_signature(body, sign(body.encode(), "vt"), "vt")
    assert not client.validate_webhook_signature(body, sign(body.encode(), "other"), "vt")
