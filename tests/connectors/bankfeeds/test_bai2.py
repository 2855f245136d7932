"""BAI2 parser against bank sample files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ledgerbridge.connectors.bankfeeds.bai2 import BAI2
from ledgerbridge.connectors.bankfeeds.statement import StatementError
from ledgerbridge.money import Money

BANK = Path(__file__).resolve().parents[3].parent / "shared" / "specs" / "bank"
SAMPLES = BANK / "bai2"
pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"BAI2 sample files not found at {SAMPLES}"
)
FILES = sorted(SAMPLES.glob("*.bai2")) if SAMPLES.is_dir() else []


def _parse(name: str):
    return BAI2.parse((SAMPLES / name).read_bytes())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_sample_parses(path: Path) -> None:
    data = path.read_bytes()
    assert BAI2.identify(data)
    statements = BAI2.parse(data)
    assert statements
    for st in statements:
        assert st.account and st.format == "bai2"
        for line in st.lines:
            assert line.amount.currency == st.currency
            assert line.raw.startswith("16,")


def test_five_samples_present() -> None:
    assert len(FILES) == 5


def test_sample1_figures() -> None:
    first, second = _parse("sample1.bai2")
    assert (first.account, first.currency) == ("10200123456", "CAD")  # from the 03 record
    assert len(first.lines) == 11 and len(second.lines) == 6
    line = first.lines[0]
    assert line.amount == Money(-2500, "CAD")  # 409 is a debit
    assert line.booking_date == dt.date(2006, 3, 17)  # group as-of date
    assert line.value_date == dt.date(2006, 3, 16)  # funds type V
    assert line.description == "RETURNED CHEQUE"
    assert line.kind == "409"
    assert second.lines[0].amount == Money(11500, "CAD")  # 108 is a credit
    # 100 total credits 2085.00 and 400 total debits 2085.00 on the 88 of the first account.
    credits = sum(x.amount.minor for x in first.lines if x.amount.minor > 0)
    assert credits == 208500
    assert sum(x.amount.minor for x in first.lines) == 0


def test_sample2_continuations_and_default_currency() -> None:
    statements = _parse("sample2.bai2")
    assert [s.account for s in statements] == [
        "0123456789",
        "9876543210",
        "4589761203",
        "0975312468",
        "7890654321",
    ]
    assert all(s.currency == "USD" for s in statements)  # 02 record leaves it empty
    assert statements[1].opening.amount == Money(-500000, "USD")
    assert statements[1].lines[0].description == "LOCK BOX NO.68751"
    wire = statements[2].lines[0]
    assert wire.amount == Money(20000000, "USD")
    assert wire.bank_reference == "SP4738"
    assert wire.end_to_end_id == "YRC065321"
    assert wire.description == "PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO"  # from the 88


def test_sample3_records_on_one_line_and_balances() -> None:
    statements = _parse("sample3.bai2")
    assert len(statements) == 15
    first = statements[0]
    assert first.opening.amount == Money(-3500, "USD")
    assert first.closing.amount == Money(-3600, "USD")
    assert [x.amount.minor for x in first.lines] == [2500, 500, 100, -2500, -600, -100]
    assert first.lines[0].description == "TRANSFER PAYPAL PPD"
    for st in statements:
        total = sum((x.amount for x in st.lines), Money.zero(st.currency))
        assert st.opening.amount + total == st.closing.amount, st.account
    wire = statements[9].lines[0]
    assert wire.amount == Money(13855, "USD")
    assert wire.description.endswith("FOSTER CITY CA 94404")


def test_sample4_newline_delimited_continuations() -> None:
    statements = _parse("sample4-continuations-newline-delimited.bai2")
    assert len(statements) == 5
    account = statements[2]
    assert account.account == "104108339"
    assert account.opening.amount == Money(159581194, "USD")
    assert account.closing.amount == Money(159381194, "USD")
    assert len(account.lines) == 14
    first = account.lines[0]
    assert first.amount == Money(-200000, "USD")  # 557 debit
    assert first.bank_reference == "SB2322600000214"
    assert first.end_to_end_id == "021000080000030"
    assert "EREF: 021000080000030" in first.description  # 88 text kept
    assert account.lines[-1].amount == Money(-30000000, "USD")


def test_sample5_colon_continuation_and_slash_in_reference() -> None:
    account = _parse("sample5-issue113.bai2")[1]
    assert account.lines[2].end_to_end_id == "AB/GS/RPFILERP0001/RPBA0001"
    main = _parse("sample5-issue113.bai2")[2]
    assert len(main.lines) == 17
    check_return = main.lines[6]
    assert check_return.amount == Money(931, "USD")  # 255 is a credit
    assert "EREF: 07370568132" in check_return.description  # "88:" record


def test_identify_refuses_other_formats() -> None:
    others = sorted((BANK / "camt").glob("*.xml")) + sorted((BANK / "mt940").glob("*.sta"))
    assert others
    for path in others:
        assert not BAI2.identify(path.read_bytes()), path.name


SMALL = (
    "01,SENDER,RECEIVER,240105,1200,F1,,,2/\n"
    "02,RECEIVER,SENDER,1,240105,,EUR,2/\n"
    "03,ACC1,,010,1000,,,015,{closing},,/\n"
    "16,{code},250,0,BREF,CREF,{text}/\n"
    "49,1250,3/\n98,1250,1,5/\n99,1250,1,7/\n"
)


def test_small_file_in_group_currency() -> None:
    [st] = BAI2.parse(SMALL.format(closing=1250, code=175, text="DEPOSIT").encode())
    assert st.currency == "EUR"
    assert st.statement_id == "F1"
    assert st.lines[0].amount == Money(250, "EUR")
    assert st.opening.amount + st.lines[0].amount == st.closing.amount


def test_unknown_type_code_names_the_record() -> None:
    with pytest.raises(StatementError) as info:
        BAI2.parse(SMALL.format(closing=750, code=777, text="X").encode())
    assert "777" in str(info.value)
    assert info.value.record is not None


def test_bad_amount_names_the_record() -> None:
    data = SMALL.format(closing=750, code=475, text="X").replace(",250,", ",2x0,").encode()
    with pytest.raises(StatementError) as info:
        BAI2.parse(data)
    assert info.value.record.startswith("record 4")


def test_not_bai2() -> None:
    with pytest.raises(StatementError, match="01 record"):
        BAI2.parse(b"hello\n")
