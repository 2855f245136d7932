"""Layouts real bank files use that the format specs do not: each read right, or refused clearly.

Every file here is written out in the test; none depends on the shared sample folder.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.connectors.bankfeeds.detect import read_statements
from ledgerbridge.connectors.bankfeeds.statement import StatementError
from ledgerbridge.money import Money


def _balanced(statement) -> bool:
    total = sum(line.amount.minor for line in statement.lines)
    return statement.opening.amount.minor + total == statement.closing.amount.minor


# --- MT940 -------------------------------------------------------------------------------

_MT940_31_NOVEMBER = b"""\
:20:1234567
:25:10020030/1234567
:28C:5/1
:60F:C021101EUR2187,95
:61:0211011102DR800,NSTONONREF//55555
:86:008?00DAUERAUFTRAG?20Miete November
:61:0211301130CR3000,NTRFNONREF//55556
:86:051?00UEBERWEISUNG?20Gehalt
:62F:C021131EUR4387,95
-
"""


def test_mt940_balance_dated_31_november_reads_as_the_30th() -> None:
    [statement] = read_statements(_MT940_31_NOVEMBER, name="nov31.sta")
    assert statement.closing.date == dt.date(2002, 11, 30)
    assert statement.closing.amount == Money(438795, "EUR")
    assert _balanced(statement)


@given(
    year=st.integers(min_value=0, max_value=99),
    month=st.integers(min_value=1, max_value=12),
    day=st.integers(min_value=28, max_value=31),
)
def test_mt940_any_day_past_the_month_end_is_its_last_day(year: int, month: int,
                                                          day: int) -> None:
    stamp = f"{year:02d}{month:02d}{day:02d}"
    data = (f":20:X\n:25:ACC\n:28C:1/1\n:60F:C{stamp}EUR10,00\n"
            f":61:{stamp}{month:02d}{day:02d}DR2,50NTRFNONREF\n:86:fee\n"
            f":62F:C{stamp}EUR7,50\n-\n").encode()
    [statement] = read_statements(data)
    last = calendar.monthrange(2000 + year, month)[1]
    expected = dt.date(2000 + year, month, min(day, last))
    assert statement.opening.date == statement.closing.date == expected
    assert statement.lines[0].value_date == statement.lines[0].booking_date == expected
    assert _balanced(statement)


def test_mt940_balance_without_currency_takes_the_statements() -> None:
    data = b"""\
:20:STARTUMS
:25:1222333444
:28:1/1
:60F:C020315DEM0,00
:61:020322CM5000,00S051
:61:020322CM20000,00S051
:62M:C020315025000,00
:20:STARTUMS
:25:1222333444
:28:1/2
:60M:C020315DEM25000,00
:61:020322DM1000,00S051
:62F:C02031524000,00
"""
    first, second = read_statements(data, name="no-currency.sta")
    assert first.closing.amount == Money(2500000, "DEM")
    assert second.closing.amount == Money(2400000, "DEM")
    assert _balanced(first) and _balanced(second)


def test_mt940_statement_line_and_details_tag_wrapped_over_lines() -> None:
    data = b"""\
:20:STARTUMSE
:25:12345678/1020304050
:28C:00000/001
:60F:C181125EUR100,00
:61:1811261126CR
30,00N062NONREF
:
86:166?00GUTSCHR. UEBERWEISUNG?081542?20SVWZ+Test
:62F:C181126EUR130,00
-
"""
    [statement] = read_statements(data, name="sparkasse.sta")
    [line] = statement.lines
    assert line.amount == Money(3000, "EUR")
    assert "SVWZ+Test" in line.description
    assert _balanced(statement)


def test_mt940_line_after_the_statement_end_is_refused_naming_the_line() -> None:
    data = b"""\
:20:BILMT940
:25:ACCOUNT1
:28:00115/001
:60F:C040802EUR16,40
:61:0408040804DR5,NTRFREFERENCE//MUL1
:86:first
:62F:C040804EUR11,40
:64:C040804EUR11,40
-
:61:2212191220C119,NMSC341241773//O/341241774
"""
    with pytest.raises(StatementError) as err:
        read_statements(data, name="orphan.sta")
    assert err.value.record == "orphan.sta: mt940 line 10"
    assert "no :20:" in err.value.reason


def test_mt940_second_account_tag_inside_a_statement_is_refused() -> None:
    data = b"""\
:20:T089414086000001
:25:50880050/0194787400888
:28C:00004/00001
:60F:C070903EUR766656,49
:61:0709070904CR50990,05NTRFNONREF//0724710333343453
:25:166?00GUTSCHRIFT?100399?20EREF+EndToEndId
:62F:C070904EUR817646,54
"""
    with pytest.raises(StatementError) as err:
        read_statements(data, name="broken.sta")
    assert err.value.record == "broken.sta: mt940 line 6"
    assert "second :25:" in err.value.reason


# --- BAI2 --------------------------------------------------------------------------------

def test_bai2_account_ending_in_an_empty_field_before_its_continuation() -> None:
    data = b"""\
01,121140399,121140399,230214,0754,1,,,2/
02,121140399,121140399,1,220201,,USD,2/
03,1234567890,USD,010,34726979,,,015,35217175,,,/
88,040,32742537,,,045,35217175,,,/
88,072,000,,,074,000,,,/
88,100,490196,1,,400,000,0,/
16,142,490196,,172629,/
88,SOME PAYMENT ACH OFFSET
49,138884258,7/
98,138884258,1,9/
99,138884258,1,11/
"""
    [statement] = read_statements(data, name="svb.bai2")
    assert statement.opening.amount == Money(34726979, "USD")
    assert statement.closing.amount == Money(35217175, "USD")
    [line] = statement.lines
    assert line.amount == Money(490196, "USD")
    assert line.description == "SOME PAYMENT ACH OFFSET"
    assert _balanced(statement)


# --- OFX ---------------------------------------------------------------------------------

_OFX_BODY = """<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>{curdef}<BANKACCTFROM><BANKID>1<ACCTID>12345678<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20180506<DTEND>20180804
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20180507<TRNAMT>12.34<FITID></FITID>{currency}</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>{balance}<DTASOF>20180804</LEDGERBAL></STMTRS></STMTTRNRS>
</BANKMSGSRSV1></OFX>"""


def _ofx(*, curdef: str = "USD", currency: str = "", balance: str = "100.00") -> bytes:
    return _OFX_BODY.format(curdef=curdef, currency=currency, balance=balance).encode()


def test_ofx_without_any_header_is_read() -> None:
    [statement] = read_statements(b"\n\n" + _ofx(), name="bare.ofx")
    assert statement.account == "12345678"
    assert statement.lines[0].amount == Money(1234, "USD")
    assert statement.closing.amount == Money(10000, "USD")


@pytest.mark.parametrize("balance", ["", " "])
def test_ofx_empty_balance_amount_means_no_balance(balance: str) -> None:
    [statement] = read_statements(_ofx(balance=balance), name="empty-balance.ofx")
    assert statement.closing is None
    assert statement.lines[0].amount == Money(1234, "USD")


def test_ofx_empty_curdef_takes_the_lines_currency_at_rate_one() -> None:
    currency = "<CURRENCY><CURRATE>1.0000<CURSYM>AUD</CURRENCY>"
    [statement] = read_statements(_ofx(curdef="", currency=currency), name="empty-tags.ofx")
    assert statement.currency == "AUD"
    assert statement.lines[0].amount == Money(1234, "AUD")
    assert statement.lines[0].original is None


def test_ofx_empty_curdef_without_a_line_currency_is_refused() -> None:
    with pytest.raises(StatementError, match="no CURDEF"):
        read_statements(_ofx(curdef=""), name="no-curdef.ofx")


def test_ofx_investment_statement_is_refused_as_out_of_scope() -> None:
    data = b"""OFXHEADER:100
DATA:OFXSGML
VERSION:102

<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<INVSTMTRS><DTASOF>20110727<CURDEF>USD<INVACCTFROM><BROKERID>b.example<ACCTID>0123</INVACCTFROM>
</INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>"""
    with pytest.raises(StatementError, match="investment statement") as err:
        read_statements(data, name="broker.ofx")
    assert err.value.record == "broker.ofx: OFX"


_CARD = """OFXHEADER:100
DATA:OFXSGML
VERSION:102

<OFX>
<CREDITCARDMSGSRSV1>
<CCSTMTTRNRS>
<TRNUID>1001
<STATUS>
<CODE>0
<SEVERITY>INFO
</STATUS>

<CCSTMTRS>
<CURDEF>BRL
<CCACCTFROM>
<ACCTID>1111-UUID
</CCACCTFROM>

<BANKTRANLIST>
<DTSTART>20240224000000[-3:GMT]
<DTEND>20240326000000[-3:GMT]
<STMTTRN>
<TRNTYPE>DEBIT
<DTPOSTED>20240323000000[-3:GMT]
<TRNAMT>-13.00
<FITID>a1
<MEMO>-memo-
</STMTTRN>

<STMTTRN>
<TRNTYPE>DEBIT
<DTPOSTED>20240322000000[-3:GMT]
<TRNAMT>-959.00
<FITID>a2
<MEMO>-memo-
{end}
<LEDGERBAL>
<BALAMT>-972.00
<DTASOF>20240325000000[-3:GMT]
</LEDGERBAL>
</CCSTMTRS>
</CCSTMTTRNRS>
</CREDITCARDMSGSRSV1>
</OFX>
"""


def test_ofx_list_without_its_end_tag_keeps_every_line() -> None:
    [statement] = read_statements(_CARD.format(end="</STMTTRN>").encode(), name="nubank.ofx")
    assert [line.bank_reference for line in statement.lines] == ["a1", "a2"]
    assert sum(line.amount.minor for line in statement.lines) == -97200
    assert statement.closing.amount == Money(-97200, "BRL")


def test_ofx_line_without_its_end_tag_inside_another_is_refused_not_dropped() -> None:
    data = _CARD.replace("</STMTTRN>\n\n<STMTTRN>", "\n<STMTTRN>").format(end="</STMTTRN>")
    with pytest.raises(StatementError, match="STMTTRN outside its BANKTRANLIST"):
        read_statements(data.encode(), name="nested.ofx")


# --- camt --------------------------------------------------------------------------------

_CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt>
<GrpHdr><MsgId>M{n}</MsgId><CreDtTm>2021-09-15T00:48:38</CreDtTm></GrpHdr>
<Stmt><Id>S{n}</Id><Acct><Id><IBAN>CH1904835028789771000</IBAN></Id><Ccy>CHF</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">1000.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2021-09-14</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">420.79</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2021-09-14</Dt></Dt></Bal>
<Ntry><Amt Ccy="CHF">579.21</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2021-09-14</Dt></BookgDt><AcctSvcrRef>R{n}</AcctSvcrRef>
<AmtDtls><InstdAmt><Amt Ccy="EUR">522.39</Amt></InstdAmt>
<CntrValAmt><Amt Ccy="CHF">579.21</Amt><CcyXchg><SrcCcy>EUR</SrcCcy><TrgtCcy>CHF</TrgtCcy>
<XchgRate>1.1087693103</XchgRate></CcyXchg></CntrValAmt></AmtDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""


def test_camt_rate_given_only_with_the_counter_value_amount() -> None:
    [statement] = read_statements(_CAMT.format(n=1).encode(), name="fx.xml")
    [line] = statement.lines
    assert line.amount == Money(-57921, "CHF")
    assert line.original == Money(-52239, "EUR")
    assert line.exchange_rate == Decimal("1.1087693103")
    assert _balanced(statement)


def test_camt_file_of_several_concatenated_documents_reads_each() -> None:
    data = (_CAMT.format(n=1) + "\n" + _CAMT.format(n=2)).encode()
    statements = read_statements(data, name="two.xml")
    assert [s.statement_id for s in statements] == ["S1", "S2"]
    assert all(_balanced(s) for s in statements)


def test_camt_concatenated_document_that_is_broken_names_the_reason() -> None:
    data = (_CAMT.format(n=1) + "<Document><Stmt>").encode()
    with pytest.raises(StatementError, match="not well-formed XML"):
        read_statements(data, name="cut.xml")


def test_camt_balance_without_indicator_and_entries_without_dates() -> None:
    data = b"""<?xml version='1.0' encoding='utf-8'?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-07T19:47:17.828+02:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><Othr><Id>LT625883379695428516</Id></Othr></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt>
<Dt><Dt>2024-03-07</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1822.11</Amt>
<Dt><Dt>2024-03-07</Dt></Dt></Bal>
<Ntry><NtryRef>N1</NtryRef><Amt Ccy="EUR">828.31</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<AcctSvcrRef>A1</AcctSvcrRef><BkTxCd><Prtry><Cd>ATSISK</Cd></Prtry></BkTxCd></Ntry>
<Ntry><NtryRef>N2</NtryRef><Amt Ccy="EUR">6.2</Amt><CdtDbtInd>DBIT</CdtDbtInd>
<AcctSvcrRef>A2</AcctSvcrRef></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""
    [statement] = read_statements(data, name="undated.xml")
    assert statement.opening.amount == Money(100000, "EUR")
    assert [line.amount for line in statement.lines] == [Money(82831, "EUR"), Money(-620, "EUR")]
    assert {line.booking_date for line in statement.lines} == {dt.date(2024, 3, 7)}
    assert _balanced(statement)


def test_camt_negative_balance_without_indicator_is_refused() -> None:
    opening = '<Amt Ccy="CHF">1000.00</Amt>\n<CdtDbtInd>CRDT</CdtDbtInd>'
    data = _CAMT.format(n=1).replace(opening, '<Amt Ccy="CHF">-1000.00</Amt>')
    with pytest.raises(StatementError, match="negative Amt"):
        read_statements(data.encode(), name="negative.xml")
