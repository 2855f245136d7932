"""The parts a forecast is built from, each read from history by a pure function.

- open items: receivable and payable lines settled oldest first per party; what
  stays open is expected at its due date shifted by the party's own lag;
- payment lags: days from due date to settlement of each settled item;
- recurring flows: the same label and about the same amount at a steady weekly,
  fortnightly or monthly rhythm (payroll, rent, subscriptions);
- the residual: the other bank movements, per day;
- pipeline probabilities: a stage's chance of closing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import median

from ledgerbridge.intelligence.forecast.model import BankFlow, PartyLine

__all__ = ["STAGE_PROBABILITIES", "Ledgered", "OpenItem", "Recurring", "recurring_series",
           "residual_days", "settle", "stage_probability"]

STAGE_PROBABILITIES = {
    # HubSpot's default sales pipeline
    "appointmentscheduled": 20, "qualifiedtobuy": 40, "presentationscheduled": 60,
    "decisionmakerboughtin": 80, "contractsent": 90,
    # Salesforce's default opportunity stages
    "prospecting": 10, "qualification": 10, "needs analysis": 20, "value proposition": 50,
    "id. decision makers": 60, "perception analysis": 70, "proposal/price quote": 75,
    "negotiation/review": 90,
}
"""A stage's chance of being won in percent, by the stage's name in lower case."""
UNKNOWN_STAGE = 10
_DIGITS = re.compile(r"[\d#/.-]+")
_RHYTHMS = ((7, 5, 9), (14, 12, 16), (0, 26, 35))  # (days or 0 for monthly, min, max gap)


def stage_probability(stage: str, probabilities: dict[str, int] | None = None) -> int:
    """A stage's chance of closing in percent: the CRM's own stages, else a low default."""
    table = STAGE_PROBABILITIES if probabilities is None else probabilities
    return table.get(stage.strip().lower(), UNKNOWN_STAGE)


@dataclass(frozen=True, slots=True)
class OpenItem:
    """What is left of an invoice or bill: its party, dates and open amount.

    ``amount`` is functional; ``original`` is the open part in the item's own
    ``currency`` (the same share of it as of the functional amount), when it has one.
    """

    party: str
    date: dt.date
    due: dt.date
    amount: int
    currency: str | None = None
    original: int | None = None


@dataclass(frozen=True, slots=True)
class Ledgered:
    """What settling the party lines tells: open items, lags, terms, where money went.

    Attributes:
        lags: per party, days from due date to full settlement of each settled item.
        accounts: per party, how often its settlements moved each bank account.
        terms: days from issue to due of every item, for items yet to be issued.

    """

    items: tuple[OpenItem, ...]
    lags: dict[str, list[int]]
    accounts: dict[str, Counter[str]]
    terms: tuple[int, ...]


def settle(lines: Iterable[PartyLine]) -> Ledgered:
    """Settle each party's items oldest first with its settling lines."""
    queues: dict[str, deque[list]] = defaultdict(deque)
    lags: dict[str, list[int]] = defaultdict(list)
    accounts: dict[str, Counter[str]] = defaultdict(Counter)
    terms = []
    for line in lines:
        queue = queues[line.party]
        if line.amount > 0:
            queue.append([line.date, line.due, line.amount, line])
            terms.append((line.due - line.date).days)
            continue
        if line.account:
            accounts[line.party][line.account] += 1
        left = -line.amount
        while left and queue:
            head = queue[0]
            used = min(left, head[2])
            head[2] -= used
            left -= used
            if head[2] == 0:
                queue.popleft()
                lags[line.party].append((line.date - head[1]).days)
    items = tuple(_open_item(party, date, due, amount, line)
                  for party, queue in queues.items() for date, due, amount, line in queue)
    return Ledgered(items, dict(lags), dict(accounts), tuple(terms))


def _open_item(party: str, date: dt.date, due: dt.date, amount: int, line: PartyLine
               ) -> OpenItem:
    if line.currency is None or line.original is None:
        return OpenItem(party, date, due, amount)
    original = (line.original if amount == line.amount
                else round(Fraction(line.original * amount, line.amount)))
    return OpenItem(party, date, due, amount, line.currency, original)


@dataclass(frozen=True, slots=True)
class Recurring:
    """A steady flow: ``amount`` (signed) every ``every`` days, or monthly when 0."""

    account: str
    label: str
    amount: int
    every: int
    last: dt.date

    def dates(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Its next occurrences after ``start`` up to ``end``."""
        out, n = [], 1
        while True:
            day = (_add_months(self.last, n) if self.every == 0
                   else self.last + dt.timedelta(days=self.every * n))
            if day > end:
                return out
            if day > start:
                out.append(day)
            n += 1


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no day of {year}-{month}")  # every month has a 28th


def _label(text: str) -> str:
    return " ".join(_DIGITS.sub(" ", text.lower()).split())


def _rhythm(dates: Sequence[dt.date]) -> int | None:
    gaps = [(b - a).days for a, b in zip(dates, dates[1:], strict=False)]
    for every, low, high in _RHYTHMS:
        if all(low <= g <= high for g in gaps):
            return every
    return None


def recurring_series(flows: Iterable[BankFlow], as_of: dt.date, *,
                     lookback: int = 200) -> tuple[list[Recurring], set[int]]:
    """Steady flows of the last ``lookback`` days, and the indexes of the flows they explain.

    A series needs three occurrences or more, one rhythm, amounts within 20 % of
    their median, and no missed occurrence up to ``as_of``.
    """
    since = as_of - dt.timedelta(days=lookback)
    groups: dict[tuple[str, str, bool], list[tuple[int, BankFlow]]] = defaultdict(list)
    for index, f in enumerate(flows):
        if not f.settles and f.date > since and f.label:
            groups[(f.account, _label(f.label), f.amount > 0)].append((index, f))
    found, explained = [], set()
    for (account, label, _), group in groups.items():
        dates = [f.date for _, f in group]
        every = _rhythm(dates) if len(group) >= 3 else None
        if every is None:
            continue
        amounts = [f.amount for _, f in group]
        middle = int(median(amounts[-3:]))
        if any(abs(a - middle) > abs(middle) * 0.2 for a in amounts):
            continue
        limit = 35 if every == 0 else every + 3
        if (as_of - dates[-1]).days > limit:
            continue
        found.append(Recurring(account, label, middle, every, dates[-1]))
        explained.update(i for i, _ in group)
    return found, explained


def residual_days(flows: Sequence[BankFlow], explained: set[int], as_of: dt.date,
                  accounts: Sequence[str], *, lookback: int = 90) -> dict[str, list[int]]:
    """Per account, the net of unexplained movements on each of the last ``lookback`` days."""
    start = as_of - dt.timedelta(days=lookback - 1)
    days = {a: [0] * lookback for a in accounts}
    for index, f in enumerate(flows):
        if f.settles or index in explained or f.date < start or f.account not in days:
            continue
        days[f.account][(f.date - start).days] += f.amount
    return days
