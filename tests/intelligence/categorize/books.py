"""A ledger whose bank lines were coded by bank rules: the categorizer's history."""

from __future__ import annotations

import datetime as dt

from ledgerbridge.ledger import Ledger
from ledgerbridge.reconcile import run
from ledgerbridge.reconcile.rules import load_bank_rules
from tests.reconcile.test_reconcile import bank

START = dt.date(2026, 1, 5)
RULES = load_bank_rules("""
bank_rules:
  - {when: {counterparty_contains: Gusto}, account: "6010", vendor: Gusto}
  - {when: {description_contains: AWS}, account: "6250", vendor: Amazon Web Services}
  - {when: {description_contains: BLUE BOTTLE}, account: "6350"}
  - {when: {description_contains: INTEREST}, account: "4910"}
  - {when: {counterparty_contains: WeWork}, account: "6100", vendor: WeWork}
""")
PAST = [  # text, counterparty, amount
    ("GUSTO PAYROLL {n}", "Gusto", "-12500.00"),
    ("AWS EMEA {n}", None, "-312.40"),
    ("SQ *BLUE BOTTLE {n} OAKLAND CA", None, "-8.50"),
    ("INTEREST PAID {n}", None, "3.17"),
    ("ACH DEBIT WE WORK REF{n}", "WeWork", "-4500.00"),
]


def coded_history(ledger: Ledger, copies: int = 5) -> None:
    """Store ``copies`` lines of each past pattern and let the bank rules code them."""
    for k in range(copies):
        for i, (text, party, amount) in enumerate(PAST):
            bank(ledger, amount, text.format(n=4100 + 31 * k + i), party,
                 START + dt.timedelta(days=7 * k + i))
    run(ledger, account="1010", rules=RULES)
