"""camt.052/053/054 parser against the ISO 20022 sample files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.connectors.bankfeeds.camt import CAMT
from ledgerbridge.connectors.bankfeeds.statement import StatementError
from ledgerbridge.money import Money

BANK = Path(__file__).resolve().parents[3].parent / "shared" / "specs" / "bank"
SAMPLES = BANK / "camt"
pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"camt sample files not found at {SAMPLES}"
)
FILES = sorted(SAMPLES.glob("*.xml")) if SAMPLES.is_dir() else []


def _parse(name: str):
    return CAMT.parse((SAMPLES / name).read_bytes())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_sample_parses(path: Path) -> None:
    data = path.read_bytes()
    assert CAMT.identify(data)
    statements = CAMT.parse(data)
    assert statements
    prefix = "camt." + path.name[4:7]
    for statement in statements:
        assert statement.format == prefix
        assert statement.account
        assert statement.lines
        for line in statement.lines:
            assert line.amount.minor != 0
            assert line.raw.lstrip().startswith("<")


def test_all_fourteen_samples_present() -> None:
    assert len(FILES) == 14


def test_camt053_minimal_figures() -> None:
    [st] = _parse("camt053.v2.minimal.xml")
    assert st.account == "NL26VAYB8060476890"
    assert st.currency == "EUR"
    assert st.statement_id == "253EURNL26VAYB8060476890"
    assert st.opening.amount == Money(1815, "EUR")
    assert st.opening.date == dt.date(2014, 12, 30)
    # The sample states CLBD 27.00 DBIT in SEK: kept exactly as given.
    assert st.closing.amount == Money(-2700, "SEK")
    [line] = st.lines
    assert line.amount == Money(885, "EUR")
    assert line.booking_date == dt.date(2014, 12, 31)
    assert line.value_date == dt.date(2015, 1, 2)
    assert line.kind == "544"
    assert line.counterparty == "NAME NAME"  # a credit: the debtor paid
    assert line.counterparty_account == "NL56AGDH9619008421"
    assert line.description == "4654654654654654"  # Strd/CdtrRefInf/Ref
    assert not line.pending


def test_multi_statement_balances_add_up() -> None:
    statements = _parse("camt053.v2.multi.statement.xml")
    assert [s.statement_id for s in statements] == [
        "253EURNL26VAYB8060476890",
        "254EURNL26VAYB8060476890",
    ]
    assert [[line.amount.minor for line in s.lines] for s in statements] == [[885], [-700]]
    for st in statements:
        total = sum((line.amount for line in st.lines), Money.zero(st.currency))
        assert st.opening.amount + total == st.closing.amount
    assert statements[1].lines[0].counterparty == "Company Name 2"


def test_camt054_batch_is_one_line_with_joined_references() -> None:
    [st] = _parse("camt054.v8.xml")
    assert st.format == "camt.054"
    assert st.account == "CH2801234000123456789"
    [line] = st.lines
    assert line.amount == Money(-20000000, "SEK")  # the booked total, not the TxDtls
    assert line.bank_reference == "ACSR160617103200001"
    assert line.kind == "PMNT/ICDT/DMCT"
    assert line.end_to_end_id == "UXC06170000006PI00001EE00001 UXC06170000006PI00001EE00002"
    assert line.counterparty.startswith("Example Creditor 3 - V1; Example Creditor 3 - V2")
    assert line.counterparty_account == "CH4112345003131313131; CH7212345003232323232"
    assert line.description.startswith("Unstructured Remittance Information V1 | ISR ref number V2")


def test_camt052_pending_unless_booked() -> None:
    assert [line.pending for line in _parse("camt052.v4.xml")[0].lines] == [True]
    assert [line.pending for line in _parse("camt052.v8.xml")[0].lines] == [False]  # Sts/Cd BOOK
    [line] = _parse("camt052.v1.xml")[0].lines
    assert not line.pending
    assert line.booking_date == dt.date(2007, 10, 18)  # from BookgDt/DtTm
    assert _parse("camt052.v1.xml")[0].account == "CH2801234000123456789"  # PrtryAcct


def test_bank_reference_falls_back_to_ntryref() -> None:
    [line] = _parse("camt053.v8.xml")[0].lines
    assert line.bank_reference == "AAAASESS-FP-CN_98765/01"
    assert line.end_to_end_id == "MUELL/FINP/RA12345"
    assert line.kind == "PMNT/RCDT/BOOK"


def test_identify_refuses_other_formats() -> None:
    others = sorted((BANK / "mt940").glob("*.sta")) + sorted((BANK / "bai2").glob("*.bai2"))
    assert others
    for path in others:
        assert not CAMT.identify(path.read_bytes()), path.name
    assert not CAMT.identify(b"<Document/>")


MINIMAL = (SAMPLES / "camt053.v2.minimal.xml").read_bytes() if SAMPLES.is_dir() else b""


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b'<Amt Ccy="EUR">8.85</Amt>', b'<Amt Ccy="EUR">8.855</Amt>', "more decimals"),
        (b'<Amt Ccy="EUR">8.85</Amt>', b"<Amt>8.85</Amt>", "Amt without Ccy"),
        (
            b"<CdtDbtInd>CRDT</CdtDbtInd>\n                <RvslInd>",
            b"<CdtDbtInd>X</CdtDbtInd>\n                <RvslInd>",
            "CdtDbtInd",
        ),
    ],
)
def test_malformed_entry_names_the_record(old: bytes, new: bytes, reason: str) -> None:
    assert old in MINIMAL
    with pytest.raises(StatementError, match=reason) as info:
        CAMT.parse(MINIMAL.replace(old, new, 1))
    assert info.value.record is not None
    assert "Stmt/Ntry" in info.value.record


def test_not_xml_raises() -> None:
    with pytest.raises(StatementError, match="not well-formed"):
        CAMT.parse(b"<Document><BkToCstmrStmt>")


CONVERTED = Path(__file__).parent / "samples" / "camt053_converted_eur.xml"


def test_converted_payments_keep_what_the_payer_sent_and_the_rate() -> None:
    [statement] = CAMT.parse(CONVERTED.read_bytes())
    first, second, batch, fee = statement.lines
    assert (first.amount, first.original) == (Money(46200, "USD"), Money(40000, "EUR"))
    assert first.exchange_rate == Decimal("1.155")  # UnitCcy EUR: USD per EUR as given
    # TxAmt quoted per USD: turned into USD per EUR
    assert second.original == Money(60000, "EUR")
    assert abs(second.exchange_rate - 1 / Decimal("0.923077")) < Decimal("1e-20")
    # a batch whose transactions all came in EUR: their sum, without a shared rate
    assert (batch.original, batch.exchange_rate) == (Money(27550, "EUR"), None)
    # AmtDtls in the account's own currency is no conversion; debits keep the sign
    assert (fee.original, fee.amount) == (None, Money(-2500, "USD"))


def test_originals_of_the_iso_samples() -> None:
    originals = {path.name: [line.original for s in CAMT.parse(path.read_bytes())
                             for line in s.lines if line.original] for path in FILES}
    # camt.054: three CHF transactions booked as one SEK entry
    assert originals.pop("camt054.v4.xml") == originals.pop("camt054.v8.xml") == [
        Money(-950, "CHF")]
    # camt.052 v4/v6 instruct USD but transact CHF on a SEK account: no single original
    assert all(found == [] for found in originals.values()), originals


def test_bad_exchange_rate_names_the_record() -> None:
    data = CONVERTED.read_bytes().replace(b"<XchgRate>1.155<", b"<XchgRate>-1<")
    with pytest.raises(StatementError, match="XchgRate '-1'") as info:
        CAMT.parse(data)
    assert "CcyXchg" in info.value.record
