"""Anomaly checks: pure functions from records to flags, each flag naming its records.

Duplicates: a bill entered twice (same vendor and number), a bill paid twice (two
payments naming it), the same amount paid to a similar-named vendor within a few
days through any two channels (a bank debit and a card charge, two transfers ...).
A bank debit and a booked bank payment of the same amount are one movement seen
twice (reconciliation pairs them), not two, so they are never paired here; a
monthly subscription of the same amount is never within the window of itself.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from statistics import median

from rapidfuzz import fuzz

from ledgerbridge.intelligence.anomalies.model import Flag, FlagKind, Outflow, Posting
from ledgerbridge.money import currency_exponent, format_minor

__all__ = [
    "DEFAULTS",
    "ManualEntry",
    "Thresholds",
    "bank_account_changes",
    "duplicate_amounts",
    "duplicate_numbers",
    "round_or_weekend",
    "unusual_accounts",
    "unusual_amounts",
]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The knobs of the checks.

    Attributes:
        window_days: payments this close of the same amount may be one paid twice.
        min_similarity: rapidfuzz token-set ratio (0-100) from which two vendor
            names are the same vendor.
        min_history: records of a vendor needed before its amounts are judged.
        robust_z: distance from the vendor's median, in MAD-based standard
            deviations, from which an amount is unusual.
        change_days: a payment this soon after a vendor's bank account changed is flagged.
        round_minor: a manual entry of at least this (minor units) is checked for
            round amounts and weekend dates.
        round_unit: major units an amount must be a multiple of to be round.

    """

    window_days: int = 5
    min_similarity: int = 85
    min_history: int = 6
    robust_z: float = 6.0
    change_days: int = 30
    round_minor: int = 1_000_000
    round_unit: int = 1000


DEFAULTS = Thresholds()
"""The thresholds the checks use unless told otherwise."""


@dataclass(frozen=True, slots=True)
class ManualEntry:
    """A journal entry made by hand (no source record), for round and weekend checks."""

    key: str
    date: dt.date
    amount: int  # the sum of its debits, minor units
    currency: str
    memo: str


def _money(minor: int, currency: str) -> str:
    return f"{format_minor(minor, currency)} {currency}"


def _describe(o: Outflow) -> str:
    number = f" {o.number}" if o.number else ""
    return f"{o.kind}{number} ({o.key}, {o.date}, {_money(o.amount, o.currency)})"


def duplicate_numbers(outflows: Iterable[Outflow]) -> list[Flag]:
    """Bills with the same vendor and number; payments naming the same bill."""
    groups: dict[tuple[str, str, str], list[Outflow]] = defaultdict(list)
    for o in outflows:
        if o.number and o.kind in ("bill", "payment"):
            groups[(o.kind, o.vendor, o.number.strip().upper())].append(o)
    flags = []
    for (kind, _, number), group in groups.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda o: (o.date, o.key))
        names = ", ".join(_describe(o) for o in group)
        total = sum(o.amount for o in group[1:])
        if kind == "bill":
            flags.append(Flag(FlagKind.DUPLICATE_BILL, f"bill {number} of {group[0].vendor_name} "
                              f"is entered {len(group)} times: {names}", 0.95,
                              tuple(o.key for o in group), total, group[0].currency))
        else:
            flags.append(Flag(FlagKind.DUPLICATE_PAYMENT, f"bill {number} of "
                              f"{group[0].vendor_name} is paid {len(group)} times: {names}",
                              0.95, tuple(o.key for o in group), total, group[0].currency))
    return flags


def _one_movement(a: Outflow, b: Outflow) -> bool:
    """A bank debit and a booked bank payment: the same money seen from two sides."""
    return {a.kind, b.kind} != {"bank"} and "bank" in (a.kind, b.kind) and a.channel == b.channel


def duplicate_amounts(outflows: Iterable[Outflow], limits: Thresholds = DEFAULTS) -> list[Flag]:
    """The same amount paid to the same (similar-named) vendor within the window."""
    groups: dict[tuple[str, int], list[Outflow]] = defaultdict(list)
    for o in outflows:
        if o.pays:
            groups[(o.currency, o.amount)].append(o)
    flags = []
    for group in groups.values():
        group.sort(key=lambda o: (o.date, o.key))
        for a, b in combinations(group, 2):
            days = abs((b.date - a.date).days)
            if days > limits.window_days or _one_movement(a, b) or a.key == b.key:
                continue
            similarity = 100.0 if a.vendor == b.vendor else fuzz.token_set_ratio(a.vendor, b.vendor)
            if similarity < limits.min_similarity:
                continue
            closeness = 1 - days / (limits.window_days + 1)
            score = round(0.5 + 0.45 * similarity / 100 * closeness, 2)
            flags.append(Flag(
                FlagKind.DUPLICATE_PAYMENT,
                f"{_money(a.amount, a.currency)} paid to {a.vendor_name} twice in {days} days: "
                f"{_describe(a)} and {_describe(b)}", score, (a.key, b.key), b.amount,
                b.currency))
    return flags


def _spread(values: Sequence[int]) -> tuple[float, float]:
    """Median and a robust standard deviation (1.4826 MAD, at least 5 % of the median)."""
    middle = median(values)
    mad = median(abs(v - middle) for v in values)
    return middle, max(1.4826 * mad, 0.05 * abs(middle), 1.0)


def unusual_amounts(outflows: Iterable[Outflow], limits: Thresholds = DEFAULTS) -> list[Flag]:
    """Amounts far from the vendor's usual ones (median/MAD of its other records)."""
    series: dict[tuple[str, str, str], list[Outflow]] = defaultdict(list)
    for o in outflows:
        if o.kind != "contact":
            series[(o.vendor, "bill" if o.kind == "bill" else "paid", o.currency)].append(o)
    flags = []
    for group in series.values():
        if len(group) <= limits.min_history:
            continue
        amounts = [o.amount for o in group]
        for index, o in enumerate(group):
            others = amounts[:index] + amounts[index + 1:]
            middle, sigma = _spread(others)
            z = abs(o.amount - middle) / sigma
            if z < limits.robust_z:
                continue
            flags.append(Flag(
                FlagKind.UNUSUAL_AMOUNT,
                f"{_describe(o)} to {o.vendor_name} is {z:.0f} robust deviations from its "
                f"usual {_money(round(middle), o.currency)} ({len(others)} other records)",
                round(min(0.99, 1 - 3 / z), 2), (o.key,), o.amount, o.currency))
    return flags


def bank_account_changes(outflows: Iterable[Outflow],
                         limits: Thresholds = DEFAULTS) -> list[Flag]:
    """Payments to a vendor soon after its bank account changed.

    The accounts a vendor is known by come from its contact record's versions and
    from the accounts its earlier payments went to; the first one seen is no change.
    """
    by_vendor: dict[str, list[Outflow]] = defaultdict(list)
    for o in outflows:
        by_vendor[o.vendor].append(o)
    flags = []
    for records in by_vendor.values():
        records.sort(key=lambda o: (o.date, o.kind != "contact", o.key))
        known: str | None = None
        changes: list[tuple[dt.date, str, str, str]] = []
        for o in records:
            if o.account and known is not None and not _same_account(o.account, known):
                changes.append((o.date, known, o.account, o.key))
            if o.account:
                known = o.account
            if not o.pays or not changes:
                continue
            on, old, new, seen = changes[-1]
            if (o.date - on).days > limits.change_days:
                continue
            where = "on this payment" if seen == o.key else f"{seen}"
            flags.append(Flag(
                FlagKind.BANK_ACCOUNT_CHANGE,
                f"the bank account of {o.vendor_name} changed from {old} to {new} on {on} "
                f"({where}), {(o.date - on).days} days before {_describe(o)}",
                0.85, tuple(dict.fromkeys((o.key, seen))), o.amount, o.currency, subject=new))
    return flags


def _same_account(a: str, b: str) -> bool:
    """Equal accounts; an IBAN and the bare account number it ends with count as equal."""
    a, b = a.replace(" ", "").upper(), b.replace(" ", "").upper()
    short, long_ = sorted((a, b), key=len)
    return a == b or (len(short) >= 6 and long_.endswith(short))


def unusual_accounts(postings: Iterable[Posting], limits: Thresholds = DEFAULTS) -> list[Flag]:
    """A vendor's posting to an account none of its many other postings used."""
    by_party: dict[str, list[Posting]] = defaultdict(list)
    for p in postings:
        by_party[p.party].append(p)
    flags = []
    for group in by_party.values():
        if len(group) <= limits.min_history:
            continue
        uses: dict[str, int] = defaultdict(int)
        for p in group:
            uses[p.account] += 1
        usual = max(uses, key=lambda code: uses[code])
        for p in group:
            if uses[p.account] > 1:
                continue
            flags.append(Flag(
                FlagKind.UNUSUAL_ACCOUNT,
                f"{p.key} ({p.date}) of {p.party} is posted to {p.account} {p.account_name}; "
                f"its other {len(group) - 1} postings went elsewhere, mostly to {usual} "
                f"({uses[usual]})", 0.6, (p.key,), abs(p.amount), p.currency))
    return flags


def round_or_weekend(entries: Iterable[ManualEntry],
                     limits: Thresholds = DEFAULTS) -> list[Flag]:
    """Large manual entries with a round amount or a weekend date."""
    flags = []
    for e in entries:
        if e.amount < limits.round_minor:
            continue
        unit = limits.round_unit * 10 ** currency_exponent(e.currency)
        why = []
        if e.amount % unit == 0:
            why.append(f"a round amount ({_money(e.amount, e.currency)})")
        if e.date.weekday() >= 5:
            why.append(f"dated on a {e.date:%A} ({e.date})")
        if why:
            flags.append(Flag(FlagKind.ROUND_OR_WEEKEND,
                              f"manual entry {e.key} {e.memo!r} has " + " and ".join(why),
                              0.6 if len(why) == 2 else 0.35, (e.key,), e.amount, e.currency))
    return flags
