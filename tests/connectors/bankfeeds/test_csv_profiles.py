import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.bankfeeds.csv_profiles import (
    BUILTIN_PROFILES,
    CsvFormat,
    CsvProfile,
    load_profiles,
    save_profiles,
)
from ledgerbridge.connectors.bankfeeds.statement import Balance, StatementError
from ledgerbridge.money import Money

SAMPLES = Path(__file__).parent / "samples"


def read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def parse(profile: CsvProfile, data: bytes):
    return CsvFormat(profile).parse(data)


US = BUILTIN_PROFILES["us-debit-credit"]
DE = dataclasses.replace(BUILTIN_PROFILES["de-semicolon"], account="DE89370400440532013000")
SIGNED = BUILTIN_PROFILES["signed-amount"]


def test_us_debit_credit_newest_first() -> None:
    [stmt] = parse(US, read("us_checking_debit_credit.csv"))
    assert stmt.format == "csv:us-debit-credit"
    assert stmt.currency == "USD"
    assert [(ln.booking_date, ln.amount.minor) for ln in stmt.lines] == [
        (dt.date(2024, 3, 29), 245000),
        (dt.date(2024, 3, 27), -120000),
        (dt.date(2024, 3, 15), -8499),
        (dt.date(2024, 3, 15), 15000),
        (dt.date(2024, 3, 1), -1200),
    ]
    assert stmt.lines[3].description == "ZELLE FROM SMITH, JANE ON 03/15 REF # PP0X9Z"
    # Rows are newest first, so the running balance reads bottom-up.
    assert stmt.opening == Balance(dt.date(2024, 3, 1), Money(380933, "USD"))
    assert stmt.closing == Balance(dt.date(2024, 3, 29), Money(511234, "USD"))
    assert stmt.lines[1].raw == '03/27/2024,"CHECK # 1044",1044,"1,200.00",,"2,662.34"'


def test_german_decimal_comma_preamble_cp1252() -> None:
    [stmt] = parse(DE, read("de_girokonto.csv"))
    assert stmt.account == "DE89370400440532013000"
    assert stmt.currency == "EUR"
    assert [ln.amount for ln in stmt.lines] == [
        Money(-8600, "EUR"), Money(325000, "EUR"), Money(-115000, "EUR"),
        Money(-4783, "EUR"), Money(-495, "EUR"),
    ]
    rewe = stmt.lines[3]
    assert (rewe.booking_date, rewe.value_date) == (dt.date(2024, 3, 4), dt.date(2024, 3, 1))
    assert rewe.counterparty == "REWE Markt GmbH"
    assert rewe.description == "Kartenzahlung REWE SAGT DANKE 4471 04.03"
    assert stmt.lines[0].counterparty == "Stadtwerke München GmbH"
    assert stmt.lines[4].counterparty is None
    assert stmt.opening is None and stmt.closing is None


def test_german_explicit_skip_rows() -> None:
    [stmt] = parse(dataclasses.replace(DE, skip_rows=4), read("de_girokonto.csv"))
    assert len(stmt.lines) == 5
    with pytest.raises(StatementError, match="row 4: header lacks columns"):
        parse(dataclasses.replace(DE, skip_rows=3), read("de_girokonto.csv"))


def test_signed_amount_running_balance() -> None:
    [stmt] = parse(SIGNED, read("signed_amount_balance.csv"))
    assert [ln.amount.minor for ln in stmt.lines] == [100000, -475, -6120, 1999, -95000]
    assert [ln.bank_reference for ln in stmt.lines] == [
        "TX-100231", "TX-100245", "TX-100260", "TX-100261", "TX-100288"
    ]
    assert stmt.opening == Balance(dt.date(2024, 4, 1), Money(25050, "USD"))
    assert stmt.closing == Balance(dt.date(2024, 4, 5), Money(25454, "USD"))
    total = sum(ln.amount.minor for ln in stmt.lines)
    assert stmt.opening.amount.minor + total == stmt.closing.amount.minor


def test_currency_column_splits_statements() -> None:
    data = (
        "Buchungstag;Valuta;Auftraggeber / Empfänger;Buchungstext;Verwendungszweck;Betrag;Währung\n"
        "01.03.2024;01.03.2024;A;X;Y;-1,00;EUR\n"
        "02.03.2024;02.03.2024;B;X;Y;2.500;JPY\n"
        "03.03.2024;03.03.2024;C;X;Y;3,50;\n"
    ).encode("cp1252")
    eur, jpy = parse(DE, data)
    assert [ln.amount for ln in eur.lines] == [Money(-100, "EUR"), Money(350, "EUR")]
    assert [ln.amount for ln in jpy.lines] == [Money(2500, "JPY")]


@pytest.mark.parametrize(
    "cell, minor",
    [("1.234,56", 123456), ("-1.234,56", -123456), ("12,50-", -1250), ("(3,00)", -300),
     ("0,01", 1), ("1.000.000", 100000000), ("+7", 700), ("€ 12,30", 1230)],
)
def test_decimal_comma_amounts(cell: str, minor: int) -> None:
    profile = CsvProfile(name="t", date="D", date_formats=("%d.%m.%Y",), amount="A",
                         decimal=",", thousands=".", default_currency="EUR", delimiter=";")
    data = f'D;A\n01.01.2024;"{cell}"\n'.encode()
    assert parse(profile, data)[0].lines[0].amount == Money(minor, "EUR")


@pytest.mark.parametrize(
    "row, reason",
    [
        ('13/45/2024,"X",,1.00,,', "Date '13/45/2024' does not match %m/%d/%Y or %m/%d/%y"),
        ('03/01/2024,"X",,1.00,2.00,', "both of Debit and Credit are filled"),
        ('03/01/2024,"X",,,,', "neither of Debit and Credit are filled"),
        ('03/01/2024,"X",,1.001,,', "Debit '1.001'"),
        ('03/01/2024,"X",,"1,2,3.00",,', "misplaced thousands separators"),
        ('03/01/2024,"X",,abc,,', "Debit 'abc' is not a number"),
        ('03/01/2024,"X"', "2 fields, the header has 6"),
    ],
)
def test_bad_row_names_row_and_reason(row: str, reason: str) -> None:
    data = ("Date,Description,Check Number,Debit,Credit,Balance\n"
            "03/02/2024,OK,,5.00,,\n" + row + "\n").encode()
    with pytest.raises(StatementError) as info:
        parse(US, data)
    assert info.value.record == "csv:us-debit-credit row 3"
    assert reason in info.value.reason


def test_bad_row_number_counts_preamble_and_multiline_cells() -> None:
    data = read("de_girokonto.csv").replace(b'"-47,83"', b'"-47,8,3"')
    with pytest.raises(StatementError, match="row 9: Betrag '-47,8,3'"):
        parse(DE, data)
    multi = b'Date,Transaction ID,Description,Amount,Balance\n2024-01-01,T1,"two\nlines",1.00,\n'
    multi += b"2024-01-02,T2,x,oops,\n"
    with pytest.raises(StatementError, match="row 4: Amount 'oops'"):
        parse(SIGNED, multi)


def test_no_thousands_separator_and_apostrophe() -> None:
    plain = CsvProfile(name="p", date="D", amount="A", thousands="", default_currency="CHF")
    assert parse(plain, b"D,A\n2024-01-02,1234.50\n")[0].lines[0].amount == Money(123450, "CHF")
    with pytest.raises(StatementError, match="row 2: A '1,234.50' is not a number"):
        parse(plain, b'D,A\n2024-01-02,"1,234.50"\n')
    swiss = dataclasses.replace(plain, thousands="'")
    assert parse(swiss, b"D,A\n2024-01-02,1'234.50\n")[0].lines[0].amount.minor == 123450


def test_debits_shown_negative() -> None:
    profile = dataclasses.replace(US, name="neg", debits_negative=True)
    data = b"Date,Description,Debit,Credit,Balance\n03/01/2024,Fee,-12.00,,\n"
    assert parse(profile, data)[0].lines[0].amount == Money(-1200, "USD")
    with pytest.raises(StatementError, match="row 2: Debit '12.00' should be negative"):
        parse(profile, data.replace(b"-12.00", b"12.00"))


def test_wrong_encoding_and_missing_header() -> None:
    with pytest.raises(StatementError, match="not utf-8-sig text"):
        parse(US, "Date,Description,Debit,Credit,Balance\n03/01/2024,Café,1,,\n".encode("cp1252"))
    with pytest.raises(StatementError, match="no header row with columns"):
        parse(US, b"Posted,Text,Amount\n")


def test_profile_validation() -> None:
    with pytest.raises(ValueError, match="either amount or debit/credit"):
        CsvProfile(name="x", date="D", amount="A", debit="B")
    with pytest.raises(ValueError, match="either amount or debit/credit"):
        CsvProfile(name="x", date="D")
    with pytest.raises(ValueError, match="separators"):
        CsvProfile(name="x", date="D", amount="A", decimal=",", thousands=",")
    assert CsvProfile(name="x", date="D", amount="A", description="Text").description == ("Text",)


def test_profiles_yaml_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "profiles.yaml"
    save_profiles(BUILTIN_PROFILES, path)
    assert load_profiles(path) == BUILTIN_PROFILES
    path.write_text(
        "profiles:\n"
        "  my-bank:\n"
        "    date: Posting Date\n"
        "    date_formats: ['%d/%m/%Y']\n"
        "    amount: Amount\n"
        "    description: [Payee, Memo]\n"
        "    default_currency: GBP\n"
        "    account: '12-34-56 87654321'\n",
        encoding="utf-8",
    )
    profile = load_profiles(path)["my-bank"]
    assert profile.description == ("Payee", "Memo")
    data = b"Posting Date,Payee,Memo,Amount\n31/01/2024,Tesco,Groceries,-23.10\n"
    [stmt] = parse(profile, data)
    assert (stmt.account, stmt.lines[0].amount) == ("12-34-56 87654321", Money(-2310, "GBP"))
    assert stmt.lines[0].description == "Tesco Groceries"


def test_profiles_yaml_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("x:\n  date: D\n  amount: A\n  colour: blue\n", encoding="utf-8")
    with pytest.raises(StatementError, match=r"profile x: unknown fields \['colour'\]"):
        load_profiles(path)
    path.write_text("x:\n  date: D\n", encoding="utf-8")
    with pytest.raises(StatementError, match="profile x: .*either amount"):
        load_profiles(path)


def _format_amount(minor: int, decimal: str, thousands: str, group: bool) -> str:
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 100)
    digits = f"{whole:,}".replace(",", thousands) if group else str(whole)
    return f"{sign}{digits}{decimal}{frac:02d}"


_lines = st.lists(
    st.tuples(
        st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)),
        st.integers(min_value=-10**12, max_value=10**12),
        st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]),
                max_size=40).map(str.strip),
        st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=16),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(lines=_lines, comma=st.booleans(), group=st.booleans(), sniff=st.booleans())
def test_written_csv_parses_back(lines, comma: bool, group: bool, sniff: bool) -> None:
    decimal, thousands, delimiter = (",", ".", ";") if comma else (".", ",", ",")
    profile = CsvProfile(
        name="roundtrip", date="Datum", date_formats=("%d.%m.%Y",), amount="Betrag",
        description=("Text",), reference="Ref", default_currency="EUR",
        decimal=decimal, thousands=thousands, delimiter=None if sniff else delimiter,
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Datum", "Text", "Betrag", "Ref"])
    for day, minor, text, ref in lines:
        writer.writerow([day.strftime("%d.%m.%Y"), text,
                         _format_amount(minor, decimal, thousands, group), ref])
    [stmt] = parse(profile, out.getvalue().encode("utf-8"))
    assert [(ln.booking_date, ln.amount, ln.description, ln.bank_reference)
            for ln in stmt.lines] == [
        (day, Money(minor, "EUR"), text, ref) for day, minor, text, ref in lines
    ]
