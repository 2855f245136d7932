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

A rule with a ``tax_code`` books the line split: the gross less the tax to
``account`` and the tax to the tax account, both lines carrying the code. The
rate is ``tax_percent`` when given, else the catalog's current TaxRate of that
code, else the percent the code itself states (``GB-20``: 20; ``EXEMPT``: 0, no
split). The tax account is ``tax_account`` when given, else the mapping's for the
code's jurisdiction (``tax.jurisdictions``, longest prefix), else its
``recoverable_tax`` role, else ``sales_tax``::

    bank_rules:
      - when: {counterparty_contains: OFFICE WORLD}
        account: "6300"
        tax_code: GB-20

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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Connection, select

from ledgerbridge.documents import TaxRate, parse_document
from ledgerbridge.ledger import Ledger, LedgerError, Line
from ledgerbridge.ledger.tax import jurisdiction_of, percent_of, split_gross
from ledgerbridge.mapping import MappingConfig, load_rules
from ledgerbridge.money import Money, MoneyError, currency_exponent, is_currency, parse_minor
from ledgerbridge.reconcile.candidates import BankLine
from ledgerbridge.store.tables import connections, documents

__all__ = ["AmountRule", "BankRule", "Condition", "catalog_rates", "load_amount_rules",
           "load_bank_rules", "read_originals", "rule_for", "with_tax"]


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
    tax_code: str | None = None
    tax_percent: Decimal | None = Field(default=None, ge=0, lt=1000)
    tax_account: str | None = None

    @field_validator("tax_percent", mode="before")
    @classmethod
    def _percent_text(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError(f"{value!r} is a float; write the percent as text, e.g. \"20\"")
        return value

    @model_validator(mode="after")
    def _taxed(self) -> BankRule:
        if self.tax_code is None and (self.tax_percent is not None or self.tax_account):
            raise ValueError("tax_percent and tax_account need a tax_code")
        return self

    @property
    def label(self) -> str:
        """How reasons name the rule."""
        return self.name or f"to {self.account}"

    def lines_for(self, amount: int, currency: str, description: str) -> tuple[Line, ...]:
        """The lines that book a bank line of ``amount`` (minor units) against this rule.

        One line to ``account``; with a taxed code, the gross is split into the net
        to ``account`` and the tax to ``tax_account``, both carrying the code, so
        they add up to the bank line to the minor unit.
        """
        memo = self.memo or description[:500]
        gross = -amount
        percent = self.tax_percent
        if percent is None and self.tax_code is not None:
            percent = percent_of(self.tax_code)
            if percent is None:
                raise _no_rate(self)
        net, tax = split_gross(gross, percent) if percent else (gross, 0)
        lines = [Line(self.account, Money(net, currency), party=self.vendor, memo=memo,
                      tax_code=self.tax_code)]
        if tax:
            if self.tax_account is None:
                raise LedgerError(f"bank rule {self.label}: no tax account for tax code "
                                  f"{self.tax_code!r}")
            lines.append(Line(self.tax_account, Money(tax, currency), party=self.vendor,
                              memo=f"Tax {self.tax_code}", tax_code=self.tax_code))
        return tuple(lines)


def _no_rate(rule: BankRule) -> LedgerError:
    return LedgerError(f"bank rule {rule.label}: tax code {rule.tax_code!r} states no rate; "
                       "give tax_percent or add its TaxRate to the catalog")


def catalog_rates(conn: Connection, ledger: Ledger) -> dict[str, TaxRate]:
    """The entity's active catalog tax rates (current TaxRate documents) by tax code."""
    rows = conn.execute(select(documents.c.data).join(
        connections, connections.c.id == documents.c.connection_id).where(
        connections.c.entity_id == ledger.entity.id, documents.c.type == "tax_rate",
        documents.c.status == "current").order_by(documents.c.id)).scalars()
    found: dict[str, TaxRate] = {}
    for data in rows:
        rate = parse_document(data)
        if isinstance(rate, TaxRate) and rate.active:
            found.setdefault(rate.tax_code, rate)
    return found


def _tax_account(config: MappingConfig, jurisdiction: str | None) -> str | None:
    """The mapping's tax account for a jurisdiction (see the module's docstring)."""
    parts = (jurisdiction or "").split("-")
    for n in range(len(parts), 0, -1):
        code = config.tax.jurisdictions.get("-".join(parts[:n]))
        if code is not None:
            return code
    return config.accounts.get("recoverable_tax") or config.accounts.get("sales_tax")


def with_tax(conn: Connection, ledger: Ledger, rules: Iterable[BankRule]) -> list[BankRule]:
    """The rules with each tax code's rate and tax account filled in where not given.

    Raises LedgerError naming a rule whose tax code has no rate anywhere.
    """
    rules = list(rules)
    if not any(r.tax_code for r in rules):
        return rules
    catalog = catalog_rates(conn, ledger)
    config = load_rules(None).config
    out = []
    for rule in rules:
        if rule.tax_code is None:
            out.append(rule)
            continue
        rate = catalog.get(rule.tax_code)
        percent = rule.tax_percent
        if percent is None:
            percent = rate.percent if rate is not None else percent_of(rule.tax_code)
        if percent is None:
            raise _no_rate(rule)
        account = rule.tax_account or _tax_account(
            config, rate.jurisdiction if rate is not None else jurisdiction_of(rule.tax_code))
        out.append(rule.model_copy(update={"tax_percent": percent, "tax_account": account}))
    return out


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
