"""A bank line's MCC, transaction code and feed category as categorization features."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from ledgerbridge.intelligence.categorize import Categorizer, Transaction
from ledgerbridge.intelligence.categorize.features import transaction_code
from ledgerbridge.intelligence.categorize.history import open_lines, training_set
from ledgerbridge.reconcile import book_lines
from ledgerbridge.reconcile.candidates import bank_account_id
from ledgerbridge.reconcile.rules import BankRule
from ledgerbridge.store.tables import bank_lines

D = dt.date(2026, 2, 2)


@pytest.mark.parametrize(("code", "normalized"), [
    ("PMNT/RCDT/ESCT", ("PMNT/RCDT/ESCT", "PMNT/RCDT")),
    ("pmnt/ccrd", ("PMNT/CCRD", "PMNT/CCRD")),
    ("475", ("BAI2 475", "BAI2 47x")),
    ("NTRF", ("TRF", "TRF")),
    ("N102", ("102", "102")),
    ("DIRECTDEBIT", ("DIRECTDEBIT", "DIRECTDEBIT")),
    ("fee", ("FEE", "FEE")),
    (None, ("none", "none")),
    ("  ", ("none", "none")),
])
def test_transaction_codes_are_normalized_with_their_family(code, normalized):
    assert transaction_code(code) == normalized


def card(n: int, mcc: str | None, code: str | None = "PMNT/CCRD/POSD") -> Transaction:
    return Transaction(text=f"CARD PURCHASE TERMINAL {4000 + n}", counterparty=None,
                       amount=-4000 - n,
                       currency="USD", date=D + dt.timedelta(days=n % 28), mcc=mcc, code=code)


def test_the_mcc_tells_apart_lines_whose_text_says_nothing():
    past = [card(n, "5812" if n % 2 else "5542") for n in range(40)]
    accounts = ["6530" if n % 2 else "6540" for n in range(40)]
    model = Categorizer.train(past, accounts, seed=0)
    meal, fuel = model.suggest([card(99, "5812"), card(100, "5542")], top=1, explain=False)
    assert (meal[0].account, fuel[0].account) == ("6530", "6540")
    blind = Categorizer.train([card(n, None) for n in range(40)], accounts, seed=0)
    [[guess]] = blind.suggest([card(99, None)], top=1, explain=False)
    assert guess.confidence < meal[0].confidence


def test_the_transaction_code_tells_a_fee_from_a_transfer():
    def line(n: int, code: str) -> Transaction:
        return Transaction(text=f"BANK REF {7000 + n}", counterparty=None, amount=-2500,
                           currency="USD", date=D + dt.timedelta(days=n % 28), code=code)

    past = [line(n, "ACMT/MDOP/CHRG" if n % 2 else "PMNT/ICDT/ESCT") for n in range(40)]
    model = Categorizer.train(past, ["6650" if n % 2 else "7100" for n in range(40)], seed=0)
    fee, transfer = model.suggest([line(41, "ACMT/MDOP/CHRG"), line(42, "PMNT/ICDT/ESCT")],
                                  top=1, explain=False)
    assert (fee[0].account, transfer[0].account) == ("6650", "7100")


def test_training_and_open_lines_carry_the_bank_lines_codes(ledger):
    with ledger.engine.begin() as conn:
        account_id = bank_account_id(conn, ledger, "1010")
        conn.execute(insert(bank_lines), [
            {"entity_id": ledger.entity.id, "account_id": account_id, "dedupe_key": f"k{n}",
             "occurrence": 1, "booking_date": D, "amount": -1200 - n, "currency": "USD",
             "description": f"POS {n}", "pending": False, "status": "unreconciled",
             "kind": "POS", "mcc": "5812", "category_code": "FOOD_AND_DRINK_RESTAURANT"}
            for n in range(3)])
        ids = list(conn.execute(select(bank_lines.c.id).order_by(bank_lines.c.id)).scalars())
    book_lines(ledger, {ids[0]: BankRule(account="6350")})
    with ledger.engine.connect() as conn:
        data = training_set(conn, ledger)
        left = open_lines(conn, ledger)
    expected = ("5812", "POS", "FOOD_AND_DRINK_RESTAURANT")
    assert [(t.mcc, t.code, t.category) for t in data.txns] == [expected]
    assert [(o.txn.mcc, o.txn.code, o.txn.category) for o in left] == [expected] * 2
