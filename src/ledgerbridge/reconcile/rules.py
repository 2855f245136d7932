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
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledgerbridge.ledger import LedgerError
from ledgerbridge.money import parse_minor
from ledgerbridge.reconcile.candidates import BankLine

__all__ = ["BankRule", "Condition", "load_bank_rules", "rule_for"]


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


class _File(_Model):
    bank_rules: tuple[BankRule, ...] = ()


def load_bank_rules(text: str, *, source: str = "bank rules") -> tuple[BankRule, ...]:
    """Read a rules file; a problem raises LedgerError naming the place and the reason."""
    try:
        data = yaml.safe_load(text) or {}
        return _File.model_validate(data).bank_rules
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
