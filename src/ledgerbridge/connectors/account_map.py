"""Suggest, for each account of our chart, the accounting package's account to push to.

Only accounts of the same class (asset, liability, equity, income, expense) are
compared. The score (0-100) is the names' similarity (rapidfuzz
``token_set_ratio`` of names without case and punctuation) at 80 %, plus 20 when
the package's own account type says the same role as our subtype (a bank, the
receivable, the payable, a card). Below :data:`MIN_SCORE` nothing is suggested:
such an account is for a person to map.

Tax codes are matched the same way (:func:`suggest_tax_codes`): a package tax rate
whose percentage equals ours scores 60, plus 40 % of the names' similarity; a
different percentage rules it out. A code of ours without a known rate (a
jurisdiction named only in the mapping) is matched by name alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from ledgerbridge.ledger import Account

__all__ = ["MIN_SCORE", "OurTax", "PackageAccount", "PackageTaxRate", "Suggestion",
           "TaxSuggestion", "suggest_accounts", "suggest_tax_codes"]

MIN_SCORE = 50
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PackageAccount:
    """An account of the package's chart.

    Attributes:
        id: the package's id for it (QuickBooks Id, Xero AccountID).
        code: its account number, when the package has one.
        name: its name.
        kind: its class in our terms: asset, liability, equity, income or expense.
        role: what its type says it is ("bank", "receivable", "payable", "card"), if any.
        detail: the package's own type, as given ("Bank", "CURRLIAB" ...).

    """

    id: str
    code: str | None
    name: str
    kind: str
    role: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Our account, the package's account suggested for it (None: none fits) and why."""

    account: Account
    target: PackageAccount | None
    score: int
    reason: str


def _score(ours: Account, theirs: PackageAccount) -> tuple[int, str]:
    name = round(fuzz.token_set_ratio(default_process(ours.name), default_process(theirs.name)))
    same_role = ours.subtype is not None and ours.subtype == theirs.role
    reason = f"name {name}" + (f", both {theirs.role}" if same_role else "")
    return round(name * 0.8) + (20 if same_role else 0), reason


def _pick(scored: Sequence[tuple[int, str, _T]], none: str) -> tuple[_T | None, int, str]:
    """The best-scored target when it reaches :data:`MIN_SCORE`, with its score and why."""
    if scored and scored[0][0] >= MIN_SCORE:
        score, reason, target = scored[0]
        return target, score, reason
    best = f"best {scored[0][0]}" if scored else none
    return None, scored[0][0] if scored else 0, f"nothing close enough ({best})"


def suggest_accounts(ours: Sequence[Account], theirs: Sequence[PackageAccount]
                     ) -> list[Suggestion]:
    """The best package account of the same class for each of ``ours``, in chart order."""
    by_kind: dict[str, list[PackageAccount]] = {}
    for account in theirs:
        by_kind.setdefault(account.kind, []).append(account)
    found = []
    for account in ours:
        scored = sorted(((*_score(account, t), t) for t in by_kind.get(account.type.value, ())),
                        key=lambda s: (-s[0], s[2].code or "", s[2].id))
        found.append(Suggestion(account, *_pick(scored, f"no {account.type.value} account")))
    return found


@dataclass(frozen=True, slots=True)
class PackageTaxRate:
    """A tax code of the package: its code (QuickBooks TaxCode Id, Xero TaxType), name, rate."""

    code: str
    name: str
    percent: Decimal


@dataclass(frozen=True, slots=True)
class OurTax:
    """One of our tax codes or jurisdictions, with its percentage when we know it."""

    code: str
    name: str
    percent: Decimal | None


@dataclass(frozen=True, slots=True)
class TaxSuggestion:
    """Our tax code, the package's tax code suggested for it (None: none fits) and why."""

    tax: OurTax
    target: PackageTaxRate | None
    score: int
    reason: str


def _tax_score(ours: OurTax, theirs: PackageTaxRate) -> tuple[int, str] | None:
    name = round(fuzz.token_set_ratio(default_process(ours.name), default_process(theirs.name)))
    if ours.percent is None:
        return name, f"name {name}"
    if ours.percent != theirs.percent:
        return None
    return 60 + round(name * 0.4), f"rate {theirs.percent.normalize():f} %, name {name}"


def suggest_tax_codes(ours: Sequence[OurTax], theirs: Sequence[PackageTaxRate]
                      ) -> list[TaxSuggestion]:
    """The best package tax code for each of ``ours``: the same rate first, then the name."""
    found = []
    for tax in ours:
        scored = sorted(((*score, t) for t in theirs
                         if (score := _tax_score(tax, t)) is not None),
                        key=lambda s: (-s[0], s[2].code))
        found.append(TaxSuggestion(tax, *_pick(scored, "no tax code at that rate")))
    return found
