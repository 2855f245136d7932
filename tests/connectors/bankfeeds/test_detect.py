from pathlib import Path

import pytest

from ledgerbridge.connectors.bankfeeds.csv_profiles import CsvProfile
from ledgerbridge.connectors.bankfeeds.detect import FORMATS, read_statements
from ledgerbridge.connectors.bankfeeds.ofx import OFX
from ledgerbridge.connectors.bankfeeds.statement import StatementError
from ledgerbridge.money import Money

SAMPLES = Path(__file__).parent / "samples"


def read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.mark.parametrize(
    "sample, fmt, count, lines",
    [
        ("chase_checking_102.ofx", "ofx", 1, 5),
        ("bofa_visa.qfx", "ofx", 1, 4),
        ("wells_two_accounts_v2.ofx", "ofx", 2, 5),
        ("us_checking_debit_credit.csv", "csv:us-debit-credit", 1, 5),
        ("de_girokonto.csv", "csv:de-semicolon", 1, 5),
        ("signed_amount_balance.csv", "csv:signed-amount", 1, 5),
    ],
)
def test_detects_samples(sample: str, fmt: str, count: int, lines: int) -> None:
    statements = read_statements(read(sample), name=sample)
    assert [s.format for s in statements] == [fmt] * count
    assert sum(len(s.lines) for s in statements) == lines


def test_formats_list() -> None:
    assert OFX in FORMATS
    assert all(hasattr(fmt, "identify") and hasattr(fmt, "parse") for fmt in FORMATS)


def test_given_profile_is_used() -> None:
    profile = CsvProfile(name="mybank", date="Posted", date_formats=("%Y%m%d",),
                         amount="Amt", description=("Payee",), default_currency="CAD")
    data = b"Posted,Payee,Amt\n20240105,Hydro One,-88.40\n"
    [stmt] = read_statements(data, csv_profile=profile)
    assert stmt.format == "csv:mybank"
    assert stmt.lines[0].amount == Money(-8840, "CAD")
    # Without the profile nothing recognizes it.
    with pytest.raises(StatementError) as info:
        read_statements(data, name="export.csv")
    assert info.value.record == "export.csv"
    assert ("tried ofx, camt, mt940, bai2, csv:us-debit-credit, csv:de-semicolon, "
            "csv:signed-amount") in str(info.value)


def test_unrecognized_with_profile_says_why() -> None:
    profile = CsvProfile(name="mybank", date="Posted", amount="Amt")
    with pytest.raises(StatementError) as info:
        read_statements(b"Date,Text,Value\n2024-01-01,x,1\n", csv_profile=profile)
    assert str(info.value) == (
        "no statement format recognizes the file (tried ofx, camt, mt940, bai2, csv:mybank); "
        "CSV profile 'mybank': "
        "no header row with columns ['Amt', 'Posted'] in the first 30 lines"
    )


def test_parse_errors_carry_the_file_name() -> None:
    with pytest.raises(StatementError) as info:
        read_statements(read("malformed_bad_amount.ofx"), name="feb.ofx")
    assert info.value.record == "feb.ofx: STMTRS 555000111, STMTTRN 2 (FITID A-2)"
    bad = read("signed_amount_balance.csv").replace(b"-61.20", b"-61.2O")
    with pytest.raises(StatementError) as info:
        read_statements(bad, name="april.csv")
    assert info.value.record == "april.csv: csv:signed-amount row 4"
    assert info.value.reason == "Amount '-61.2O' is not a number"


def test_empty_and_binary_input() -> None:
    with pytest.raises(StatementError, match="no statement format"):
        read_statements(b"")
    with pytest.raises(StatementError, match="no statement format"):
        read_statements(b"\x89PNG\r\n\x1a\n\x00\x00")


SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "specs" / "bank"


@pytest.mark.skipif(not SPECS.exists(), reason="the shared bank sample files are not present")
@pytest.mark.parametrize(("folder", "expected"), [
    ("camt", "camt"), ("mt940", "mt94"), ("bai2", "bai2"),
])
def test_every_shared_sample_is_detected(folder, expected):
    files = [p for p in (SPECS / folder).iterdir() if not p.name.startswith("LICENSE")]
    assert files
    for path in files:
        statements = read_statements(path.read_bytes(), name=path.name)
        assert statements, path.name
        assert all(s.format.startswith(expected) for s in statements), path.name
