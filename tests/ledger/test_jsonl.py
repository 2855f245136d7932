import datetime as dt
from decimal import Decimal

import pytest

from ledgerbridge.ledger import Lineage, PostingError
from ledgerbridge.ledger.jsonl import EntryReader, parse_entry
from ledgerbridge.money import Money


def test_contract_example():
    entry = parse_entry(
        {"date": "2026-01-31", "memo": "m",
         "lines": [{"account": "1000", "debit": "10.00", "currency": "USD"},
                   {"account": "4000", "credit": "10.00"}]},
        "USD",
    )
    assert entry.date == dt.date(2026, 1, 31)
    assert [(ln.account, ln.amount) for ln in entry.lines] == [
        ("1000", Money(1000, "USD")), ("4000", Money(-1000, "USD"))]


def test_optional_fields():
    entry = parse_entry(
        {"date": "2026-01-31", "key": "evt-1",
         "source": {"connection": "shop", "external_id": "o-1"},
         "lines": [{"account": "1100", "debit": "100", "currency": "EUR", "rate": "1.0857",
                    "party": "Acme", "due_date": "2026-03-01", "memo": "x"},
                   {"account": "4000", "credit": 100, "currency": "EUR", "rate": "1.0857"}]},
        "USD",
    )
    assert entry.idempotency_key == "evt-1"
    assert entry.lineage == Lineage(connection="shop", external_id="o-1")
    first = entry.lines[0]
    assert (first.rate, first.party, first.due_date) == (Decimal("1.0857"), "Acme",
                                                         dt.date(2026, 3, 1))


@pytest.mark.parametrize(("record", "message"), [
    ({"memo": "no date", "lines": []}, "missing date"),
    ({"date": "31/01/2026", "lines": []}, "not a date"),
    ({"date": "2026-01-31", "lines": []}, "non-empty list"),
    ({"date": "2026-01-31", "lines": [{"account": "1", "debit": "1", "credit": "1"}]},
     "exactly one of debit or credit"),
    ({"date": "2026-01-31", "lines": [{"account": "1"}]}, "exactly one of debit or credit"),
    ({"date": "2026-01-31", "lines": [{"debit": "1"}]}, "missing account"),
    ({"date": "2026-01-31", "lines": [{"account": "1", "debit": "1.001"}]},
     "more decimals than USD allows"),
    ({"date": "2026-01-31", "lines": [{"account": "1", "debit": "-5"}]}, "negative"),
    ({"date": "2026-01-31", "lines": [{"account": "1", "debit": "5", "currency": "ABC"}]},
     "unknown currency 'ABC'"),
    ({"date": "2026-01-31", "lines": [{"account": "1", "debit": "5", "rate": "-1"}]},
     "positive"),
    ({"date": "2026-01-31", "lines": [{"account": "1", "debit": "5", "colour": "red"}]},
     "unknown fields \\['colour'\\]"),
    (["not", "an", "object"], "JSON object"),
])
def test_bad_records(record, message):
    with pytest.raises(PostingError, match=message):
        parse_entry(record, "USD")


def test_json_numbers_are_read_exactly_never_as_floats():
    reader = EntryReader(['{"date":"2026-01-01","lines":[{"account":"1","debit":0.1},'
                          '{"account":"2","credit":0.10}]}'], "USD")
    (entry,) = list(reader)
    assert [ln.amount.minor for ln in entry.lines] == [10, -10]


def test_reader_names_file_lines_and_skips_blank_ones():
    good = ('{"date":"2026-01-01","lines":[{"account":"1","debit":"1"},'
            '{"account":"2","credit":"1"}]}')
    reader = EntryReader([good, "", "   ", good, "{broken"], "USD")
    with pytest.raises(PostingError) as info:
        list(reader)
    assert info.value.record == "line 5"
    assert "not valid JSON" in info.value.reason
    assert reader.line_of(2) == 4
