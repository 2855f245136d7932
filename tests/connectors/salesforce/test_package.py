"""The package's public surface and its registration."""

import pytest

from ledgerbridge.connectors import salesforce
from ledgerbridge.connectors.registry import build, connector_class
from ledgerbridge.sandbox.emulators import SandboxOptions, emulator_app
from ledgerbridge.sync.errors import FatalError
from tests.connectors.salesforce.conftest import settings


def test_exports_and_entry_point():
    assert salesforce.__all__ == ["SalesforceConnector", "SalesforceSettings"]
    cls = connector_class("salesforce")
    assert cls is salesforce.SalesforceConnector
    assert [s.name for s in cls.streams] == ["opportunities", "accounts"]
    assert set(cls.secret_fields) == {"client_secret", "refresh_token"}
    assert emulator_app("salesforce", SandboxOptions()) is not None


@pytest.mark.parametrize("bad", [{"status_field": "Account.Status__c"},
                                 {"api_version": "v60"}, {"org_currency": "usd"}])
def test_settings_refuse_related_write_fields_and_bad_values(bad):
    with pytest.raises(FatalError, match="invalid settings"):
        build("salesforce", "crm", settings("http://127.0.0.1:9", **bad))
