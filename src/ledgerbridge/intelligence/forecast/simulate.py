"""The forecast: every component simulated together, seeded, so it comes with a band.

Each simulation draws what is uncertain: when each open invoice and bill is
settled (a lag from the party's own history of days paid after due, given that
it is not paid yet), which pipeline deals are won and when they are paid, what
invoices and bills are issued each day to come (a recent day's, drawn again) and
when they are paid, and the residual
movements of each day (a day drawn from the recent past). Recurring flows come
on their dates. Balances are summed per simulation, so the total's band is the
band of the total, not a sum of bands. The same seed gives the same forecast.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ledgerbridge.intelligence.forecast.components import (
    Ledgered,
    recurring_series,
    residual_days,
    settle,
)
from ledgerbridge.intelligence.forecast.model import DayBand, Forecast, History, Series
from ledgerbridge.ledger import LedgerError

__all__ = ["QUANTILES", "TOTAL", "ForecastError", "forecast", "naive"]

TOTAL = "total"
QUANTILES = (0.1, 0.5, 0.9)
MIN_OWN_LAGS = 3  # settled items a party needs before its own lags are used


class ForecastError(LedgerError):
    """The history cannot give a forecast (no bank account, no horizon)."""


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
        used = Counter(f.account for f in history.flows if f.account in self.index)
        self.main = used.most_common(1)[0][0] if used else self.accounts[0]
        self.rng = np.random.default_rng(seed)
        self.flows = np.zeros((simulations, len(self.accounts), days), dtype=np.int64)
        self.components: dict[str, int] = {}

    @property
    def simulations(self) -> int:
        """How many paths are simulated."""
        return self.flows.shape[0]

    def add(self, component: str, account: str, offsets: np.ndarray, amount: int | np.ndarray
            ) -> None:
        """Add ``amount`` on day ``offsets`` (1 = the day after as_of) of each simulation."""
        offsets = np.broadcast_to(offsets, (self.simulations,))
        amounts = np.broadcast_to(np.asarray(amount, dtype=np.int64), (self.simulations,))
        inside = (offsets >= 1) & (offsets <= self.days)
        sims = np.nonzero(inside)[0]
        np.add.at(self.flows, (sims, self.index[account], offsets[inside] - 1), amounts[inside])
        self.components[component] = (self.components.get(component, 0)
                                      + int(amounts[inside].sum()) // self.simulations)

    def account_of(self, ledgered: Ledgered, party: str) -> str:
        """The bank account a party's settlements usually moved, else the main one."""
        for account, _ in ledgered.accounts.get(party, Counter()).most_common():
            if account in self.index:
                return account
        return self.main


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
            paths.components["overdue beyond any past lag"] = (
                paths.components.get("overdue beyond any past lag", 0) + sign * item.amount)
            continue
        offsets = (item.due - as_of).days + paths.rng.choice(possible, paths.simulations)
        paths.add(component, paths.account_of(ledgered, item.party), offsets,
                  sign * item.amount)


def _issued(lines: Sequence, as_of: dt.date, lookback: int) -> np.ndarray:
    """What was issued (invoices or bills) on each of the last ``lookback`` days."""
    start = as_of - dt.timedelta(days=lookback - 1)
    days = np.zeros(lookback, dtype=np.int64)
    for line in lines:
        if line.amount > 0 and line.date >= start:
            days[(line.date - start).days] += line.amount
    return days


def _new_items(paths: _Paths, ledgered: Ledgered, issued: np.ndarray, keep: tuple[int, int],
               sign: int, component: str) -> None:
    """Items not issued yet, paid after the usual terms and a drawn lag.

    Each day to come issues what a recent day did (drawn), times ``keep[0] / keep[1]``.
    """
    if not issued.any() or keep[0] <= 0:
        return
    term = int(np.median(ledgered.terms)) if ledgered.terms else 30
    pooled = _lags(ledgered, "")
    totals: Counter[str] = Counter()
    for counts in ledgered.accounts.values():
        totals.update(counts)
    account = next((a for a, _ in totals.most_common() if a in paths.index), paths.main)
    for day in range(1, paths.days + 1):
        amounts = issued[paths.rng.integers(0, issued.size, paths.simulations)]
        offsets = day + term + paths.rng.choice(pooled, paths.simulations)
        paths.add(component, account, offsets, sign * (amounts * keep[0] // keep[1]))


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
        paths.components["other"] = (paths.components.get("other", 0)
                                     + int(drawn.sum()) // paths.simulations)


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
    usual = int(issued.sum()) * days // lookback
    _new_items(paths, receivable, issued, (max(0, usual - invoiced), max(usual, 1)), 1,
               "invoices to come")
    _new_items(paths, payable, _issued(history.payables, history.as_of, lookback), (1, 1), -1,
               "bills to come")
    _recurring_and_residual(paths, lookback)
    starts = np.array([history.balances[a] for a in paths.accounts], dtype=np.int64)
    balances = starts[None, :, None] + np.cumsum(paths.flows, axis=2)
    series = [Series(a, int(starts[i]), _bands(balances[:, i, :], history.as_of))
              for i, a in enumerate(paths.accounts)]
    series.append(Series(TOTAL, int(starts.sum()), _bands(balances.sum(axis=1), history.as_of)))
    return Forecast(history.as_of, history.currency, tuple(series), paths.components,
                    simulations, seed)


def naive(history: History, days: int, *, lookback: int = 90) -> dict[str, list[int]]:
    """The baseline: each account's last balance carried forward plus its average net flow."""
    since = history.as_of - dt.timedelta(days=lookback)
    out: dict[str, list[int]] = {}
    for account, balance in history.balances.items():
        net = sum(f.amount for f in history.flows if f.account == account and f.date > since)
        out[account] = [balance + net * d // lookback for d in range(1, days + 1)]
    out[TOTAL] = [sum(values[d] for values in out.values()) for d in range(days)]
    return out
