"""MT940/MT942 parser against bank sample files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ledgerbridge.connectors.bankfeeds.mt940 import MT940
from ledgerbridge.connectors.bankfeeds.statement import StatementError
from ledgerbridge.money import Money

BANK = Path(__file__).resolve().parents[3].parent / "shared" / "specs" / "bank"
SAMPLES = BANK / "mt940"
pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"MT940 sample files not found at {SAMPLES}"
)
FILES = sorted(SAMPLES.glob("*.sta")) if SAMPLES.is_dir() else []


def _parse(name: str):
    return MT940.parse((SAMPLES / name).read_bytes())


def _balances(name: str, index: int) -> None:
    st = _parse(name)[index]
    total = sum((line.amount for line in st.lines), Money.zero(st.currency))
    assert st.opening.amount + total == st.closing.amount


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_sample_parses(path: Path) -> None:
    data = path.read_bytes()
    assert MT940.identify(data)
    statements = MT940.parse(data)
    assert statements
    for st in statements:
        assert st.account and st.currency
        for line in st.lines:
            assert line.raw.startswith(":61:")
            assert line.value_date is not None


def test_eleven_samples_present() -> None:
    assert len(FILES) == 11


@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("generic.sta", 0),
        ("generic.sta", 1),
        ("knab.sta", 0),
        ("mbank.sta", 0),
        ("postfinance.sta", 0),
        ("rabobank-iban.sta", 0),
        ("rabobank-iban.sta", 1),
        ("rabobank.sta", 3),
        ("sns.sta", 0),
        ("sns.sta", 1),
    ],
)
def test_opening_plus_lines_is_closing(name: str, index: int) -> None:
    _balances(name, index)


def test_abnamro_figures() -> None:
    first, second = _parse("abnamro.sta")
    assert first.account == "517852257"
    assert first.statement_id == "19321/1"
    assert first.opening.amount == Money(323628, "EUR")
    assert first.opening.date == dt.date(2011, 5, 22)
    assert first.closing.amount == Money(87684, "EUR")
    assert len(first.lines) == 8
    assert first.lines[0].amount == Money(-900, "EUR")  # "9," has no decimals
    assert first.lines[0].description.endswith("INCL. 1,44 BTW")
    assert first.lines[-1].amount == Money(-14148, "EUR")
    assert first.lines[1].value_date == dt.date(2011, 5, 21)
    assert first.lines[1].booking_date == dt.date(2011, 5, 23)  # :61: entry date
    # :60M:/:62M: intermediate balances, :28C: number.
    assert second.statement_id == "19322/1"
    assert second.opening.amount == Money(287684, "EUR")
    assert second.closing.amount == Money(184975, "EUR")


def test_ing_statement_level_86_and_trailer_not_glued_to_last_line() -> None:
    [st] = _parse("ing.sta")
    assert len(st.lines) == 7
    last = st.lines[-1]
    assert last.amount == Money(100, "EUR")
    assert last.description.endswith("Betaling transactiedatum: 22-07-2010")
    assert "D000004C000002" not in last.description
    assert "-XXX" not in last.description
    assert st.lines[2].bank_reference == "TMG TANGO"  # customer reference of :61:


def test_knab_counterparty_and_bank_reference() -> None:
    second = _parse("knab.sta")[1]
    assert [line.amount.minor for line in second.lines] == [-726000, 50000]
    line = second.lines[0]
    assert line.bank_reference == "B4G29PGCVO7Q06US"
    assert line.counterparty == "PICQER"
    assert line.counterparty_account == "NL65INGB0123456789"


def test_rabobank_structured_86() -> None:
    line = _parse("rabobank-iban.sta")[0].lines[0]
    assert line.amount == Money(-2500, "EUR")
    assert line.counterparty == "CONTRA ACCOUNT HOLDER"  # joined across the 65-char wrap
    assert line.counterparty_account == "NL70ABNA0987654321"
    assert line.end_to_end_id == "01-01-2013 12:00 0030000987654321"
    assert line.kind == "N102"


def test_rabobank_classic_counterparty_on_61() -> None:
    line = _parse("rabobank.sta")[0].lines[0]
    assert line.amount == Money(-121328, "EUR")
    assert line.counterparty == "W.P. Jansen"
    assert line.counterparty_account == "0121470966"
    assert line.description.splitlines() == [
        "Terugboeking",
        "NIET AKKOORD MET AFSCHRIJVING",
        "KOSTEN KINDEROPVANG JUNI",
        "20095731",
    ]


def test_mbank_mt942_is_pending() -> None:
    [st] = _parse("mbank-mt942.sta")
    assert st.format == "mt942"
    assert st.opening is None and st.closing is None
    assert st.currency == "PLN"
    assert [line.pending for line in st.lines] == [True, True, True]
    assert [line.bank_reference for line in st.lines] == [
        "MB170119012058",
        "MB170119012085",
        "MB170119012121",
    ]
    assert st.lines[0].counterparty == "JAN NOWAK"
    assert st.lines[0].counterparty_account == "56114010810000267002001001"
    [final] = _parse("mbank.sta")
    assert final.format == "mt940"
    assert not any(line.pending for line in final.lines)


def test_entry_date_across_new_year() -> None:
    data = (
        b":20:NY\n:25:NL00TEST0123456789\n:28C:1/1\n:60F:C231231EUR10,00\n"
        b":61:2312310102D1,25NTRFNONREF//B1\n:86:NEW YEAR\n:62F:C240102EUR8,75\n"
    )
    [st] = MT940.parse(data)
    [line] = st.lines
    assert line.value_date == dt.date(2023, 12, 31)
    assert line.booking_date == dt.date(2024, 1, 2)
    assert line.bank_reference == "B1"
    assert st.opening.amount + line.amount == st.closing.amount


def test_identify_refuses_other_formats() -> None:
    others = sorted((BANK / "camt").glob("*.xml")) + sorted((BANK / "bai2").glob("*.bai2"))
    assert others
    for path in others:
        assert not MT940.identify(path.read_bytes()), path.name


def test_malformed_balance_names_the_tag() -> None:
    data = b":20:X\n:25:1\n:28C:1\n:60F:C230101EUR1,00\n:61:230101D1,00NTRFNONREF\n:62F:CXX\n"
    with pytest.raises(StatementError) as info:
        MT940.parse(data)
    assert info.value.record == ":62F:"


def test_missing_account_names_the_statement() -> None:
    data = b":20:REF1\n:28C:1\n:60F:C230101EUR1,00\n:62F:C230101EUR1,00\n"
    with pytest.raises(StatementError, match=":25:") as info:
        MT940.parse(data)
    assert ":20:REF1" in info.value.record


def test_no_tags_at_all() -> None:
    with pytest.raises(StatementError, match="no SWIFT tags"):
        MT940.parse(b"hello")
