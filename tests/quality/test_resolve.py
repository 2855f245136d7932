"""Entity resolution: strong keys, names, and negative evidence that keeps companies apart."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.documents import parse_document
from ledgerbridge.documents.common import Address
from ledgerbridge.quality.names import name_forms
from ledgerbridge.quality.records import ContactRecord
from ledgerbridge.quality.resolve import Known, resolve
from tests.quality.books import AWS


def rec(key: str, name: str, *, country: str | None = None, **fields) -> ContactRecord:
    connection, external_id = key.split(":")
    addresses = (Address(country=country),) if country else ()
    return ContactRecord(connection, external_id, name, addresses=addresses, **fields)


def groups(records, known=None) -> set[frozenset[str]]:
    return {frozenset(r.key for r in c.records) for c in resolve(records, known)}


AMAZONS = [
    rec("crm:1", "Amazon Web Services", emails=("billing@aws.amazon.com",)),
    rec("books:2", "AWS EMEA SARL", country="LU", emails=("aws-emea@aws.amazon.com",)),
    rec("xero:3", "AMAZON WEB SERVICES INC", country="US"),
    rec("books:4", "aws.amazon.com"),
    rec("crm:5", "Amazon.com", country="US"),
    rec("xero:6", "Amazon.com, Inc.", country="US", emails=("orders@amazon.com",)),
]


def test_four_names_of_aws_are_one_vendor_and_the_retailer_another():
    assert groups(AMAZONS) == {frozenset({"crm:1", "books:2", "xero:3", "books:4"}),
                               frozenset({"crm:5", "xero:6"})}


def test_the_sample_books_spell_aws_three_ways():
    records = [ContactRecord.of(parse_document(d)) for d in AWS]
    (cluster,) = resolve(records)
    assert cluster.name == "Amazon Web Services"
    assert cluster.confidence >= 85


def test_subsidiaries_with_different_tax_numbers_stay_apart():
    records = [rec("crm:1", "Acme GmbH", tax_id="DE136695976"),
               rec("xero:2", "Acme Inc", tax_id="12-3456789"),
               rec("books:3", "ACME")]
    found = groups(records)
    assert frozenset({"crm:1", "xero:2"}) not in found
    assert not any({"crm:1", "xero:2"} <= g for g in found)  # no chain through books:3


def test_shared_names_in_different_countries_stay_apart():
    records = [rec("crm:1", "Summit Consulting", country="GB"),
               rec("xero:2", "Summit Consulting Ltd", country="GB"),
               rec("books:3", "Summit Consulting BV", country="NL")]
    assert groups(records) == {frozenset({"crm:1", "xero:2"}), frozenset({"books:3"})}


def test_free_mail_domains_are_no_evidence():
    records = [rec("crm:1", "Jane's Bakery", emails=("jane@gmail.com",)),
               rec("xero:2", "Northwind Plumbing", emails=("bob@gmail.com",))]
    assert len(groups(records)) == 2


def test_typos_and_abbreviations_still_match():
    records = [rec("crm:1", "Harbor Rock Industries Ltd"),
               rec("xero:2", "Harbor Rock Industtries Ltd"),
               rec("books:3", "Harbor Rock Intl"),
               rec("books:4", "Harbor Rock International Limited")]
    assert groups(records) == {frozenset({"crm:1", "xero:2"}), frozenset({"books:3", "books:4"})}


def test_a_learned_alias_joins_a_new_record_to_its_contact():
    known = Known(records={"crm:1": 7, "books:2": 7}, names={name_forms("Zeta Logistics").core: 7})
    records = [rec("crm:1", "Omega Freight"), rec("books:2", "Omega Freight GmbH"),
               rec("xero:3", "Zeta Logistics")]
    (cluster,) = resolve(records, known)
    assert cluster.contact_id == 7
    assert cluster.units == 2
    assert "name learned from a merge" in cluster.reasons


def test_two_accepted_contacts_are_never_joined():
    known = Known(records={"crm:1": 1, "xero:2": 2})
    records = [rec("crm:1", "Initech"), rec("xero:2", "Initech")]
    assert len(resolve(records, known)) == 2


names = st.sampled_from(["Acme", "Acme GmbH", "ACME INC", "Acme Corp", "Globex", "Globex Ltd",
                         "acme.com", "Initech", "Initech GmbH"])
taxes = st.sampled_from([None, "DE136695976", "12-3456789", "DE811569869"])
records_strategy = st.lists(st.tuples(names, taxes), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(records_strategy)
def test_clusters_partition_the_records_and_never_hold_two_tax_numbers(items):
    records = [rec(f"s{i % 3}:{i}", name, tax_id=tax) for i, (name, tax) in enumerate(items)]
    clusters = resolve(records)
    keys = [r.key for c in clusters for r in c.records]
    assert sorted(keys) == sorted(r.key for r in records)
    for c in clusters:
        assert len({r.tax_key for r in c.records if r.tax_key}) <= 1
