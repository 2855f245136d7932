"""The emulator answers Xero's official Python SDK (xero-python) as Xero does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

xero_python = pytest.importorskip("xero_python", reason="needs Xero's SDK: pip install xero-python")

from xero_python.accounting import (  # noqa: E402
    AccountingApi,
    Contact,
    Invoice,
    Invoices,
    LineItem,
)
from xero_python.api_client import ApiClient, Configuration  # noqa: E402
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi  # noqa: E402
from xero_python.exceptions import AccountingBadRequestException  # noqa: E402
from xero_python.identity import IdentityApi  # noqa: E402

from tests.connectors.xero.conftest import CLIENT_ID, CLIENT_SECRET  # noqa: E402


@pytest.fixture
def sdk(xero, monkeypatch):
    """The SDK's client, its token refreshed through the emulator's identity service."""
    monkeypatch.setattr(TokenApi, "refresh_token_url", f"{xero.url}/connect/token")
    refresh = xero.control("/consent")["refresh_token"]
    stored = {"access_token": "expired", "refresh_token": refresh, "expires_in": 1800,
              "expires_at": 0, "token_type": "Bearer", "scope": ["offline_access"]}
    client = ApiClient(Configuration(oauth2_token=OAuth2Token(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET)), pool_threads=1)
    client.oauth2_token_getter(lambda: stored)
    client.oauth2_token_saver(stored.update)
    client.set_oauth2_token(stored)
    client.refresh_oauth2_token()
    assert stored["refresh_token"] != refresh  # rotated
    return client


def test_connections_and_an_invoice_round_trip(xero, sdk):
    (connection,) = IdentityApi(sdk, base_url=xero.url).get_connections()
    tenant = connection.tenant_id
    api = AccountingApi(sdk, base_url=f"{xero.url}/api.xro/2.0")
    invoice = Invoice(type="ACCREC", contact=Contact(name="Acme Ltd"),
                      date=dt.date(2026, 11, 2), status="AUTHORISED", reference="ORD-7",
                      line_items=[LineItem(description="Consulting", quantity=2.0,
                                           unit_amount=150.0, account_code="200")])
    created = api.create_invoices(tenant, Invoices(invoices=[invoice]), idempotency_key="k1")
    again = api.create_invoices(tenant, Invoices(invoices=[invoice]), idempotency_key="k1")
    assert created.invoices[0].invoice_id == again.invoices[0].invoice_id
    assert Decimal(str(created.invoices[0].total)) == Decimal("345.00")
    found = api.get_invoices(tenant, where='Reference=="ORD-7"', page=1,
                             if_modified_since=dt.datetime(2020, 1, 1))
    assert [i.invoice_number for i in found.invoices] == ["INV-0001"]
    assert found.invoices[0].date == dt.date(2026, 11, 2)


def test_a_validation_error_reaches_the_sdk_in_xeros_shape(xero, sdk):
    (connection,) = IdentityApi(sdk, base_url=xero.url).get_connections()
    api = AccountingApi(sdk, base_url=f"{xero.url}/api.xro/2.0")
    empty = Invoice(type="ACCREC", contact=Contact(name="Acme Ltd"), line_items=[])
    with pytest.raises(AccountingBadRequestException) as caught:
        api.create_invoices(connection.tenant_id, Invoices(invoices=[empty]))
    (element,) = caught.value.error_data["Elements"]
    assert element["ValidationErrors"] == [{"Message": "You must specify at least one line "
                                                       "item"}]
