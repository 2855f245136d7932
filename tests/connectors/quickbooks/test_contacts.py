"""Pushing customers and vendors: link to the company's own record before creating one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.contact_match import ContactFacts, ContactMatch, match_contact
from ledgerbridge.sync.errors import FatalError
from tests.connectors.quickbooks.conftest import connector_for


def _contact(**fields):
    return {"external_id": "cus_42", "name": "Acme Corporation", "kind": "customer",
            "email": "ap@acme.example", **fields}


def _customers(qbo):
    return list(qbo.company.records["Customer"].values())


def test_a_new_customer_is_created_with_our_id_and_found_again(local_books, qbo):
    connector = connector_for(local_books, qbo)
    first = connector.write("push_contact", _contact(tax_id="12-3456789"))
    again = connector.write("push_contact", _contact(tax_id="12-3456789"))
    (stored,) = _customers(qbo)
    assert first.external_id == again.external_id == stored["Id"]
    assert (stored["AcctNum"], stored["PrimaryTaxIdentifier"]) == ("cus_42", "12-3456789")
    assert "linked" in again.details  # the second push found it by our id


@pytest.mark.parametrize(("theirs", "ours", "evidence"), [
    ({"DisplayName": "Acme Corp (old)", "PrimaryTaxIdentifier": "123456789"},
     {"tax_id": "12-3456789", "email": None}, "same tax id"),
    ({"DisplayName": "Acme Holdings", "PrimaryEmailAddr": {"Address": "AP@Acme.example"}},
     {}, "same email"),
    ({"DisplayName": "ACME Corporation, Inc."}, {"email": None}, "same name"),
])
def test_an_existing_customer_is_linked_not_duplicated(local_books, qbo, theirs, ours, evidence):
    existing = qbo.save("Customer", **theirs)
    result = connector_for(local_books, qbo).write("push_contact", _contact(**ours))
    (stored,) = _customers(qbo)
    assert result.external_id == existing["Id"] and result.details["linked"].startswith(evidence)
    assert stored["AcctNum"] == "cus_42" and stored["DisplayName"] == theirs["DisplayName"]


def test_a_vendor_is_looked_for_among_vendors_only(local_books, qbo):
    qbo.save("Customer", DisplayName="Acme Corporation")
    result = connector_for(local_books, qbo).write("push_contact", _contact(kind="vendor"))
    (vendor,) = qbo.company.records["Vendor"].values()
    assert result.external_id == vendor["Id"] and len(_customers(qbo)) == 1


def test_an_ambiguous_match_is_refused_naming_the_candidates(local_books, qbo):
    one = qbo.save("Customer", DisplayName="Acme Corporation Ltd")
    two = qbo.save("Customer", DisplayName="ACME Corporation LLC")
    with pytest.raises(FatalError, match="could be any of 2 QuickBooks contacts with the same "
                                         "name") as info:
        connector_for(local_books, qbo).write("push_contact", _contact(email=None))
    assert one["Id"] in str(info.value) and two["Id"] in str(info.value)
    assert len(_customers(qbo)) == 2 and not any(c.get("AcctNum") for c in _customers(qbo))


def test_a_contact_without_a_kind_is_refused(local_books, qbo):
    with pytest.raises(FatalError, match="kind customer or vendor"):
        connector_for(local_books, qbo).write("push_contact", _contact(kind="partner"))


_names = st.sampled_from(["Acme Corp", "ACME Corporation", "Globex Ltd", "Initech GmbH",
                          "Umbrella plc", "Hooli", "Acme Corp Inc"])
_theirs = st.lists(st.builds(
    ContactFacts, id=st.uuids().map(str), name=_names,
    reference=st.sampled_from([None, "cus_1", "cus_2"]),
    tax_id=st.sampled_from([None, "12-345", "99-999"]),
    email=st.sampled_from([None, "ap@acme.example", "x@globex.example"])), max_size=6)


@settings(max_examples=200, deadline=None)
@given(theirs=_theirs, name=_names, data=st.data())
def test_the_match_never_depends_on_the_order_of_the_contacts(theirs, name, data):
    ours = ContactFacts("", name, "cus_1", "12345", "AP@acme.example")
    shuffled = data.draw(st.permutations(theirs))
    outcomes = []
    for pool in (theirs, shuffled):
        try:
            outcomes.append(match_contact(ours, pool, system="QuickBooks"))
        except FatalError as exc:
            outcomes.append(exc.reason.split(":")[0])
    assert outcomes[0] == outcomes[1]
    found = outcomes[0]
    referenced = [t.id for t in theirs if t.reference == "cus_1"]
    if len(referenced) == 1:  # our id in their reference field decides before anything else
        assert isinstance(found, ContactMatch) and found.id == referenced[0]
    elif referenced:
        assert isinstance(found, str) and "with the same reference" in found
