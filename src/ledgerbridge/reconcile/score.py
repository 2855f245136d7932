"""Scoring: how well a set of items explains one bank line, 0-100 with reasons.

Evidence and its weight:

* amount: exact (45, also an item in another currency paid exactly in that
  currency), within the fee tolerance (35), a sum of several items (40), an item
  in another currency within the exchange tolerance (30), a part of one item that
  the line names (20; 10 when the line does not say how much of a foreign item's
  currency it paid);
* reference: an item's document number, external id or memo token in the bank
  text or end-to-end id (35; 20 when only some items of a group are named);
* counterparty name: rapidfuzz ``token_set_ratio`` of normalized names, legal
  suffixes dropped (up to 30, from 60 upwards);
* date: 0-5 days apart full 15, decaying to nothing at 30 days.

A proposal may be accepted automatically only with amount evidence AND (a
reference OR a strong name within the date window) AND when no other candidate
for the line comes close (``MARGIN``). A part payment and an exchange difference
need the reference.

Kinds: ``book`` (a line already on the bank account), ``item`` and ``group`` (one
or several open items settled in full, less a bank fee), ``partial`` (the line
pays part of one item; the next lines pay the rest) and ``fx`` (an item booked in
another currency, paid at another rate: the difference is realized). Lines
nothing matched may still be booked by a bank rule (kind ``rule``, see ``rules``).

A line that says what the payer sent (``BankLine.original``) in a foreign item's
currency settles exactly that much of the item (``Proposal.part``): all of it when
it is what is open (give or take one minor unit, the rounding of a rate), a part
otherwise. The part is relieved at the item's carrying rate
(:meth:`~ledgerbridge.reconcile.candidates.Item.relief`) and the rest of the bank
amount is the realized exchange difference. A part payment of a foreign item
whose line does not say the amount is only proposed: accepting it needs the
amount (``accept(..., original=...)``), or an amount rule reads it from the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from ledgerbridge.money import format_minor
from ledgerbridge.reconcile.candidates import BankLine, Candidates, Item, normalize_name

if TYPE_CHECKING:
    from ledgerbridge.reconcile.rules import BankRule

__all__ = [
    "FeePolicy",
    "MARGIN",
    "Proposal",
    "date_score",
    "name_score",
    "normalize_name",
    "propose",
]

MAX_SAME_AMOUNT = 48  # exact-amount items scored per line before narrowing by name
MARGIN = 8  # the best candidate must lead the next one by this much to be unique
STRONG_NAME = 95
NAME_FLOOR = 80  # parties below this similarity are not searched for fees and splits
MAX_GROUP = 6  # items in a one-to-many match
MAX_GROUP_POOL = 14  # a party's items searched for a one-to-many match
MAX_NODES = 4000  # subset search budget per bank line
SNAP = 1  # minor units a stated original may differ from what is open and still settle all


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """How much a bank line may fall short of its items as a bank fee (to 6650).

    The fee may reach ``max_bps`` basis points of the amount or ``max_minor`` minor
    units, whichever is larger; ``account`` receives it. An item booked in another
    currency may be paid up to ``fx_bps`` off its booked value; the difference goes
    to ``fx_account``.
    """

    max_bps: int = 300
    max_minor: int = 500
    account: str = "6650"
    fx_bps: int = 500  # how far a foreign item's value may move between booking and payment
    fx_account: str | None = None  # realized differences; None: the mapping's fx_gain_loss

    def limit(self, amount: int) -> int:
        """The largest fee tolerated on ``amount`` (minor units)."""
        return max(self.max_minor, abs(amount) * self.max_bps // 10_000)

    def fx_limit(self, amount: int) -> int:
        """The largest exchange difference tolerated on ``amount`` (minor units)."""
        return abs(amount) * self.fx_bps // 10_000


@dataclass(slots=True)
class Proposal:
    """A candidate match of one bank line with items, scored."""

    bank: BankLine
    kind: str  # book | item | group
    items: list[Item]
    fee: int
    confidence: int
    reasons: list[str]
    evidence: bool  # amount and (reference or strong name + date)
    has_ref: bool
    rule: BankRule | None = None  # kind "rule": the bank rule that books the line
    part: int | None = None  # of a foreign item: how much of its currency is settled
    relieved: int | None = None  # of a foreign item: the functional amount that part carries

    @property
    def key(self) -> frozenset[int]:
        """The journal lines it links, as a set."""
        return frozenset(i.line_id for i in self.items)

    def settles(self, item: Item) -> int:
        """How much of ``item`` (functional minor units) the match settles."""
        if self.relieved is not None:
            return self.relieved
        return self.bank.amount if self.kind == "partial" else item.open

    def part_of(self, item: Item) -> int | None:
        """How much of a foreign ``item``'s own currency the match settles.

        None for an item in the functional currency, and for a part payment of a
        foreign item whose size in that currency is not known yet.
        """
        if not item.foreign:
            return None
        if self.part is not None:
            return self.part
        return None if self.kind == "partial" else item.open_original

    @property
    def exchange_difference(self) -> int:
        """The realized exchange gain (positive) or loss of a match with a foreign item."""
        if self.kind == "fx" or self.relieved is not None:
            return self.bank.amount - self.settles(self.items[0])
        return 0


def name_score(a: str | None, b: str | None) -> int:
    """Similarity 0-100 of two party names after normalization."""
    if not a or not b:
        return 0
    return _similarity(a, b)


@lru_cache(maxsize=200_000)
def _similarity(a: str, b: str) -> int:
    """Kept per pair: a payer's bank text repeats from line to line."""
    return round(fuzz.token_set_ratio(normalize_name(a), normalize_name(b)))


def date_score(days: int) -> float:
    """1.0 within 5 days, falling linearly to 0.0 at 30 days."""
    days = abs(days)
    if days <= 5:
        return 1.0
    if days >= 30:
        return 0.0
    return (30 - days) / 25


def _foreign_reasons(bank: BankLine, kind: str, item: Item, part: int | None
                     ) -> tuple[list[str], int, int | None]:
    """Reasons, amount points and the relieved functional amount of a foreign item's match."""
    if part is None:
        return [f"part payment of an item in {item.currency}: "
                f"{format_minor(bank.amount, bank.currency)} of "
                f"{format_minor(item.open, bank.currency)} open; give the {item.currency} "
                "amount to accept it"], 10, None
    relieved = item.relief(part)
    difference = format_minor(bank.amount - relieved, bank.currency)
    if kind == "partial":
        reasons = [f"part payment: {format_minor(part, item.currency)} of "
                   f"{format_minor(item.open_original, item.currency)} {item.currency} open",
                   f"exchange difference {difference} on an item in {item.currency}"]
        points = 20
    else:
        reasons = [f"exchange difference {difference} on an item in {item.currency}"]
        points = 45 if bank.original is not None else 30
    if bank.original is not None and bank.original.currency == item.currency:
        reasons.append(f"paid {format_minor(bank.original.minor, item.currency)} "
                       f"{item.currency} ({bank.original_source})")
    return reasons, points, relieved


def _score(bank: BankLine, kind: str, items: list[Item], policy: FeePolicy,
           part: int | None = None) -> Proposal:
    single = len(items) == 1
    total = items[0].open if single else sum(i.open for i in items)
    fee = total - bank.amount
    reasons: list[str] = []
    relieved = None
    if single and items[0].foreign and kind in ("fx", "partial"):
        reasons, points, relieved = _foreign_reasons(bank, kind, items[0], part)
        fee = 0
    elif kind == "partial":
        fee, points = 0, 20
        reasons.append(f"part payment: {format_minor(bank.amount, bank.currency)} of "
                       f"{format_minor(total, bank.currency)} open")
    elif fee == 0:
        points = 40 if len(items) > 1 else 45
        reasons.append("amount exact" if len(items) == 1
                       else f"amount = sum of {len(items)} items")
    else:
        points = 35 if len(items) == 1 else 30
        reasons.append(f"amount short by fee {format_minor(fee, bank.currency)}")
    refs = bank.refs  # the end-to-end id's tokens are among them
    named = [i for i in items if not refs.isdisjoint(i.refs)] if refs else []
    has_ref = bool(named) and len(named) == len(items)
    if named:
        points += 35 if has_ref else 20
        reasons.append("reference " + ", ".join(i.label for i in named[:6]) + " in text")
    party = items[0].party
    counterparty = bank.counterparty or bank.description
    name = name_score(party, counterparty)
    if name:
        points += max(0, min(30, (name - 60) * 30 // 40))
        reasons.append(f"name {counterparty!r} ~ {party!r} {name}")
    days = (abs((bank.date - items[0].date).days) if single
            else min(abs((bank.date - i.date).days) for i in items))
    points += round(15 * date_score(days))
    reasons.append(f"{days} day{'s' if days != 1 else ''} apart")
    if kind == "book":
        reasons.append(f"already in the book on {items[0].account}")
    stated = kind == "fx" and bank.original is not None
    if kind == "partial":
        evidence = has_ref and (relieved is not None or not items[0].foreign)
    elif kind == "fx" and not stated:
        evidence = has_ref
    else:
        evidence = (fee == 0 or 0 < fee <= policy.limit(total)) and (
            has_ref or (name >= STRONG_NAME and days <= 5))
    return Proposal(bank, kind, items, fee, min(100, points), reasons, evidence, has_ref,
                    part=part, relieved=relieved)


def _parties(bank: BankLine, cands: Candidates, hint: set[str] | frozenset[str]) -> list[str]:
    """Parties whose name resembles the bank line's counterparty (best first, at most 3)."""
    counterparty = bank.counterparty or bank.description
    if not counterparty or not hint:
        return []
    key = (counterparty, frozenset(hint))
    found = cands.party_cache.get(key)
    if found is None:
        names = sorted(hint)  # a stable order: ties resolve the same way every run
        best = process.extract(normalize_name(counterparty),
                               list(map(cands.norm.__getitem__, names)),
                               scorer=fuzz.token_set_ratio, score_cutoff=NAME_FLOOR, limit=3)
        found = cands.party_cache[key] = [names[k] for _, _, k in best]
    return found


def _open_items(cands: Candidates, party: str, sign: int) -> tuple[list[Item], list[Item]]:
    """A party's items of one sign, and the largest of them (the pool for ``_subsets``)."""
    key = (party, sign)
    found = cands.pools.get(key)
    if found is None:
        items = [i for i in cands.by_party.get(party, ()) if i.open * sign > 0]
        pool = sorted(items, key=lambda i: abs(i.open), reverse=True)[:MAX_GROUP_POOL]
        found = cands.pools[key] = (items, pool)
    return found


def _subsets(pool: list[Item], low: int, high: int) -> list[list[Item]]:
    """Sets of 2..MAX_GROUP items of ``pool`` (largest first, one sign) summing into [low, high]."""
    values = [abs(i.open) for i in pool]
    suffix = [0] * (len(values) + 1)
    for k in range(len(values) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + values[k]
    found: list[list[int]] = []
    _walk(values, suffix, low, high, 0, [], 0, found, [MAX_NODES])
    return [[pool[k] for k in chosen] for chosen in found]


def _walk(values: list[int], suffix: list[int], low: int, high: int, start: int,
          chosen: list[int], total: int, found: list[list[int]], budget: list[int]) -> None:
    """Depth-first subset search for ``_subsets``.

    A module function rather than a nested one: a recursive closure is a reference
    cycle that only the garbage collector frees.
    """
    if budget[0] <= 0 or len(found) >= 3:
        return
    budget[0] -= 1
    if len(chosen) >= 2 and low <= total <= high:
        found.append(chosen[:])
    if len(chosen) == MAX_GROUP:
        return
    for k in range(start, len(values)):
        if total + values[k] > high:
            continue
        if total + suffix[k] < low:
            return
        chosen.append(k)
        _walk(values, suffix, low, high, k + 1, chosen, total + values[k], found, budget)
        chosen.pop()


def _contradicts(bank: BankLine, items: list[Item]) -> bool:
    """Whether settling ``items`` in full contradicts the amount the bank says was sent.

    A line that says 820.00 EUR were sent does not settle a 1,000.00 EUR item in
    full, even when its converted amount happens to equal the item's carrying value.
    """
    original = bank.original
    if original is None or not any(i.foreign and i.currency == original.currency
                                   for i in items):
        return False
    return len(items) > 1 or abs(items[0].open_original - original.minor) > SNAP


def _foreign_match(bank: BankLine, item: Item, policy: FeePolicy, only: bool
                   ) -> tuple[str, list[Item], int | None] | None:
    """How ``bank`` may settle a foreign ``item`` it names: kind, items and the part.

    With the amount the payer sent in the item's currency: all of the item, or
    that part of it (when ``only`` the item is named). Without it: all of the item
    when the bank amount is within the exchange tolerance of its carrying value,
    else a part whose size in the item's currency is not known (part None).
    """
    original = bank.original
    if original is not None and original.currency == item.currency:
        part = original.minor
        if part * item.open_original <= 0:
            return None
        if abs(item.open_original - part) <= SNAP:
            return "fx", [item], item.open_original
        if abs(part) < abs(item.open_original) and only:
            return "partial", [item], part
        return None
    short = (item.open - bank.amount) * (1 if bank.amount > 0 else -1)
    if item.open != bank.amount and abs(short) <= policy.fx_limit(item.open):
        return "fx", [item], item.open_original
    if short > policy.fx_limit(item.open) and only:
        return "partial", [item], None
    return None


def propose(bank: BankLine, cands: Candidates, policy: FeePolicy) -> list[Proposal]:
    """Scored candidates for one bank line, best first (at most a few)."""
    out: list[Proposal] = []
    seen: set[frozenset[int]] = set()
    rejected = cands.rejected

    def add(kind: str, items: list[Item], part: int | None = None) -> None:
        key = frozenset([i.line_id for i in items])
        if key in seen or (rejected and (bank.id, key) in rejected):
            return
        if kind in ("item", "group") and _contradicts(bank, items):
            return
        seen.add(key)
        out.append(_score(bank, kind, items, policy, part))

    for item in cands.book_by_amount.get(bank.amount, ()):
        add("book", [item])
    referenced: dict[int, Item] = {}
    for ref in bank.refs:
        for item in cands.by_ref.get(ref, ()):
            if item.kind != "book" and item.open * bank.amount > 0:
                referenced[item.line_id] = item
    named: list[str] | None = None
    same = cands.open_by_amount.get(bank.amount, ())
    if len(same) > MAX_SAME_AMOUNT:  # a common amount: keep the parties the name suggests
        named = _parties(bank, cands, cands.name_index(bank))
        same = [i for i in referenced.values() if i.open == bank.amount]
        for party in named:
            same += cands.by_amount_party.get((bank.amount, party), ())
    for item in same:
        add("item", [item])
    original = bank.original
    if original is not None:
        for item in cands.open_by_original.get((original.currency, original.minor), ()):
            add("fx", [item], item.open_original)
    limit = policy.limit(bank.amount)
    for item in referenced.values():
        short = (item.open - bank.amount) * (1 if bank.amount > 0 else -1)
        if item.foreign:
            found = _foreign_match(bank, item, policy, len(referenced) == 1)
            if found is not None:
                add(*found)
        elif 0 < item.open - bank.amount <= limit:
            add("item", [item])
        elif short > limit and len(referenced) == 1:
            add("partial", [item])
    by_party: dict[str, list[Item]] = {}
    for item in referenced.values():
        by_party.setdefault(item.party or "", []).append(item)
    for items in by_party.values():
        if len(items) > 1:
            for size in range(len(items), 1, -1):
                for group in combinations(items[:MAX_GROUP], size):
                    fee = sum(i.open for i in group) - bank.amount
                    if fee == 0 or 0 < fee <= limit:
                        add("group", list(group))
    strong = any(p.evidence for p in out)
    if not strong:
        hint = {i.party for i in referenced.values() if i.party}
        hint |= {i.party for p in out for i in p.items if i.party}
        if named is None:
            hint |= cands.name_index(bank)
        else:
            hint |= set(named)
        low, high = (bank.amount, bank.amount + limit) if bank.amount > 0 else (
            -bank.amount - limit, -bank.amount)
        sign = (bank.amount > 0) - (bank.amount < 0)
        for party in _parties(bank, cands, hint):
            items, pool = _open_items(cands, party, sign)
            for item in items:
                if 0 < item.open - bank.amount <= limit:
                    add("item", [item])
            for group in _subsets(pool, low, high):
                add("group", group)
    out.sort(key=lambda p: (-p.confidence, p.fee != 0, len(p.items)))
    return out[:4]
