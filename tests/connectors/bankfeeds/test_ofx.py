import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from ledgerbridge.connectors.bankfeeds.bankbook import import_statements
from ledgerbridge.connectors.bankfeeds.ofx import OFX
from ledgerbridge.connectors.bankfeeds.statement import Balance, StatementError
from ledgerbridge.money import Money
from ledgerbridge.store.tables import bank_lines

SAMPLES = Path(__file__).parent / "samples"


def read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def test_ofx1_sgml_bank_statement() -> None:
    [stmt] = OFX.parse(read("chase_checking_102.ofx"))
    assert stmt.account == "000000123456789"
    assert stmt.currency == "USD"
    assert stmt.format == "ofx"
    assert stmt.statement_id == "1"
    assert stmt.closing == Balance(dt.date(2024, 2, 29), usd(419713))
    assert stmt.opening is None
    got = [
        (ln.booking_date, ln.amount, ln.bank_reference, ln.kind, ln.description)
        for ln in stmt.lines
    ]
    assert got == [
        (dt.date(2024, 2, 1), usd(325000), "202402010", "DIRECTDEP",
         "ACME PAYROLL      PPD ID: 12345 / DIRECT DEP"),
        (dt.date(2024, 2, 5), usd(-125000), "202402050", "CHECK", "CHECK 1043"),
        (dt.date(2024, 2, 12), usd(-8437), "202402120", "DEBIT",
         "AT&T *PAYMENT    ONLINE PMT CKF839120POS / Card ending 4821"),
        (dt.date(2024, 2, 14), usd(-650), "202402140", "POS", "CAFÉ LUMIÈRE NEW YORK NY"),
        (dt.date(2024, 2, 29), usd(-1200), "202402290", "FEE", "MONTHLY SERVICE FEE"),
    ]
    assert stmt.lines[2].value_date == dt.date(2024, 2, 10)
    assert stmt.lines[2].counterparty == "AT&T *PAYMENT    ONLINE PMT CKF839120POS"
    assert stmt.lines[0].value_date is None
    assert "<FITID>202402050</FITID>" in stmt.lines[1].raw
    assert not any(ln.pending for ln in stmt.lines)


def test_qfx_credit_card_latin1_charset() -> None:
    [stmt] = OFX.parse(read("bofa_visa.qfx"))
    assert stmt.account == "4400123412341234"
    assert stmt.statement_id is None  # TRNUID 0 is a placeholder
    assert stmt.closing == Balance(dt.date(2024, 3, 14), usd(-126395))
    assert [ln.amount.minor for ln in stmt.lines] == [-4510, -21248, -637, 100000]
    assert [ln.booking_date for ln in stmt.lines] == [
        dt.date(2024, 2, 16), dt.date(2024, 2, 20), dt.date(2024, 2, 20), dt.date(2024, 3, 5)
    ]
    hotel = stmt.lines[1]
    # ORIGCURRENCY: TRNAMT is already in the account currency.
    assert hotel.amount == usd(-21248)
    assert hotel.counterparty == "HÔTEL DU LAC GENÈVE"
    # 23:00 Pacific stays the 18th; a UTC conversion would make it the 19th.
    assert hotel.value_date == dt.date(2024, 2, 18)
    # MEMO repeating NAME is not doubled.
    assert stmt.lines[0].description == "SHELL OIL 57444322008 SAN JOSE CA"
    assert stmt.lines[3].bank_reference == "24492154065100987654324"


def test_ofx2_xml_two_accounts() -> None:
    checking, savings = OFX.parse(read("wells_two_accounts_v2.ofx"))
    assert (checking.account, savings.account) == ("1234567890", "9876544321")
    assert (checking.statement_id, savings.statement_id) == ("20240402-1", "20240402-2")
    assert [ln.amount for ln in checking.lines] == [usd(-50000), usd(-184320), usd(42)]
    assert [ln.amount for ln in savings.lines] == [usd(50000), usd(318)]
    assert checking.closing == Balance(dt.date(2024, 3, 31), usd(231187))
    assert savings.closing == Balance(dt.date(2024, 3, 31), usd(1050318))
    transfer = checking.lines[0]
    assert transfer.counterparty_account == "9876544321"
    assert transfer.kind == "XFER"
    # Entities are decoded.
    assert checking.lines[1].description.endswith("Invoice 2024-117 <EUR 1,700.00>")
    assert savings.lines[1].booking_date == dt.date(2024, 3, 31)


def test_currency_aggregate_converts_to_account_currency() -> None:
    # TRNAMT -1700.00 EUR at CURRATE 1.0842353 -> -1843.20001 USD, rounded half-even.
    [line] = [ln for ln in OFX.parse(read("wells_two_accounts_v2.ofx"))[0].lines
              if ln.bank_reference == "2024031112346"]
    assert line.amount == usd(-184320)


def test_identify() -> None:
    for name in ("chase_checking_102.ofx", "bofa_visa.qfx", "wells_two_accounts_v2.ofx"):
        assert OFX.identify(read(name))
    assert OFX.identify(b"\xef\xbb\xbfOFXHEADER:100\r\nDATA:OFXSGML\r\n")
    assert not OFX.identify(read("signed_amount_balance.csv"))
    assert not OFX.identify(b"<?xml version='1.0'?><Document/>")


SGML = read("chase_checking_102.ofx")


@pytest.mark.parametrize(
    "old, new",
    [
        (b"CHARSET:1252", b"CHARSET:8859-1"),
        (b"CHARSET:1252", b"CHARSET:WINDOWS-1252"),
        (b"OLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n", b""),
        (b"VERSION:102", b"VERSION:103"),
    ],
)
def test_header_variants_ofxtools_refuses(old: bytes, new: bytes) -> None:
    data = SGML.replace(old, new)
    assert data != SGML
    [stmt] = OFX.parse(data)
    assert len(stmt.lines) == 5
    assert stmt.lines[3].amount == usd(-650)


def test_latin1_charset_decodes_accents() -> None:
    data = SGML.replace(b"CHARSET:1252", b"CHARSET:ISO-8859-1")
    assert OFX.parse(data)[0].lines[3].description == "CAFÉ LUMIÈRE NEW YORK NY"


def test_usascii_header_with_utf8_body() -> None:
    data = SGML.replace(b"CHARSET:1252", b"CHARSET:NONE").replace(
        "CAFÉ LUMIÈRE".encode("cp1252"), "CAFÉ LUMIÈRE".encode()
    )
    assert OFX.parse(data)[0].lines[3].description == "CAFÉ LUMIÈRE NEW YORK NY"


def test_unclosed_empty_element_does_not_swallow_siblings() -> None:
    data = SGML.replace(b"<MEMO>DIRECT DEP", b"<MEMO>")
    [stmt] = OFX.parse(data)
    assert len(stmt.lines) == 5
    assert stmt.lines[0].amount == usd(325000)
    assert stmt.lines[0].description == "ACME PAYROLL      PPD ID: 12345"
    assert stmt.closing is not None and stmt.closing.amount == usd(419713)


def test_v2_without_xml_declaration_and_latin1_encoding() -> None:
    v2 = read("wells_two_accounts_v2.ofx")
    no_decl = v2.split(b"\n", 1)[1]
    assert [s.account for s in OFX.parse(no_decl)] == ["1234567890", "9876544321"]
    latin = v2.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(
        b"ACME GMBH", "MÜLLER GMBH".encode("latin_1")
    )
    assert OFX.parse(latin)[0].lines[1].counterparty == "PURCHASE INTL WIRE - MÜLLER GMBH"


def test_malformed_amount_names_the_transaction() -> None:
    with pytest.raises(StatementError) as info:
        OFX.parse(read("malformed_bad_amount.ofx"))
    assert info.value.record == "STMTRS 555000111, STMTTRN 2 (FITID A-2)"
    assert "TRNAMT '-1,234.56'" in info.value.reason


def test_bad_date_names_the_transaction() -> None:
    data = SGML.replace(b"<DTPOSTED>20240214120000", b"<DTPOSTED>20240231120000")
    with pytest.raises(StatementError, match=r"STMTTRN 4 \(FITID 202402140\).*DTPOSTED"):
        OFX.parse(data)


def test_missing_account_and_currency() -> None:
    with pytest.raises(StatementError, match="no CURDEF"):
        OFX.parse(SGML.replace(b"<CURDEF>USD\n", b""))
    with pytest.raises(StatementError, match="ACCTID"):
        OFX.parse(SGML.replace(b"<ACCTID>000000123456789\n", b""))


def test_error_response_and_garbage() -> None:
    head, _ = SGML.split(b"<STMTRS>")
    head = head.rsplit(b"<STATUS>", 1)[0]
    error = head + b"<STATUS><CODE>2000<SEVERITY>ERROR<MESSAGE>ACCOUNT LOCKED</STATUS>"
    error += b"</STMTTRNRS></BANKMSGSRSV1></OFX>"
    with pytest.raises(StatementError) as info:
        OFX.parse(error)
    assert info.value.record == "STMTTRNRS 1"
    assert info.value.reason == "bank returned no statement (status 2000 ACCOUNT LOCKED)"
    with pytest.raises(StatementError, match="closes nothing"):
        OFX.parse(SGML.replace(b"</BANKTRANLIST>", b"</BANKTRANLIST></FOO>"))
    with pytest.raises(StatementError, match="OFXHEADER"):
        OFX.parse(b"DATA:OFXSGML\r\n\r\n<OFX></OFX>")
    with pytest.raises(StatementError, match="not KEY:VALUE"):
        OFX.parse(b"OFXHEADER:100\r\nthis is not a header\r\n<OFX></OFX>")
    with pytest.raises(StatementError, match="no STMTRS"):
        OFX.parse(b"OFXHEADER:100\r\n\r\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>")


def test_pending_lines() -> None:
    pending = (
        b"<BANKTRANLISTP><DTASOF>20240301<STMTTRNP><TRNTYPE>POS<DTTRAN>20240301"
        b"<TRNAMT>-9.99<NAME>STREAMING CO</STMTTRNP></BANKTRANLISTP>"
    )
    data = SGML.replace(b"<LEDGERBAL>", pending + b"<LEDGERBAL>")
    line = OFX.parse(data)[0].lines[-1]
    assert line.pending
    assert (line.booking_date, line.amount, line.bank_reference) == (
        dt.date(2024, 3, 1), usd(-999), None
    )


def test_converted_lines_keep_the_original_amount_and_rate() -> None:
    [line] = [ln for ln in OFX.parse(read("wells_two_accounts_v2.ofx"))[0].lines
              if ln.bank_reference == "2024031112346"]
    # CURRENCY: TRNAMT is the original itself
    assert (line.original, line.exchange_rate) == (Money(-170000, "EUR"), Decimal("1.0842353"))
    [card] = OFX.parse(read("bofa_visa.qfx"))
    hotel = card.lines[1]
    # ORIGCURRENCY: only the rate is stated; -212.48 / 1.0896 = -195.007..., half-even
    assert (hotel.original, hotel.exchange_rate) == (Money(-19501, "EUR"), Decimal("1.0896"))
    assert [ln.original for ln in card.lines if ln is not hotel] == [None] * 3


def test_origcurrency_without_a_rate_says_nothing_about_the_original() -> None:
    data = read("bofa_visa.qfx").replace(b"<CURRATE>1.0896", b"<CURRATE>")
    hotel = OFX.parse(data)[0].lines[1]
    assert (hotel.amount, hotel.original) == (usd(-21248), None)


def test_sic_is_kept_as_the_lines_merchant_category_code(ledger) -> None:
    data = read("bofa_visa.qfx").replace(b"<REFNUM>24492154046100987654321",
                                         b"<REFNUM>24492154046100987654321\n<SIC>5542")
    data = data.replace(b"<FITID>24492154050100987654322", b"<FITID>24492154050100987654322\n"
                        b"<SIC>742")
    [card] = OFX.parse(data)
    assert [ln.mcc for ln in card.lines] == ["5542", "0742", None, None]
    import_statements(ledger, "1010", [card], file_name="visa.qfx", content=data)
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(bank_lines.c.mcc).order_by(bank_lines.c.id)).scalars()
        assert list(rows) == ["5542", "0742", None, None]


def test_a_six_digit_sic_is_no_mcc_and_a_word_is_an_error() -> None:
    data = read("bofa_visa.qfx").replace(b"<REFNUM>", b"<SIC>541110\n<REFNUM>")
    assert OFX.parse(data)[0].lines[0].mcc is None
    with pytest.raises(StatementError, match=r"FITID 24492154046100987654321.*SIC 'GAS'"):
        OFX.parse(read("bofa_visa.qfx").replace(b"<REFNUM>", b"<SIC>GAS\n<REFNUM>"))
