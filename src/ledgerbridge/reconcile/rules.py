"""Bank rules: what to book a statement line to when nothing in the book explains it.

A rules file lists them in order; the first whose conditions all hold wins::

    bank_rules:
      - when: {description_contains: AWS}
        account: "6250"
        vendor: Amazon Web Services
      - when: {description_contains: [INTEREST, ZINS], direction: in}
        account: "4900"

Conditions: ``description_contains`` and ``counterparty_contains`` (text or a list
of texts, any of them, case-insensitive), ``direction`` (``in`` or ``out``),
``min_amount`` / ``max_amount`` (decimal text, on the absolute amount).
Rules only see lines that no candidate matched at all.

The same file may hold amount rules: for banks that print what the payer sent
in the text but not in a field of their own, a regular expression with a group
named ``amount`` (and ``currency``, or a fixed ``currency``) reads it, before any
matching, for lines whose bank did not state it::

    original_amounts:
      - when: {counterparty_contains: OZONE}
        pattern: 'ORIG (?P<currency>[A-Z]{3}) (?P<amount>[0-9.,]+)'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledgerbridge.ledger import LedgerError
from ledgerbridge.money import Money, MoneyError, currency_exponent, is_currency, parse_minor
from ledgerbridge.reconcile.candidates import BankLine

__all__ = ["AmountRule", "BankRule", "Condition", "load_amount_rules", "load_bank_rules",
           "read_originals", "rule_for"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _texts(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(t.casefold() for t in ([value] if isinstance(value, str) else value))


class Condition(_Model):
    """When a bank rule applies; every condition given must hold."""

    description_contains: tuple[str, ...] = ()
    counterparty_contains: tuple[str, ...] = ()
    direction: Literal["in", "out"] | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None

    @field_validator("description_contains", "counterparty_contains", mode="before")
    @classmethod
    def _folded(cls, value: str | list[str] | None) -> tuple[str, ...]:
        return _texts(value)

    @field_validator("min_amount", "max_amount", mode="before")
    @classmethod
    def _decimal_text(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError(f"{value!r} is a float; write the amount as text, e.g. \"10.00\"")
        return value

    def holds(self, line: BankLine) -> bool:
        """Whether ``line`` meets every condition."""
        text = line.description.casefold()
        party = (line.counterparty or "").casefold()
        if self.description_contains and not any(t in text for t in self.description_contains):
            return False
        if self.counterparty_contains and not any(
                t in party for t in self.counterparty_contains):
            return False
        if self.direction is not None and (line.amount > 0) != (self.direction == "in"):
            return False
        size = abs(line.amount)
        if self.min_amount is not None and size < parse_minor(self.min_amount, line.currency):
            return False
        return self.max_amount is None or size <= parse_minor(self.max_amount, line.currency)


class BankRule(_Model):
    """Book matching lines against ``account``, with ``vendor`` as the party."""

    name: str | None = None
    when: Condition = Field(default_factory=Condition)
    account: str = Field(min_length=1)
    vendor: str | None = None
    memo: str | None = None

    @property
    def label(self) -> str:
        """How reasons name the rule."""
        return self.name or f"to {self.account}"


def _number(text: str, currency: str) -> int:
    """Minor units of an amount as banks print it: ``1.234,56``, ``1,234.56``, ``1 234,56``.

    The last separator is the decimal one when one to the currency's number of
    decimals follow it (three only for three-decimal currencies); otherwise
    separators group thousands.
    """
    digits = re.sub(r"[\s'\u00a0]", "", text)
    last = max(digits.rfind(","), digits.rfind("."))
    exponent = currency_exponent(currency)
    after = len(digits) - last - 1
    if last >= 0 and 0 < after <= exponent and (after != 3 or exponent == 3):
        whole, fraction = digits[:last], digits[last + 1:]
    else:
        whole, fraction = digits, ""
    whole = whole.replace(",", "").replace(".", "")
    return parse_minor(f"{whole}.{fraction}" if fraction else whole, currency)


class AmountRule(_Model):
    """Read what the payer sent from a bank line's text (``pattern``'s ``amount`` group)."""

    name: str | None = None
    when: Condition = Field(default_factory=Condition)
    pattern: str = Field(min_length=1)
    currency: str | None = None  # when the pattern has no ``currency`` group

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            groups = re.compile(value).groupindex
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        if "amount" not in groups:
            raise ValueError("the pattern needs a group named amount: (?P<amount>...)")
        return value

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None and not is_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value

    @property
    def label(self) -> str:
        """How reasons name the rule."""
        return self.name or f"/{self.pattern}/"

    def read(self, line: BankLine) -> Money | None:
        """The amount the text of ``line`` states, signed like the line; None if none."""
        if not self.when.holds(line):
            return None
        found = re.search(self.pattern, line.description)
        if found is None:
            return None
        named = found.groupdict()
        currency = (named.get("currency") or self.currency or "").upper()
        if not is_currency(currency):
            return None
        try:
            minor = _number(named["amount"], currency)
        except MoneyError:
            return None
        return Money(minor if line.amount > 0 else -minor, currency)


class _File(_Model):
    bank_rules: tuple[BankRule, ...] = ()
    original_amounts: tuple[AmountRule, ...] = ()


def load_bank_rules(text: str, *, source: str = "bank rules") -> tuple[BankRule, ...]:
    """Read a rules file's bank rules; a problem raises LedgerError naming place and reason."""
    return _load(text, source).bank_rules


def load_amount_rules(text: str, *, source: str = "bank rules") -> tuple[AmountRule, ...]:
    """Read a rules file's amount rules; a problem raises LedgerError naming place and reason."""
    return _load(text, source).original_amounts


def _load(text: str, source: str) -> _File:
    try:
        data = yaml.safe_load(text) or {}
        return _File.model_validate(data)
    except yaml.YAMLError as exc:
        raise LedgerError(f"{source}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False))
        raise LedgerError(f"{source}: {problems}") from None


def rule_for(rules: Iterable[BankRule], line: BankLine) -> BankRule | None:
    """The first rule that applies to ``line``, if any."""
    return next((rule for rule in rules if rule.when.holds(line)), None)


def read_originals(rules: Iterable[AmountRule], lines: Iterable[BankLine]) -> int:
    """Give lines whose bank stated no original the first amount a rule reads; how many."""
    rules = tuple(rules)
    count = 0
    for line in lines:
        if line.original is not None or not rules:
            continue
        for rule in rules:
            found = rule.read(line)
            if found is not None and found.currency != line.currency:
                line.original, line.original_source = found, f"amount rule {rule.label}"
                count += 1
                break
    return count
