"""The forecast: every component simulated together, seeded, so it comes with a band.

Each simulation draws what is uncertain: when each open invoice and bill is
settled (a lag from the party's own history of days paid after due, given that
it is not paid yet), which pipeline deals are won and when they are paid, what
invoices and bills are issued each day to come (a recent day's, drawn again) and
when they are paid, and the residual
movements of each day (a day drawn from the recent past). Recurring flows come
on their dates. Balances are summed per simulation, so the total's band is the
band of the total, not a sum of bands. The same seed gives the same forecast.

Each bank account is simulated in its own currency. An amount in another
currency (an item in USD landing in the EUR account, a deal) is converted
through the functional currency at the latest rates the ledger knows; the total
is in the functional currency, each account's balances converted at those rates
in each simulation before they are summed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np

from ledgerbridge.intelligence.forecast.components import (
    Ledgered,
    recurring_series,
    residual_days,
    settle,
)
from ledgerbridge.intelligence.forecast.model import (
    DayBand,
    Forecast,
    History,
    PartyLine,
    Rate,
    Series,
)
from ledgerbridge.ledger import LedgerError
from ledgerbridge.money import currency_exponent

__all__ = ["QUANTILES", "TOTAL", "ForecastError", "forecast", "naive"]

TOTAL = "total"
QUANTILES = (0.1, 0.5, 0.9)
MIN_OWN_LAGS = 3  # settled items a party needs before its own lags are used


class ForecastError(LedgerError):
    """The history cannot give a forecast (no bank account, no horizon, no rate)."""


class _Converter:
    """Converts minor units between the functional currency and the others, exactly.

    A conversion is rounded half-even once, to the target's minor unit, like
    ``money.convert``; between two other currencies it goes through the
    functional currency's rates (one rounding, no functional amount in between).
    """

    def __init__(self, history: History, needed: set[str]) -> None:
        self.functional = history.currency
        missing = sorted(needed - set(history.rates) - {self.functional})
        if missing:
            raise ForecastError(
                f"no exchange rate for {', '.join(missing)} in the ledger up to "
                f"{history.as_of}: post a line in that currency with its rate, or give the "
                f"bank account's balance in {self.functional}")
        self.rates = {c: Fraction(r.rate) for c, r in history.rates.items()}
        self.rates[self.functional] = Fraction(1)

    def factor(self, source: str, target: str) -> Fraction:
        """Minor units of ``target`` per minor unit of ``source``."""
        shift = currency_exponent(target) - currency_exponent(source)
        return self.rates[source] / self.rates[target] * Fraction(10) ** shift

    def convert(self, values: np.ndarray | int, source: str, target: str) -> np.ndarray:
        """``values`` (any shape) converted, rounded half-even, as int64."""
        values = np.asarray(values, dtype=np.int64)
        if source == target:
            return values
        factor = self.factor(source, target)
        p, q = factor.numerator, factor.denominator
        out = [_half_even(int(v) * p, q) for v in values.ravel()]
        return np.array(out, dtype=np.int64).reshape(values.shape)


def _half_even(numerator: int, denominator: int) -> int:
    whole, rest = divmod(numerator, denominator)
    if 2 * rest > denominator or (2 * rest == denominator and whole % 2):
        whole += 1
    return whole


class _Paths:
    """Simulated daily flows: simulations x accounts x days, integer minor units."""

    def __init__(self, history: History, days: int, simulations: int, seed: int) -> None:
        if not history.balances:
            raise ForecastError("no bank accounts to forecast: the chart has no account "
                                "of subtype 'bank'")
        if days < 1:
            raise ForecastError(f"the horizon must be at least one day, not {days}")
        self.history, self.days = history, days
        self.accounts = sorted(history.balances)
        self.index = {a: i for i, a in enumerate(self.accounts)}
        self.currencies = {a: history.currency_of(a) for a in self.accounts}
        items = [line.currency for line in (*history.receivables, *history.payables)
                 if line.currency is not None]
        self.fx = _Converter(history, {*self.currencies.values(), *items})
        self.used = Counter(f.account for f in history.flows if f.account in self.index)
        self.main = self.used.most_common(1)[0][0] if self.used else self.accounts[0]
        self.rng = np.random.default_rng(seed)
        self.flows = np.zeros((simulations, len(self.accounts), days), dtype=np.int64)
        self.components: dict[str, int] = {}

    @property
    def simulations(self) -> int:
        """How many paths are simulated."""
        return self.flows.shape[0]

    def add(self, component: str, account: str, offsets: np.ndarray, amount: int | np.ndarray,
            currency: str | None = None) -> None:
        """Add ``amount`` on day ``offsets`` (1 = the day after as_of) of each simulation.

        ``amount`` is in ``currency`` (the functional one when None), converted to
        the account's; the component's expected amount is kept in the functional one.
        """
        target = self.currencies[account]
        offsets = np.broadcast_to(offsets, (self.simulations,))
        amounts = np.broadcast_to(np.asarray(amount, dtype=np.int64), (self.simulations,))
        amounts = self.fx.convert(amounts, currency or self.history.currency, target)
        inside = (offsets >= 1) & (offsets <= self.days)
        sims = np.nonzero(inside)[0]
        np.add.at(self.flows, (sims, self.index[account], offsets[inside] - 1), amounts[inside])
        self.expect(component, int(amounts[inside].sum()) // self.simulations, target)

    def expect(self, component: str, amount: int, currency: str) -> None:
        """Count ``amount`` of ``currency`` in a component's expected amount (functional)."""
        functional = int(self.fx.convert(amount, currency, self.history.currency))
        self.components[component] = self.components.get(component, 0) + functional

    def account_of(self, ledgered: Ledgered, party: str, currency: str | None = None) -> str:
        """The bank account for a party's money in ``currency`` (None: the functional one).

        The account the party's settlements usually moved that is in that
        currency; else the busiest account in it; else the party's usual account,
        else the busiest one (the amount is then converted).
        """
        wanted = currency or self.history.currency
        usual = [a for a, _ in ledgered.accounts.get(party, Counter()).most_common()
                 if a in self.index]
        busiest = [a for a, _ in self.used.most_common()] + self.accounts
        for account in (*usual, *busiest):
            if self.currencies[account] == wanted:
                return account
        return usual[0] if usual else self.main


def _lags(ledgered: Ledgered, party: str) -> np.ndarray:
    own = ledgered.lags.get(party, [])
    if len(own) >= MIN_OWN_LAGS:
        return np.array(own)
    pooled = [lag for lags in ledgered.lags.values() for lag in lags]
    return np.array(pooled or [0])


def _open_items(paths: _Paths, ledgered: Ledgered, sign: int, component: str) -> None:
    as_of = paths.history.as_of
    for item in ledgered.items:
        lags = _lags(ledgered, item.party)
        overdue = (as_of - item.due).days
        possible = lags[lags > overdue]  # it is not paid yet: only later lags remain
        if possible.size == 0:
            paths.expect("overdue beyond any past lag", sign * item.amount,
                         paths.history.currency)
            continue
        offsets = (item.due - as_of).days + paths.rng.choice(possible, paths.simulations)
        amount = item.amount if item.original is None else item.original
        paths.add(component, paths.account_of(ledgered, item.party, item.currency), offsets,
                  sign * amount, item.currency)


def _issued(lines: Sequence[PartyLine], as_of: dt.date, lookback: int
            ) -> dict[str | None, np.ndarray]:
    """Per currency (None: functional), what was issued on each of the last ``lookback`` days.

    Invoices or bills, in their own currency.
    """
    start = as_of - dt.timedelta(days=lookback - 1)
    out: dict[str | None, np.ndarray] = {}
    for line in lines:
        if line.amount > 0 and line.date >= start:
            days = out.setdefault(line.currency, np.zeros(lookback, dtype=np.int64))
            own = line.amount if line.original is None else line.original
            days[(line.date - start).days] += own
    return out


def _functional_total(paths: _Paths, issued: dict[str | None, np.ndarray]) -> int:
    return sum(int(paths.fx.convert(int(days.sum()), c or paths.history.currency,
                                    paths.history.currency)) for c, days in issued.items())


def _new_items(paths: _Paths, ledgered: Ledgered, issued: dict[str | None, np.ndarray],
               keep: tuple[int, int], sign: int, component: str) -> None:
    """Items not issued yet, paid after the usual terms and a drawn lag.

    Each day to come issues, in each currency, what a recent day did (drawn),
    times ``keep[0] / keep[1]``.
    """
    if keep[0] <= 0:
        return
    term = int(np.median(ledgered.terms)) if ledgered.terms else 30
    pooled = _lags(ledgered, "")
    totals: Counter[str] = Counter()
    for counts in ledgered.accounts.values():
        totals.update(counts)
    usual = Ledgered((), {}, {"": totals}, ())
    for currency, days in issued.items():
        if not days.any():
            continue
        account = paths.account_of(usual, "", currency)
        for day in range(1, paths.days + 1):
            amounts = days[paths.rng.integers(0, days.size, paths.simulations)]
            offsets = day + term + paths.rng.choice(pooled, paths.simulations)
            paths.add(component, account, offsets, sign * (amounts * keep[0] // keep[1]),
                      currency)


def _pipeline(paths: _Paths, ledgered: Ledgered) -> int:
    """Simulate the open deals; return the expected amount invoiced within the horizon."""
    as_of, end = paths.history.as_of, paths.history.as_of + dt.timedelta(days=paths.days)
    term = int(np.median(ledgered.terms)) if ledgered.terms else 30
    expected = 0
    for deal in paths.history.deals:
        close = max(deal.close_date, as_of + dt.timedelta(days=1))
        if close <= end:
            expected += deal.amount * deal.probability // 100
        won = paths.rng.integers(0, 100, paths.simulations) < deal.probability
        lags = paths.rng.choice(_lags(ledgered, deal.party), paths.simulations)
        days = (close - as_of).days + (term if deal.terms_days is None else deal.terms_days)
        paths.add("pipeline", paths.account_of(ledgered, deal.party), days + lags,
                  np.where(won, deal.amount, 0))
    return expected


def _recurring_and_residual(paths: _Paths, lookback: int) -> None:
    history = paths.history
    series, explained = recurring_series(history.flows, history.as_of)
    end = history.as_of + dt.timedelta(days=paths.days)
    for s in series:
        if s.account not in paths.index:
            continue
        for day in s.dates(history.as_of, end):
            paths.add("recurring", s.account, np.array((day - history.as_of).days), s.amount)
    residual = residual_days(history.flows, explained, history.as_of, paths.accounts,
                             lookback=lookback)
    picks = paths.rng.integers(0, lookback, size=(paths.simulations, paths.days))
    for account, days in residual.items():
        drawn = np.asarray(days, dtype=np.int64)[picks]
        paths.flows[:, paths.index[account], :] += drawn
        paths.expect("other", int(drawn.sum()) // paths.simulations, paths.currencies[account])


def _bands(balances: np.ndarray, as_of: dt.date) -> tuple[DayBand, ...]:
    """Per day, the simulations' 10th, 50th and 90th percentile balances (actual draws)."""
    ordered = np.sort(balances, axis=0)
    n = ordered.shape[0]
    picks = [max(0, int(np.ceil(q * n)) - 1) for q in QUANTILES]
    return tuple(DayBand(as_of + dt.timedelta(days=d + 1), *(int(ordered[p, d]) for p in picks))
                 for d in range(ordered.shape[1]))


def forecast(history: History, days: int = 91, *, simulations: int = 500, seed: int = 0,
             lookback: int = 90) -> Forecast:
    """Daily balance bands for the ``days`` after ``history.as_of``, per account and total."""
    paths = _Paths(history, days, simulations, seed)
    receivable, payable = settle(history.receivables), settle(history.payables)
    _open_items(paths, receivable, 1, "open receivables")
    _open_items(paths, payable, -1, "open payables")
    # The pipeline replaces the part of the usual invoicing that it explains.
    invoiced = _pipeline(paths, receivable)
    issued = _issued(history.receivables, history.as_of, lookback)
    usual = _functional_total(paths, issued) * days // lookback
    _new_items(paths, receivable, issued, (max(0, usual - invoiced), max(usual, 1)), 1,
               "invoices to come")
    _new_items(paths, payable, _issued(history.payables, history.as_of, lookback), (1, 1), -1,
               "bills to come")
    _recurring_and_residual(paths, lookback)
    starts = np.array([history.balances[a] for a in paths.accounts], dtype=np.int64)
    balances = starts[None, :, None] + np.cumsum(paths.flows, axis=2)
    series = [Series(a, int(starts[i]), _bands(balances[:, i, :], history.as_of),
                     paths.currencies[a]) for i, a in enumerate(paths.accounts)]
    total, start = _in_functional(paths, balances, starts)
    series.append(Series(TOTAL, start, _bands(total, history.as_of), history.currency))
    return Forecast(history.as_of, history.currency, tuple(series), paths.components,
                    simulations, seed, _rates_used(history, paths.currencies.values()))


def _in_functional(paths: _Paths, balances: np.ndarray, starts: np.ndarray
                   ) -> tuple[np.ndarray, int]:
    """Each simulation's total balance per day, and the start, in the functional currency."""
    functional = paths.history.currency
    total = np.zeros((balances.shape[0], balances.shape[2]), dtype=np.int64)
    start = 0
    for i, account in enumerate(paths.accounts):
        currency = paths.currencies[account]
        total += paths.fx.convert(balances[:, i, :], currency, functional)
        start += int(paths.fx.convert(int(starts[i]), currency, functional))
    return total, start


def _rates_used(history: History, currencies: Iterable[str]) -> tuple[Rate, ...]:
    return tuple(history.rates[c] for c in sorted(set(currencies) - {history.currency}))


def naive(history: History, days: int, *, lookback: int = 90) -> dict[str, list[int]]:
    """The baseline: each account's last balance carried forward plus its average net flow.

    Each account in its currency; the total in the functional one, at the latest rates.
    """
    since = history.as_of - dt.timedelta(days=lookback)
    fx = _Converter(history, {history.currency_of(a) for a in history.balances})
    out: dict[str, list[int]] = {}
    total = np.zeros(days, dtype=np.int64)
    for account, balance in history.balances.items():
        net = sum(f.amount for f in history.flows if f.account == account and f.date > since)
        out[account] = [balance + net * d // lookback for d in range(1, days + 1)]
        total += fx.convert(np.array(out[account]), history.currency_of(account),
                            history.currency)
    out[TOTAL] = [int(v) for v in total]
    return out
