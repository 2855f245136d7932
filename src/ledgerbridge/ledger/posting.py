"""Turn entries into balanced journal rows: validation and currency conversion.

Pure functions over a :class:`PostingContext` (the chart, the functional currency
and the period states loaded once per batch), so the hot path does no queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from ledgerbridge.ledger.model import Entry, PeriodStatus, PostingError
from ledgerbridge.money import currency_exponent, format_minor

__all__ = ["PostingContext", "PreparedLine", "check_period", "prepare_lines", "period_of"]

_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class PostingContext:
    """What posting needs to know about an entity, loaded once per batch."""

    entity_id: int
    functional: str
    accounts: Mapping[str, tuple[int, bool]]  # code -> (account id, active)
    periods: Mapping[str, PeriodStatus]  # "YYYY-MM" -> closed / locked
    allow_closed: bool = False


class PreparedLine(NamedTuple):
    """A validated line, ready to insert: functional amount plus the original.

    A named tuple rather than a dataclass: bulk posting builds millions of them.
    """

    account_id: int
    amount: int
    currency: str
    original_amount: int
    rate: Decimal | None
    memo: str | None
    party: str | None
    due_date: dt.date | None
    tax_code: str | None = None


def period_of(day: dt.date) -> str:
    """The accounting month of a date, as ``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


def check_period(ctx: PostingContext, day: dt.date) -> None:
    """Refuse a date that falls in a locked period, or a closed one without override."""
    if not ctx.periods:
        return
    status = ctx.periods.get(period_of(day))
    if status is PeriodStatus.LOCKED:
        raise PostingError(f"period {period_of(day)} is locked; post into an open period")
    if status is PeriodStatus.CLOSED and not ctx.allow_closed:
        raise PostingError(
            f"period {period_of(day)} is closed; reopen it or post as an adjusting entry"
        )


def prepare_lines(ctx: PostingContext, entry: Entry) -> list[PreparedLine]:
    """Validate ``entry`` and return its lines with functional amounts.

    Raises PostingError naming the reason: too few lines, unknown or inactive
    account, missing rate, locked period, or an entry that does not balance.
    """
    lines = entry.lines
    if len(lines) < 2:
        raise PostingError("an entry needs at least two lines")
    check_period(ctx, entry.date)
    functional = ctx.functional
    accounts = ctx.accounts
    # One pass for the common case: every line in the functional currency.
    prepared = []
    single_currency = True
    total = 0
    moved = False
    for line in lines:
        found = accounts.get(line.account)
        if found is None:
            raise PostingError(f"unknown account {line.account!r}")
        account_id, active = found
        if not active:
            raise PostingError(f"account {line.account!r} is inactive")
        amount = line.amount
        minor = amount.minor
        total += minor
        if minor:
            moved = True
        if amount.currency != functional or line.rate not in (None, _ONE):
            single_currency = False
        prepared.append(
            PreparedLine(account_id, minor, functional, minor, None,
                         line.memo, line.party, line.due_date, line.tax_code)
        )
    if single_currency:
        if total:
            raise _unbalanced([ln.amount for ln in prepared], functional)
        if not moved:
            raise PostingError("the entry moves no money: every line is zero")
        return prepared
    converted = _convert(lines, functional)
    return [
        prepared_line._replace(
            amount=amount,
            currency=line.amount.currency,
            rate=line.rate if line.amount.currency != functional else None,
        )
        for prepared_line, amount, line in zip(prepared, converted, lines, strict=True)
    ]


def _convert(lines: tuple, functional: str) -> list[int]:
    """Functional amounts of mixed-currency lines, balanced to the cent.

    Each line is converted exactly and rounded half-even. When the exact amounts
    balance but the rounded ones are a few minor units off, the difference goes to
    the lines that rounding moved furthest (largest remainder), so an entry that
    balances in its own currency always balances in the functional one.
    """
    fexp = currency_exponent(functional)
    exact: list[Decimal] = []
    for ln in lines:
        cur = ln.amount.currency
        if cur == functional:
            if ln.rate not in (None, _ONE):
                raise PostingError(f"account {ln.account}: a {cur} line cannot have a rate")
            exact.append(Decimal(ln.amount.minor))
            continue
        if ln.rate is None:
            raise PostingError(
                f"account {ln.account}: a {cur} line needs a rate to {functional}"
            )
        shift = fexp - currency_exponent(cur)
        exact.append((Decimal(ln.amount.minor) * ln.rate).scaleb(shift))
    rounded = [int(x.quantize(_ONE, ROUND_HALF_EVEN)) for x in exact]
    residual = -sum(rounded)
    if residual:
        if sum(exact) != 0:
            raise _unbalanced(rounded, functional)
        by_error = sorted(
            range(len(rounded)),
            key=lambda i: (exact[i] - rounded[i]) * (1 if residual > 0 else -1),
            reverse=True,
        )
        step = 1 if residual > 0 else -1
        for i in by_error[: abs(residual)]:
            rounded[i] += step
    if not any(ln.amount.minor for ln in lines):
        raise PostingError("the entry moves no money: every line is zero")
    return rounded


def _unbalanced(amounts: list[int], currency: str) -> PostingError:
    debits = sum(a for a in amounts if a > 0)
    credits = -sum(a for a in amounts if a < 0)
    return PostingError(
        f"the entry does not balance in {currency}: debits {format_minor(debits, currency)}"
        f" != credits {format_minor(credits, currency)}"
        f" (difference {format_minor(debits - credits, currency)})"
    )
