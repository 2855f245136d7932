"""Pushing contacts: link to the organisation's own record before creating one."""

from __future__ import annotations

import pytest

from ledgerbridge.sync.errors import FatalError
from tests.connectors.xero.conftest import connect


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """These tests exercise the API client; storage is covered on both databases elsewhere."""
    return sqlite_url


def _contact(key: str = "c-1", **fields) -> dict:
    return {"type": "contact", "source": {"connection": "crm", "object_type": "company",
                                          "external_id": "acct_77"},
            "name": "Kiwi Widgets Limited", "kind": "customer",
            "emails": ["accounts@kiwi.example"], "idempotency_key": key, **fields}


def _contacts(xero) -> list[dict]:
    return list(xero.org.records["Contacts"].values())


def test_a_new_contact_carries_our_id_and_is_pushed_once(ledger, xero):
    connector = connect(ledger, xero)
    first = connector.write("push_contact", _contact(tax_id="123-456-789"))
    again = connector.write("push_contact", _contact("c-2", tax_id="123-456-789"))
    (stored,) = _contacts(xero)
    assert first.external_id == again.external_id == stored["ContactID"]
    assert (stored["ContactNumber"], stored["TaxNumber"], stored["IsCustomer"]) == (
        "acct_77", "123-456-789", True)


@pytest.mark.parametrize(("theirs", "evidence"), [
    ({"Name": "KW Ltd", "TaxNumber": "123456789"}, "same tax id"),
    ({"Name": "Kiwi (accounts)", "EmailAddress": "Accounts@Kiwi.example"}, "same email"),
    ({"Name": "Kiwi Widgets Ltd."}, "same name"),
])
def test_an_existing_contact_is_linked_not_duplicated(ledger, xero, theirs, evidence):
    existing = xero.user("Contacts", **theirs)
    ours = _contact(tax_id="123-456-789") if "TaxNumber" in theirs else _contact()
    result = connect(ledger, xero).write("push_contact", ours)
    (stored,) = _contacts(xero)
    assert result.external_id == existing["ContactID"]
    assert result.details["linked"].startswith(evidence)
    assert stored["ContactNumber"] == "acct_77" and stored["Name"] == theirs["Name"]


def test_an_ambiguous_name_is_refused_and_nothing_is_created(ledger, xero):
    xero.user("Contacts", Name="Kiwi Widgets Ltd")
    xero.user("Contacts", Name="KIWI WIDGETS")
    with pytest.raises(FatalError, match="could be any of 2 Xero contacts with the same name"):
        connect(ledger, xero).write("push_contact", _contact(emails=[]))
    assert len(_contacts(xero)) == 2
