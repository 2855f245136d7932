"""Receipts matched to card lines by amount, date and merchant name.

A receipt matches a card line when all three agree:

- **amount**: the same amount in the same currency; for a restaurant line (its
  merchant category code is a restaurant one) the card may also be higher than the
  receipt by up to ``tip_percent`` of it, since the tip is added after the receipt
  is printed;
- **date**: at most ``days`` apart (a card settles a day or two after the meal, a
  receipt is dated when it was printed);
- **merchant**: the names are alike (rapidfuzz ``WRatio`` of at least
  ``min_similarity``, 0-100): "AMZN Mktp US" and "Amazon.com" are not, "Blue Bottle
  Coffee" and "BLUE BOTTLE COFFEE #12" are.

Among several candidates the pairing with the highest total score wins, each
receipt and each line used at most once (an assignment problem, solved by scipy).
``settle`` keeps only the pairings nothing else comes close to: a receipt that fits
two card lines about as well (or a line two receipts) is left for a person.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from rapidfuzz import fuzz, utils
from scipy.optimize import linear_sum_assignment

from ledgerbridge.money import Money

__all__ = ["CardLine", "Match", "MatchPolicy", "Receipt", "Settled", "match", "score",
           "settle"]

_NEVER = 1e9

CLOSE_SCORE = 5.0
"""A rival pairing scoring less than this below the chosen one makes it ambiguous
(one day apart is 5: the same-day receipt still wins on its own)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """A receipt as far as matching needs it.

    Attributes:
        ref: how an Expense names it ("intake:<sha256>", "ramp:receipt:<id>").
        merchant: the seller's name printed on it.
        amount: its total.
        date: the date printed on it.

    """

    ref: str
    merchant: str | None
    amount: Money
    date: dt.date


@dataclass(frozen=True, slots=True)
class CardLine:
    """A card transaction without a receipt.

    Attributes:
        external_id: the transaction's id in the card system.
        merchant: the merchant name the card network reported.
        amount: what the card was charged.
        date: when the card was used.
        restaurant: whether a tip may have been added to the receipt's amount.

    """

    external_id: str
    merchant: str | None
    amount: Money
    date: dt.date
    restaurant: bool = False


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """How close a receipt must be to a card line."""

    days: int = 3
    tip_percent: Decimal = Decimal(30)
    min_similarity: float = 60.0


@dataclass(frozen=True, slots=True)
class Match:
    """A receipt paired with a card line; ``tip`` is the card amount above the receipt."""

    line: CardLine
    receipt: Receipt
    score: float
    similarity: float
    tip: Money


def _amount_fits(line: CardLine, receipt: Receipt, policy: MatchPolicy) -> bool:
    card, printed = line.amount, receipt.amount
    if card.currency != printed.currency:
        return False
    if card.minor == printed.minor:
        return True
    if not line.restaurant or card.minor < printed.minor:
        return False
    return card.minor * 100 <= printed.minor * (100 + policy.tip_percent)


def score(line: CardLine, receipt: Receipt, policy: MatchPolicy) -> tuple[float, float] | None:
    """(score, name similarity) of a pairing, or None when the pair cannot match.

    The score is the similarity less 5 per day apart and less 10 for a tip, so an
    exact amount on the same day wins over a near one.
    """
    days = abs((line.date - receipt.date).days)
    if days > policy.days or not _amount_fits(line, receipt, policy):
        return None
    if not line.merchant or not receipt.merchant:
        return None
    similarity = fuzz.WRatio(line.merchant, receipt.merchant, processor=utils.default_process)
    if similarity < policy.min_similarity:
        return None
    tipped = line.amount.minor != receipt.amount.minor
    return similarity - 5 * days - (10 if tipped else 0), similarity


def _candidates(lines: Sequence[CardLine], receipts: Sequence[Receipt],
                policy: MatchPolicy) -> Iterator[tuple[int, int]]:
    """(line, receipt) index pairs whose amounts can match, found by bisecting on amount."""
    by_currency: dict[str, list[tuple[int, int]]] = {}
    for j, receipt in enumerate(receipts):
        by_currency.setdefault(receipt.amount.currency, []).append((receipt.amount.minor, j))
    for column in by_currency.values():
        column.sort()
    for i, line in enumerate(lines):
        column = by_currency.get(line.amount.currency, [])
        card = line.amount.minor
        # The smallest receipt a tip could lift to the card amount (rounded down: safe).
        low = card * 100 // (100 + policy.tip_percent) if line.restaurant and card > 0 else card
        start = bisect.bisect_left(column, (int(low), -1))
        for minor, j in column[start:]:
            if minor > card:
                break
            yield i, j


@dataclass(frozen=True, slots=True)
class Settled:
    """The pairings to record, and those a person must choose between.

    Attributes:
        matches: pairings no other candidate comes close to.
        ambiguous: each chosen pairing a rival comes close to, with the rivals
            (every candidate pairing of its line or receipt scoring within
            ``CLOSE_SCORE``, the chosen one included).

    """

    matches: tuple[Match, ...]
    ambiguous: tuple[tuple[Match, ...], ...]


def _scores(lines: Sequence[CardLine], receipts: Sequence[Receipt],
            policy: MatchPolicy) -> dict[tuple[int, int], tuple[float, float]]:
    found: dict[tuple[int, int], tuple[float, float]] = {}
    for i, j in _candidates(lines, receipts, policy):
        scored = score(lines[i], receipts[j], policy)
        if scored is not None:
            found[i, j] = scored
    return found


def _pair(lines: Sequence[CardLine], receipts: Sequence[Receipt],
          found: dict[tuple[int, int], tuple[float, float]], i: int, j: int) -> Match:
    line, receipt = lines[i], receipts[j]
    return Match(line, receipt, found[i, j][0], found[i, j][1], line.amount - receipt.amount)


def match(lines: Sequence[CardLine], receipts: Sequence[Receipt],
          policy: MatchPolicy | None = None) -> list[Match]:
    """The best one-to-one pairing of ``receipts`` with ``lines``, in the order of ``lines``."""
    policy = policy or MatchPolicy()
    if not lines or not receipts:
        return []
    found = _scores(lines, receipts, policy)
    return [_pair(lines, receipts, found, i, j) for i, j in _assign(lines, receipts, found)]


def settle(lines: Sequence[CardLine], receipts: Sequence[Receipt],
           policy: MatchPolicy | None = None) -> Settled:
    """The best pairing of ``match``, split into clear matches and ambiguous ones.

    A chosen pairing is ambiguous when another candidate of its line or of its
    receipt scores within ``CLOSE_SCORE`` of it: which one is right is a guess.
    """
    policy = policy or MatchPolicy()
    if not lines or not receipts:
        return Settled((), ())
    found = _scores(lines, receipts, policy)
    clear, ambiguous = [], []
    for i, j in _assign(lines, receipts, found):
        chosen = _pair(lines, receipts, found, i, j)
        rivals = [(a, b) for (a, b), (points, _) in found.items()
                  if (a == i) != (b == j) and points > chosen.score - CLOSE_SCORE]
        if rivals:
            ambiguous.append((chosen, *(_pair(lines, receipts, found, a, b)
                                        for a, b in rivals)))
        else:
            clear.append(chosen)
    return Settled(tuple(clear), tuple(ambiguous))


def _assign(lines: Sequence[CardLine], receipts: Sequence[Receipt],
            found: dict[tuple[int, int], tuple[float, float]]) -> list[tuple[int, int]]:
    """The (line, receipt) index pairs of the best total score, in the order of lines."""
    if not found:
        return []
    cost = np.full((len(lines), len(receipts)), _NEVER)
    for (i, j), (points, _) in found.items():
        cost[i, j] = -points
    rows, cols = linear_sum_assignment(cost)
    return [(i, j) for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
            if (i, j) in found]  # the assignment's rows come in order
