"""Cursors and field gaps: pure functions, checked as properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.documents import parse_document
from ledgerbridge.unified import BadRequest, FieldGap, Record, Unsupported
from ledgerbridge.unified.cursor import Position, decode, encode
from ledgerbridge.unified.gaps import check_gaps, used_gaps
from ledgerbridge.unified.package import page_of

_BASE = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
positions = st.builds(
    Position,
    st.one_of(st.none(), st.integers(0, 5).map(lambda s: _BASE + dt.timedelta(seconds=s))),
    st.integers(1, 10_000).map(str))


@given(positions)
def test_a_cursor_names_the_position_it_was_made_from(position):
    assert decode(encode(position)) == position


@pytest.mark.parametrize("junk", ["", "nope", "WzEsMl0", "bnVsbA"])
def test_a_cursor_we_did_not_make_is_refused(junk):
    with pytest.raises(BadRequest, match="not a cursor this API handed out"):
        decode(junk)


def _record(position: Position) -> Record:
    contact = parse_document({"type": "contact", "name": "A", "kind": "customer", "source": {
        "connection": "x", "object_type": "c", "external_id": position.id}})
    return Record(id=position.id, kind="contacts", connection="x", version="1",
                  updated_at=position.updated_at, data=contact)


@given(st.lists(positions, unique_by=lambda p: p.id, max_size=30), st.integers(1, 7))
def test_following_cursors_returns_every_record_once_in_order(raws, limit):
    seen: list[str] = []
    position = None
    while True:
        page = page_of(raws, position=position, limit=limit, key=lambda p: p, record=_record)
        seen += [r.id for r in page.items]
        if page.next_cursor is None:
            break
        position = decode(page.next_cursor)
    ranked = sorted(raws, key=lambda p: (p.updated_at or dt.datetime.min.replace(
        tzinfo=dt.UTC), int(p.id)))
    assert seen == [p.id for p in ranked]


GAPS = (FieldGap(field="lines.*.tax_lines", reason="no tax"),
        FieldGap(field="emails.1", reason="one email"), FieldGap(field="memo", reason="no memo"))


def _invoice(**extra: object):
    return parse_document({
        "type": "invoice", "source": {"connection": "x", "object_type": "i", "external_id": "1"},
        "customer": {"external_id": "a"}, "issue_date": "2026-04-01", "currency": "USD",
        "lines": [{"amount": "10.00"}, {"amount": "5.00", "tax_lines": [
            {"jurisdiction": "GB", "amount": "1.00"}]}], **extra})


def test_only_the_gaps_a_document_uses_are_named():
    assert [g.field for g in used_gaps(_invoice(), GAPS)] == ["lines.*.tax_lines"]
    assert [g.field for g in used_gaps(_invoice(memo="hi"), GAPS)] == [
        "lines.*.tax_lines", "memo"]
    two = parse_document({"type": "contact", "name": "A", "kind": "customer",
                          "emails": ["a@x.example", "b@x.example"], "source": {
                              "connection": "x", "object_type": "c", "external_id": "1"}})
    assert [g.field for g in used_gaps(two, GAPS)] == ["emails.1"]


def test_a_gap_refuses_the_write_unless_the_caller_accepts_the_loss():
    with pytest.raises(Unsupported, match=r"invoice 1: Pkg cannot carry lines\.\*\.tax_lines"):
        check_gaps(_invoice(), GAPS, adapter="Pkg", accept=False)
    assert check_gaps(_invoice(), GAPS, adapter="Pkg", accept=True) == GAPS[:1]
