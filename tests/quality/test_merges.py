"""Merge proposals stored and decided: accept makes aliases, undo removes exactly those."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ledgerbridge.quality import (
    MergeError,
    accept,
    canonical_contacts,
    merge_records,
    merges,
    undo,
)
from ledgerbridge.quality.merges import resolve_contacts
from ledgerbridge.store.tables import contact_aliases, contacts
from tests.quality.books import AWS, connect, contact, dirty_books, store


def snapshot(ledger) -> tuple[set, set]:
    """Every alias and every active contact: what an undo must restore."""
    with ledger.engine.connect() as conn:
        aliases = {tuple(r) for r in conn.execute(select(
            contact_aliases.c.contact_id, contact_aliases.c.kind, contact_aliases.c.value))}
        active = {tuple(r) for r in conn.execute(
            select(contacts.c.id, contacts.c.name).where(contacts.c.active))}
    return aliases, active


def aws_proposal(ledger):
    (merge,) = [m for m in merges(ledger) if "crm:aws-1" in dict(m.members)]
    return merge


@pytest.fixture
def aws_books(ledger):
    connect(ledger, "crm", "books", "xero")
    for record in AWS:
        store(ledger, record["source"]["connection"], [record])
    store(ledger, "crm", [contact("crm", "amz-r", "Amazon.com, Inc.",
                                  emails=["orders@amazon.com"])])
    return ledger


def test_resolution_proposes_and_accepting_makes_one_contact(aws_books):
    result = resolve_contacts(aws_books)
    assert (result.records, result.proposals) == (4, 1)
    merge = accept(aws_books, aws_proposal(aws_books).id)
    assert merge.status == "accepted"
    (made,) = canonical_contacts(aws_books)
    assert made.id == merge.contact_id
    assert made.name == "Amazon Web Services"
    assert made.records == ("books:aws-2", "crm:aws-1", "xero:aws-3")
    assert set(made.names) == {"amazon web service", "aws"}
    assert resolve_contacts(aws_books).proposals == 0  # nothing left to merge


def test_undo_restores_exactly_what_was_before(aws_books):
    resolve_contacts(aws_books)
    before = snapshot(aws_books)
    merge = accept(aws_books, aws_proposal(aws_books).id)
    assert snapshot(aws_books) != before
    assert undo(aws_books, merge.id).status == "undone"
    assert snapshot(aws_books) == before
    with pytest.raises(MergeError, match="is undone, not a proposal"):
        accept(aws_books, merge.id)
    assert resolve_contacts(aws_books).proposals == 1  # proposed again, decided again


def test_learned_names_join_later_records_and_undo_goes_in_order(aws_books):
    store(aws_books, "xero", [contact("xero", "aws-ie", "AWS", addresses=[{"country": "IE"}])])
    resolve_contacts(aws_books)
    first = aws_proposal(aws_books)
    assert "xero:aws-ie" not in dict(first.members)  # Irish "AWS": no evidence yet
    first = accept(aws_books, first.id)

    resolve_contacts(aws_books)
    (second,) = merges(aws_books)
    assert second.contact_id == first.contact_id
    assert "name learned from a merge" in second.reasons
    second = accept(aws_books, second.id)
    (made,) = canonical_contacts(aws_books)
    assert "xero:aws-ie" in made.records

    with pytest.raises(MergeError, match=f"merge {second.id} extended the same contact"):
        undo(aws_books, first.id)
    undo(aws_books, second.id)
    undo(aws_books, first.id)
    assert canonical_contacts(aws_books) == []


def test_decisions_on_the_wrong_merge_are_refused(aws_books):
    resolve_contacts(aws_books)
    proposal = aws_proposal(aws_books)
    with pytest.raises(MergeError, match="only an accepted merge can be undone"):
        undo(aws_books, proposal.id)
    with pytest.raises(MergeError, match="no merge 999"):
        accept(aws_books, 999)
    accept(aws_books, proposal.id)
    with pytest.raises(MergeError, match="is accepted, not a proposal"):
        accept(aws_books, proposal.id)


def test_a_merge_by_hand_joins_what_resolution_keeps_apart(aws_books):
    resolve_contacts(aws_books)
    aws = accept(aws_books, aws_proposal(aws_books).id)
    before = snapshot(aws_books)
    by_hand = merge_records(aws_books, ["crm:amz-r", "crm:aws-1"])
    assert (by_hand.status, by_hand.contact_id) == ("accepted", aws.contact_id)
    assert by_hand.reasons == ("merged by hand",)
    (made,) = canonical_contacts(aws_books)
    assert "crm:amz-r" in made.records
    assert resolve_contacts(aws_books).proposals == 0  # the merge is remembered
    undo(aws_books, by_hand.id)
    assert snapshot(aws_books) == before


def test_a_merge_by_hand_needs_known_separate_records(aws_books):
    with pytest.raises(MergeError, match="no current contact crm:nope"):
        merge_records(aws_books, ["crm:aws-1", "crm:nope"])
    with pytest.raises(MergeError, match="at least two records"):
        merge_records(aws_books, ["crm:aws-1", "crm:aws-1"])
    merge_records(aws_books, ["crm:aws-1", "books:aws-2"])
    merge_records(aws_books, ["xero:aws-3", "crm:amz-r"])
    with pytest.raises(MergeError, match="belong to contacts 1, 2"):
        merge_records(aws_books, ["crm:aws-1", "xero:aws-3"])


def test_a_proposal_made_stale_by_an_undo_is_refused(aws_books):
    store(aws_books, "xero", [contact("xero", "aws-ie", "AWS", addresses=[{"country": "IE"}])])
    resolve_contacts(aws_books)
    first = accept(aws_books, aws_proposal(aws_books).id)
    resolve_contacts(aws_books)
    (extension,) = merges(aws_books)
    undo(aws_books, first.id)
    with pytest.raises(MergeError, match="out of date"):
        accept(aws_books, extension.id)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(3)), taken=st.integers(min_value=1, max_value=3))
def test_any_accepts_undone_in_reverse_restore_everything(ledger, order, taken):
    if not canonical_contacts(ledger) and not merges(ledger, None):
        dirty_books(ledger)  # the first example stores the books; each leaves them as found
    resolve_contacts(ledger)
    proposals = merges(ledger)
    before = snapshot(ledger)
    accepted = [accept(ledger, proposals[i].id) for i in order[:taken]]
    assert len(canonical_contacts(ledger)) == taken
    for merge in reversed(accepted):
        undo(ledger, merge.id)
    assert snapshot(ledger) == before
