"""Plain rules mined from stable patterns: "counterparty contains GUSTO -> 6000".

A word that, in at least ``min_support`` past entries, always went to one account
is offered as a rule. Rules say the same thing as reconcile's bank rules (same
conditions, same case-insensitive "contains"), so an accepted rule reads, and
posts, like one a user wrote. Accepted rules are consulted before the model.
When every past entry a rule covers carried the same tax code, the rule proposes
it too, and its lines are booked split into net and tax.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ledgerbridge.intelligence.categorize.features import Transaction, words
from ledgerbridge.reconcile.rules import BankRule, Condition

__all__ = ["Field", "Rule", "mine_rules"]

Field = Literal["description", "counterparty"]
MIN_WORD = 4  # shorter words are too common inside other words


@dataclass(frozen=True, slots=True)
class Rule:
    """``field`` contains ``contains`` (any case) -> ``account``.

    Attributes:
        field: ``description`` or ``counterparty``.
        contains: the text to look for.
        account: the account code lines go to.
        vendor: the party to book, when past entries agree on one.
        support: how many past entries followed the pattern when it was mined.
        status: ``proposed``, ``accepted`` or ``rejected``.
        id: its row id once stored.
        tax_code: the tax code to book, when past entries agree on one.

    """

    field: Field
    contains: str
    account: str
    vendor: str | None = None
    support: int = 0
    status: str = "proposed"
    id: int | None = None
    tax_code: str | None = None

    def __str__(self) -> str:
        """The rule as a bookkeeper reads it."""
        taxed = f" tax {self.tax_code}" if self.tax_code else ""
        return f"{self.field} contains {self.contains.upper()} -> {self.account}{taxed}"

    def holds(self, txn: Transaction) -> bool:
        """Whether ``txn`` meets the rule's condition."""
        value = txn.counterparty if self.field == "counterparty" else txn.text
        return self.contains.casefold() in (value or "").casefold()

    def bank_rule(self) -> BankRule:
        """The same rule in reconcile's terms."""
        key = f"{self.field}_contains"
        return BankRule(name=f"rule {self}", when=Condition.model_validate({key: self.contains}),
                        account=self.account, vendor=self.vendor, tax_code=self.tax_code)


def mine_rules(txns: Sequence[Transaction], accounts: Sequence[str],
               parties: Sequence[str | None] = (), *, tax_codes: Sequence[str | None] = (),
               min_support: int = 5) -> list[Rule]:
    """Rules for words that went to one account in every one of >= ``min_support`` entries.

    Of words found in exactly the same entries, the longest is kept, preferring the
    counterparty. Most supported first. A rule whose entries all carried one tax
    code (``tax_codes``, one per transaction) proposes it.
    """
    counts: dict[tuple[Field, str], Counter[str]] = defaultdict(Counter)
    for txn, account in zip(txns, accounts, strict=True):
        for field, text in (("counterparty", txn.counterparty), ("description", txn.text)):
            for word in set(words(text)):
                if len(word) >= MIN_WORD and word.isalpha():
                    counts[(field, word)][account] += 1
    stable = [key for key, c in counts.items() if len(c) == 1 and c.total() >= min_support]
    vendors = list(parties) or [None] * len(txns)
    codes = list(tax_codes) or [None] * len(txns)
    best: dict[tuple[str, frozenset[int]], Rule] = {}
    for field, word in sorted(stable):
        probe = Rule(field, word, next(iter(counts[(field, word)])))
        hits = frozenset(i for i, t in enumerate(txns) if probe.holds(t))
        if {accounts[i] for i in hits} != {probe.account}:
            continue  # as a substring the word also sits in other accounts' entries
        names = {vendors[i] for i in hits}
        taxed = {codes[i] for i in hits}
        rule = Rule(field, word, probe.account, next(iter(names)) if len(names) == 1 else None,
                    len(hits), tax_code=next(iter(taxed)) if len(taxed) == 1 else None)
        key = (probe.account, hits)
        kept = best.get(key)
        if kept is None or _preferred(rule, kept):
            best[key] = rule
    return sorted(best.values(), key=lambda r: (-r.support, r.field, r.contains))


def _preferred(rule: Rule, other: Rule) -> bool:
    return (rule.field == "counterparty", len(rule.contains)) > (
        other.field == "counterparty", len(other.contains))
