"""Processor activity posted to a test ledger as the Stripe posting rules post it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from ledgerbridge.ledger import Entry, Ledger, Line, Lineage
from ledgerbridge.money import Money
from ledgerbridge.store.tables import accounts, journal_lines

# Our accounts the activity touches: clearing, transit, revenue, refunds, processing fees.
OURS = ("1150", "1160", "4010", "4060", "6600")


def usd(cents: int) -> Money:
    """US dollars from cents."""
    return Money(cents, "USD")


def post(ledger: Ledger, day: dt.date, kind: str, external_id: str,
         *lines: tuple[str, int]) -> int:
    """One entry of the ``stripe`` connection; returns its id."""
    entry = Entry(day, tuple(Line(code, usd(cents)) for code, cents in lines),
                  memo=f"{kind} {external_id}",
                  lineage=Lineage("stripe", kind, external_id),
                  idempotency_key=f"stripe:{kind}:{external_id}")
    return ledger.post(entry)


def charge(ledger: Ledger, day: dt.date, external_id: str, amount: int) -> int:
    """A card charge: the net in clearing, Stripe's fee (2.9 % + 30c) expensed."""
    fee = amount * 29 // 1000 + 30
    return post(ledger, day, "payment", external_id, ("1150", amount - fee), ("6600", fee),
                ("4010", -amount))


def refund(ledger: Ledger, day: dt.date, external_id: str, amount: int) -> int:
    """A refund out of the processor balance."""
    return post(ledger, day, "refund", external_id, ("4060", amount), ("1150", -amount))


def payout(ledger: Ledger, day: dt.date, external_id: str) -> int:
    """A payout of the whole clearing balance to date, on its way to the bank."""
    with ledger.engine.connect() as conn:
        balance = conn.execute(
            select(func.coalesce(func.sum(journal_lines.c.amount), 0))
            .join(accounts, accounts.c.id == journal_lines.c.account_id)
            .where(accounts.c.code == "1150", journal_lines.c.date <= day)).scalar_one()
    balance = int(balance)
    return post(ledger, day, "payout", external_id, ("1160", balance), ("1150", -balance))


def trading_day(ledger: Ledger, day: dt.date, tag: str) -> list[int]:
    """A day of activity: four charges, a refund and a Stripe fee; entry ids in order."""
    ids = [charge(ledger, day, f"ch_{tag}{n}", cents)
           for n, cents in enumerate((12_500, 4_999, 89_000, 1_050))]
    ids.append(refund(ledger, day, f"re_{tag}", 2_500))
    ids.append(post(ledger, day, "fee", f"fee_{tag}", ("6600", 1_500), ("1150", -1_500)))
    return ids


def day_totals(ledger: Ledger, day: dt.date) -> dict[str, int]:
    """The ledger's net per account over ``day``."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            select(accounts.c.code, func.sum(journal_lines.c.amount))
            .join(accounts, accounts.c.id == journal_lines.c.account_id)
            .where(journal_lines.c.date == day).group_by(accounts.c.code)).all()
    return {code: int(total) for code, total in rows if total}
