"""Any valid invoice written as UBL reads back as the same Bill, to the cent."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.intake import assess
from ledgerbridge.money import Money
from tests.intake.ubl_writer import SimpleLine, vat_by_rate, write_ubl

RATES = [Decimal("0"), Decimal("5.5"), Decimal("7"), Decimal("19"), Decimal("25")]

lines_strategy = st.lists(
    st.builds(SimpleLine,
              name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")),
                           min_size=1, max_size=20).map(str.strip).filter(bool),
              quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000),
                                   places=3),
              net_cents=st.integers(min_value=-10**9, max_value=10**9),
              rate=st.sampled_from(RATES)),
    min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(lines=lines_strategy, credit=st.booleans())
def test_written_ubl_reads_back_as_the_same_bill(lines, credit):
    outcome = assess(write_ubl("INV-1", lines, credit=credit), "f" * 64)
    assert outcome.status == "ready", outcome.findings
    bill = outcome.bill
    sign = -1 if credit else 1
    assert [(ln.description, ln.quantity, ln.amount) for ln in bill.lines] == [
        (line.name, line.quantity, Money(sign * line.net_cents, "EUR")) for line in lines]
    vat = vat_by_rate(lines)
    assert [(t.percent, t.taxable_amount.minor, t.amount.minor) for t in bill.tax_lines] == [
        (rate, sign * b, sign * v) for rate, (b, v) in vat.items()]
    basis = sum(line.net_cents for line in lines)
    tax = sum(v for _, v in vat.values())
    assert bill.total == Money(sign * (basis + tax), "EUR")
    assert (bill.number, bill.vendor.external_id, bill.vendor.name) == (
        "INV-1", "DK12345678", "Leverandør A/S")
