"""The public surface: the package, the shared OAuth module, settings and the sandbox."""

from __future__ import annotations

import pytest

from ledgerbridge.connectors import oauth, quickbooks
from ledgerbridge.connectors.registry import build
from ledgerbridge.sandbox.emulators import SandboxOptions, emulator_app
from ledgerbridge.sync.errors import FatalError

SETTINGS = {"realm_id": "1", "client_id": "id", "client_secret": "secret"}


def test_exports():
    assert quickbooks.__all__ == ["PRODUCTION", "SANDBOX", "QuickBooksConnector",
                                  "QuickBooksSettings"]
    assert sorted(oauth.__all__) == sorted([
        "TOKENS_SECRET", "OAuthConnector", "OAuthEndpoint", "OAuthSession", "OAuthSettings",
        "TokenStore", "Tokens", "authorization_url", "code_challenge", "code_verifier",
        "exchange_code"])
    cls = quickbooks.QuickBooksConnector
    assert [s.name for s in cls.streams] == ["invoices", "payments", "credit_memos", "bills",
                                             "bill_payments", "customers", "vendors",
                                             "changes"]
    assert set(cls.secret_fields) == {"client_secret", "refresh_token", "oauth_tokens",
                                      "verifier_token"}
    assert emulator_app("quickbooks", SandboxOptions()).title == "QuickBooks Online emulator"


def test_defaults_to_production():
    connector = build("quickbooks", "qbo", SETTINGS)
    assert connector.settings.base_url == quickbooks.PRODUCTION
    assert connector.endpoint().token_url.startswith("https://oauth.platform.intuit.com/")


@pytest.mark.parametrize("bad", [{"realm_id": ""}, {"page_size": 1001}, {"currency": "usd"},
                                 {"unknown": 1}])
def test_settings_refuse_bad_values(bad):
    with pytest.raises(FatalError, match="invalid settings"):
        build("quickbooks", "qbo", {**SETTINGS, **bad})


def test_a_connector_built_without_a_stored_connection_cannot_call():
    connector = build("quickbooks", "qbo", SETTINGS)
    with pytest.raises(FatalError, match="not bound to a database"):
        connector.write("push_invoice", {"external_id": "x"})
