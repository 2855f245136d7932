"""What a forecast reads (the books' history as of a day) and what it returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["BankFlow", "DayBand", "Deal", "Forecast", "History", "PartyLine", "Rate", "Series"]


@dataclass(frozen=True, slots=True)
class BankFlow:
    """One movement of a bank account: signed minor units of the account's currency.

    Positive is money in.

    Attributes:
        label: who or what it was (the entry's party, else its memo).
        settles: whether its entry settled a receivable or payable (an open item);
            those flows are forecast from open items, the rest as recurring or other.

    """

    date: dt.date
    account: str
    amount: int
    label: str
    settles: bool


@dataclass(frozen=True, slots=True)
class PartyLine:
    """A receivable or payable line: positive opens an item, negative settles.

    Amounts are signed so that an invoice (receivable) or a bill (payable) is
    positive; ``account`` is the bank account that a settling line's entry moved.

    Attributes:
        amount: in the functional currency (items are settled in it).
        currency, original: the line's own currency and signed amount in it, when
            that is not the functional currency.

    """

    party: str
    date: dt.date
    due: dt.date
    amount: int
    account: str | None = None
    currency: str | None = None
    original: int | None = None


@dataclass(frozen=True, slots=True)
class Deal:
    """An open CRM deal: expected amount is amount x probability (percent) / 100.

    Attributes:
        party: the customer (the deal's company), to find its payment lag.
        terms_days: days from close (the invoice) to due, when the deal says.

    """

    name: str
    party: str
    amount: int
    probability: int
    close_date: dt.date
    terms_days: int | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    """The latest exchange rate the ledger knows for a currency, as of a forecast's day.

    ``rate`` is functional units per one unit of ``currency`` (as journal lines
    carry it), from the latest line in ``currency`` up to the forecast's day.
    """

    currency: str
    rate: Decimal
    date: dt.date


@dataclass(frozen=True, slots=True)
class History:
    """The books as of ``as_of``, as the forecast needs them.

    Attributes:
        currency: the functional currency: the total's, and the deals'.
        balances: balance per bank account code at the end of ``as_of``, in the
            account's currency.
        flows: bank movements up to ``as_of``, oldest first.
        receivables, payables: party lines up to ``as_of``, oldest first.
        deals: open deals of the CRM pipeline.
        currencies: each bank account's currency; an account not named is in the
            functional currency.
        rates: the latest rate of each other currency the accounts and items use.

    """

    as_of: dt.date
    currency: str
    balances: dict[str, int]
    flows: tuple[BankFlow, ...]
    receivables: tuple[PartyLine, ...]
    payables: tuple[PartyLine, ...]
    deals: tuple[Deal, ...] = ()
    currencies: dict[str, str] = field(default_factory=dict)
    rates: dict[str, Rate] = field(default_factory=dict)

    def currency_of(self, account: str) -> str:
        """The currency of a bank account's balance and flows."""
        return self.currencies.get(account, self.currency)


@dataclass(frozen=True, slots=True)
class DayBand:
    """A day's forecast balance: the 10th, 50th and 90th percentile of the simulations."""

    date: dt.date
    low: int
    median: int
    high: int


@dataclass(frozen=True, slots=True)
class Series:
    """The daily forecast of one bank account in its currency, or of all of them.

    The series of all of them (``account`` "total") is in the functional currency.
    """

    account: str
    start: int
    days: tuple[DayBand, ...]
    currency: str


@dataclass(frozen=True, slots=True)
class Forecast:
    """Daily balance bands per bank account and in total, with what they were made of.

    Attributes:
        currency: the functional currency, of the total and the components.
        components: the expected (mean) amount each component adds over the
            horizon, in the functional currency.
        rates: the rates the total converted other currencies at.

    """

    as_of: dt.date
    currency: str
    series: tuple[Series, ...]
    components: dict[str, int]
    simulations: int
    seed: int
    rates: tuple[Rate, ...] = ()

    def of(self, account: str) -> Series:
        """The series of one account (or "total"); unknown accounts are refused."""
        for s in self.series:
            if s.account == account:
                return s
        names = ", ".join(s.account for s in self.series)
        raise KeyError(f"no bank account {account!r} in the forecast (accounts: {names})")
