"""The mapping YAML: its pydantic schema, the merge over the defaults, and its checks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from ledgerbridge.documents import DOCUMENT_TYPES
from ledgerbridge.ledger import Account

__all__ = [
    "ROLES",
    "SOURCE",
    "FieldSpec",
    "MappingConfig",
    "MappingError",
    "Rule",
    "TargetConfig",
    "Writeback",
    "check_chart",
    "default_text",
    "merge",
    "parse_config",
]

ROLES: dict[str, str] = {
    "receivable": "customers owe us (party, due date)",
    "payable": "we owe vendors (party, due date)",
    "revenue": "sales lines without an account hint",
    "discounts": "line discounts, when discounts are separate",
    "shipping": "shipping charged on orders",
    "refunds": "refunds of payments and orders",
    "sales_tax": "tax charged, when tax.jurisdictions lists none",
    "recoverable_tax": "tax paid on purchases (unset: part of the expense)",
    "bank": "the bank account",
    "undeposited_funds": "cheques and cash not yet banked",
    "petty_cash": "cash on hand",
    "card": "the company credit card",
    "clearing": "payment processor balance",
    "transit": "payouts on their way to the bank",
    "customer_deposits": "unapplied customer payments",
    "gift_cards": "gift cards sold, not yet redeemed",
    "vendor_prepayments": "unapplied payments to vendors",
    "reimbursements": "expenses owed back to employees",
    "expense": "purchases without an account hint",
    "processing_fees": "processor fees",
    "dispute_losses": "chargebacks and dispute fees",
    "wages": "gross wages",
    "employer_contributions": "employer pension and benefit contributions",
    "payroll_taxes": "employer payroll taxes",
    "payroll_liabilities": "withholdings and employer taxes owed",
    "benefits_payable": "benefit deductions and contributions owed to providers",
    "accrued_payroll": "payroll expense accrued at month ends",
    "contract_labor": "contractors' pay",
    "contractor_payable": "contractor payments owed to the payroll tool until it debits them",
    "fx_gain_loss": "realized exchange differences on payments",
}
"""Every account role a posting rule can set, with what it receives."""

SOURCE = "source"
"""A write-back's ``connection`` meaning the connection the document came from."""
TRANSFORMS = ("strip", "upper", "lower", "cents", "date", "minor_units", "map")
_LIST_KEYS = ("rules", "writeback")
_CODE = re.compile(r"^[0-9][0-9A-Za-z.\-]*$")


class MappingError(ValueError):
    """A mapping that cannot be used; ``problems`` are (path, reason) pairs."""

    def __init__(self, problems: Iterable[tuple[str, str]], *, source: str = "mapping") -> None:
        self.problems = tuple(problems)
        details = "; ".join(f"{p}: {r}" if p else r for p, r in self.problems)
        super().__init__(f"{source}: {details}")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _known_type(kind: str) -> str:
    if kind not in DOCUMENT_TYPES:
        raise ValueError(f"unknown document type {kind!r}; expected one of "
                         f"{', '.join(sorted(DOCUMENT_TYPES))}")
    return kind


def _roles(accounts: dict[str, str | None]) -> dict[str, str | None]:
    unknown = sorted(set(accounts) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown account role {unknown[0]!r}; expected one of "
                         f"{', '.join(ROLES)}")
    return accounts


class Rule(_Model):
    """A conditional posting rule: when a document matches, these roles change.

    Attributes:
        when: field path -> expected value; a list, or ``{in: [...]}``, matches any
            of its values; ``{not: value}`` matches anything else.
        accounts: role -> account code.

    """

    name: str | None = None
    when: dict[str, Any] = Field(default_factory=dict)
    accounts: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("accounts")
    @classmethod
    def _known_roles(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        return _roles(value)

    @field_validator("when")
    @classmethod
    def _conditions(cls, value: dict[str, Any]) -> dict[str, Any]:
        kinds = value.get("type")
        names = kinds if isinstance(kinds, list) else [kinds] if kinds is not None else []
        for kind in names:
            _known_type(str(kind))
        for path, expected in value.items():
            if isinstance(expected, dict) and set(expected) - {"in", "not"}:
                raise ValueError(f"{path}: a condition mapping takes `in` or `not`")
            head = path.split(".")[0]
            for kind in names:
                cls_ = DOCUMENT_TYPES[str(kind)]
                if head not in cls_.model_fields and not hasattr(cls_, head):
                    raise ValueError(f"{path}: {kind} has no field {head!r}")
        return value


class TaxConfig(_Model):
    """Tax accounts per jurisdiction (longest matching prefix wins)."""

    jurisdictions: dict[str, str] = Field(default_factory=dict)


class Methods(_Model):
    """Role or account code by payment method, for payments and for expenses."""

    payment: dict[str, str] = Field(default_factory=dict)
    expense: dict[str, str] = Field(default_factory=dict)

    @field_validator("payment", "expense")
    @classmethod
    def _targets(cls, value: dict[str, str]) -> dict[str, str]:
        for method, target in value.items():
            if target not in ROLES and not is_code(target):
                raise ValueError(f"{method}: {target!r} is neither a role nor an account code")
        return value


class FieldSpec(_Model):
    """One canonical field read from the source record.

    Attributes:
        from_: path in the source record, ``$.customer.name`` or ``$.lines[0].qty``.
        transform: steps applied in order: a name (strip, upper, lower, cents) or a
            one-key mapping (``date: "%d/%m/%Y"``, ``minor_units: 3`` or
            ``minor_units: "$.currency"``, ``map: {paid: paid, "*": open}``).
        default: the value when the source has no such field (or it is null).

    """

    from_: str | None = Field(default=None, alias="from")
    value: Any = None
    transform: list[str | dict[str, Any]] = Field(default_factory=list)
    default: Any = None

    @field_validator("transform", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> Any:
        steps = [value] if isinstance(value, str | dict) else value
        for step in steps or []:
            if isinstance(step, dict):
                if len(step) != 1:
                    raise ValueError(f"a transform step has one key, got {sorted(step)}")
                name = next(iter(step))
            else:
                name = step
            if name not in TRANSFORMS:
                raise ValueError(f"unknown transform {name!r}; expected one of "
                                 f"{', '.join(TRANSFORMS)}")
            if name == "map" and not isinstance(step, dict):
                raise ValueError("map needs its values: {map: {source: canonical}}")
            if name == "date" and not isinstance(step, dict):
                raise ValueError('date needs its format: {date: "%d/%m/%Y"}')
        return steps


class TruthRule(_Model):
    """Which system masters a data type, and exceptions per field."""

    default: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)


class Writeback(_Model):
    """A command queued for another connection when a document reaches a state.

    ``invoice.open``, ``invoice.partially_paid`` and ``invoice.paid`` also fire when
    the ledger learns of a payment (a reconciliation accepted or undone, a payment
    applied), with the amount still due in the payload.

    Attributes:
        on: ``type`` or ``type.status`` (``invoice.paid``).
        connection: the target connection's name; ``source`` is the connection the
            document came from.
        command: the command its writer understands (``mark_paid``).
        fields: document field paths copied into the payload.

    """

    on: str
    connection: str = Field(min_length=1)
    command: str = Field(min_length=1)
    fields: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        # YAML 1.1 reads an unquoted `on:` key as the boolean true.
        if isinstance(data, dict) and True in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data

    @field_validator("on")
    @classmethod
    def _event(cls, value: str) -> str:
        _known_type(value.split(".", 1)[0])
        return value

    @property
    def document_type(self) -> str:
        """The document type the command reacts to."""
        return self.on.split(".", 1)[0]

    @property
    def status(self) -> str | None:
        """The status it reacts to, or None for any version of the document."""
        parts = self.on.split(".", 1)
        return parts[1] if len(parts) > 1 else None


class DealPolicy(_Model):
    """How a won CRM deal becomes an invoice, and what a later change does to it.

    Attributes:
        invoice: whether won deals are invoiced at all.
        number_prefix: the invoice number is this prefix and the deal's id.
        payment_terms_days: due date of deals whose record carries no terms.
        tax_jurisdiction, tax_percent: tax added to lines that carry none.
        on_change: a won deal whose amount or lines change after invoicing:
            ``exception`` stops it for a person to decide; ``reissue`` replaces the
            invoice (the old entry is reversed) under the next number.
        on_reopen: a deal re-opened or lost after invoicing: ``credit_note`` credits
            the invoice in full; ``exception`` stops it for a person to decide.

    """

    invoice: bool = True
    number_prefix: str = "INV-"
    payment_terms_days: int = Field(default=30, ge=0)
    tax_jurisdiction: str | None = None
    tax_percent: Decimal | None = Field(default=None, ge=0, le=100)
    on_change: Literal["exception", "reissue"] = "exception"
    on_reopen: Literal["credit_note", "exception"] = "credit_note"

    @model_validator(mode="after")
    def _tax_together(self) -> DealPolicy:
        if (self.tax_jurisdiction is None) != (self.tax_percent is None):
            raise ValueError("give both tax_jurisdiction and tax_percent, or neither")
        return self


class TargetConfig(_Model):
    """What is pushed to one accounting package connection, and into which of its accounts.

    Attributes:
        accounts: our account code -> the package's account (QuickBooks Id, Xero code).
        tax_codes: our tax code or jurisdiction -> the package's tax code.
        summary: ``detail`` pushes each processor entry as its own journal; ``daily``
            one journal per day; ``payout`` one journal per processor payout.

    """

    accounts: dict[str, str] = Field(default_factory=dict)
    tax_codes: dict[str, str] = Field(default_factory=dict)
    summary: Literal["detail", "daily", "payout"] = "detail"


class MappingConfig(_Model):
    """A whole mapping: the defaults with a connection's overrides merged in."""

    version: Literal[1] = 1
    functional_currency: str | None = None
    discounts: Literal["separate", "net"] = "separate"
    accounts: dict[str, str | None] = Field(default_factory=dict)
    tax: TaxConfig = Field(default_factory=TaxConfig)
    methods: Methods = Field(default_factory=Methods)
    account_aliases: dict[str, str] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    source_of_truth: dict[str, TruthRule] = Field(default_factory=dict)
    systems: dict[str, list[str]] = Field(default_factory=dict)
    fields: dict[str, dict[str, FieldSpec | str]] = Field(default_factory=dict)
    writeback: list[Writeback] = Field(default_factory=list)
    deals: DealPolicy = Field(default_factory=DealPolicy)
    targets: dict[str, TargetConfig] = Field(default_factory=dict)
    _builtin_rules: int = PrivateAttr(default=0)
    _own_accounts: dict[str, str | None] = PrivateAttr(default_factory=dict)

    def effective_accounts(self, matching: list[int]) -> dict[str, str | None]:
        """Role -> account after the rules at ``matching`` indexes.

        Precedence, lowest first: built-in accounts, built-in rules, the file's own
        ``accounts``, the file's rules. What a connection says always wins.
        """
        accounts = {role: None for role in ROLES} | dict(self.accounts)
        builtin = [i for i in matching if i < self._builtin_rules]
        for i in builtin:
            accounts.update(self.rules[i].accounts)
        accounts.update(self._own_accounts)
        for i in matching:
            if i >= self._builtin_rules:
                accounts.update(self.rules[i].accounts)
        return accounts

    def rule_label(self, index: int) -> str:
        """Where rule ``index`` of the merged list was written: the defaults or the file."""
        if index < self._builtin_rules:
            return f"defaults rules[{index}]"
        return f"rules[{index - self._builtin_rules}]"

    @field_validator("accounts")
    @classmethod
    def _known_roles(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        return _roles(value)

    @field_validator("fields", "source_of_truth")
    @classmethod
    def _known_types(cls, value: dict[str, Any]) -> dict[str, Any]:
        for kind in value:
            _known_type(kind)
        return value

    def field_map(self, kind: str) -> dict[str, FieldSpec]:
        """The field map of one document type, shorthand paths expanded."""
        return {
            target: spec if isinstance(spec, FieldSpec) else FieldSpec(from_=spec)
            for target, spec in self.fields.get(kind, {}).items()
        }


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("FieldSpec", "str") or str(part).startswith("function-"):
            continue  # pydantic's name for a union member, not a place in the file
        else:
            out += f".{part}" if out else str(part)
    return out


@cache
def default_text() -> str:
    """The built-in mapping YAML (``mapping/defaults.yaml``)."""
    return files("ledgerbridge.mapping").joinpath("defaults.yaml").read_text(encoding="utf-8")


def merge(base: Any, override: Any, *, top: bool = True) -> Any:
    """Deep-merge ``override`` into ``base``: mappings key by key, lists replaced.

    At the top level the ``rules`` and ``writeback`` lists are appended to the base's,
    so a connection's rules come after (and win over) the defaults.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            if top and key in _LIST_KEYS and isinstance(value, list):
                out[key] = list(base.get(key) or []) + value
            elif key in out:
                out[key] = merge(out[key], value, top=False)
            else:
                out[key] = value
        return out
    return override


def _read(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError([("", f"not valid YAML: {exc}")], source=source) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MappingError([("", "a mapping file is a YAML mapping (key: value)")],
                           source=source)
    return data


def _validate(data: dict[str, Any], source: str) -> MappingConfig:
    try:
        return MappingConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            (_path(tuple(e["loc"])), str(e["msg"]).removeprefix("Value error, "))
            for e in exc.errors(include_url=False)
        ]
        raise MappingError(problems, source=source) from None


def parse_config(text: str | None, *, source: str = "mapping",
                 base: str | None = None) -> MappingConfig:
    """Validate a mapping YAML merged over the defaults; None gives the defaults.

    ``base`` is a connector's own starting mapping, merged over the built-in
    defaults and counted as built-in (a connection's own file still wins over it).
    The YAML is first validated on its own, so error paths such as ``rules[0]``
    count from the top of that file, not from the merged result.
    """
    defaults = _read(default_text(), "defaults.yaml")
    if base is not None:
        defaults = merge(defaults, _read(base, "the connector's default mapping"))
    if text is None:
        return _validate(defaults, "defaults.yaml")
    own = _read(text, source)
    own_accounts = dict(_validate(own, source).accounts)
    config = _validate(merge(defaults, own), source)
    config._builtin_rules = len(defaults.get("rules") or [])
    config._own_accounts = own_accounts
    return config


def is_code(value: str) -> bool:
    """Whether ``value`` looks like an account code rather than a role or a name."""
    return bool(_CODE.match(value))


def check_chart(config: MappingConfig, chart: Iterable[Account]) -> list[tuple[str, str]]:
    """Every account the mapping names that the chart lacks (or has inactive)."""
    accounts = {a.code: a for a in chart}
    problems: list[tuple[str, str]] = []

    def check(path: str, code: str | None, *, role_ok: bool = False) -> None:
        if code is None or (role_ok and code in ROLES):
            return
        account = accounts.get(code)
        if account is None:
            problems.append((path, f"unknown account {code!r}"))
        elif not account.active:
            problems.append((path, f"account {code!r} ({account.name}) is inactive"))

    for role, code in config.accounts.items():
        check(f"accounts.{role}", code)
    for name, code in config.tax.jurisdictions.items():
        check(f"tax.jurisdictions.{name}", code)
    for kind in ("payment", "expense"):
        for method, target in getattr(config.methods, kind).items():
            check(f"methods.{kind}.{method}", target, role_ok=True)
    for name, code in config.account_aliases.items():
        check(f"account_aliases.{name}", code)
    for i, rule in enumerate(config.rules):
        for role, code in rule.accounts.items():
            check(f"{config.rule_label(i)}.accounts.{role}", code)
    for name, target in config.targets.items():
        for code in target.accounts:
            check(f"targets.{name}.accounts.{code}", code)
    return problems
