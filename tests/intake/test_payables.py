"""A posted document is a payable: it ages with the others and a bank debit settles it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerbridge.intake import IntakeStore
from ledgerbridge.ledger.reports import aging
from ledgerbridge.mapping import load_rules
from ledgerbridge.reconcile import run
from tests.intake.samples import approve_and_post
from tests.intake.ubl_writer import SimpleLine, write_ubl
from tests.reconcile.test_reconcile import balance, bank, line_status

# In the test ledger's own currency (USD): it posts without an exchange rate.
INVOICE = write_ubl("INV-26-0042", [SimpleLine("Paper", Decimal(2), 5000, Decimal(25))]).replace(
    b"EUR", b"USD")
ISSUED = dt.date(2026, 1, 31)


def _payables(ledger, as_of: dt.date) -> dict[str, str]:
    return {row["party"]: str(row["total"]) for row in aging(ledger, "payable",
                                                             as_of=as_of).rows}


def test_a_posted_bill_ages_as_payable_and_a_bank_debit_settles_it(ledger):
    intake = IntakeStore(ledger)
    doc = intake.add(INVOICE, "p1.xml").document
    approve_and_post(intake, doc.id, load_rules(None))
    party = next(line.party for line in ledger.entry(intake.get(doc.id).entry_id).lines
                 if line.account == "2010")
    assert party
    assert _payables(ledger, ISSUED + dt.timedelta(10)) == {party: "6250"}
    line = bank(ledger, "-62.50", "INV-26-0042 LEVERANDOR", "Leverandor A/S",
                ISSUED + dt.timedelta(5))
    assert run(ledger).auto_accepted == 1
    assert line_status(ledger, line) == "reconciled"
    assert balance(ledger, "2010", party) == 0
    assert _payables(ledger, ISSUED + dt.timedelta(10)) == {}
