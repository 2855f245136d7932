"""Charts of accounts: loaded from YAML or CSV, with a ready small-business chart."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from ledgerbridge.ledger.model import Account, AccountType, LedgerError

__all__ = ["STANDARD_CHART", "load_chart", "standard_chart"]

STANDARD_CHART = Path(__file__).with_name("charts") / "standard.yaml"
_FIELDS = ("code", "name", "type", "subtype", "parent", "description", "active")


def standard_chart() -> list[Account]:
    """The built-in small-business chart of accounts."""
    return load_chart(STANDARD_CHART)


def load_chart(path: str | Path) -> list[Account]:
    """Read accounts from a YAML file (``accounts:`` list) or a CSV file with a header.

    Columns/keys: code, name, type (asset, liability, equity, income, expense) and
    optionally subtype, parent, description, active. A parent is listed before its
    children and has their type.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as f:
                records = list(csv.DictReader(f))
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            records = data.get("accounts", []) if isinstance(data, dict) else data
    except (OSError, yaml.YAMLError, csv.Error) as exc:
        raise LedgerError(f"{path}: cannot read chart of accounts: {exc}") from None
    if not isinstance(records, list):
        raise LedgerError(f"{path}: expected a list of accounts under 'accounts:'")
    chart = [_account(path, n, record) for n, record in enumerate(records, start=1)]
    _check(path, chart)
    return chart


def _account(path: Path, n: int, record: object) -> Account:
    where = f"{path} account {n}"
    if not isinstance(record, dict):
        raise LedgerError(f"{where}: expected a mapping with code, name and type")
    unknown = set(record) - set(_FIELDS)
    if unknown:
        raise LedgerError(f"{where}: unknown fields {sorted(unknown)}")
    values = {k: (str(v).strip() if v is not None else None) for k, v in record.items()}
    values = {k: v for k, v in values.items() if v not in (None, "")}
    for required in ("code", "name", "type"):
        if required not in values:
            raise LedgerError(f"{where}: missing {required}")
    try:
        kind = AccountType(values["type"].lower())
    except ValueError:
        choices = ", ".join(t.value for t in AccountType)
        raise LedgerError(f"{where}: type {values['type']!r} is not one of {choices}") from None
    active = values.get("active", "true").lower() not in ("false", "no", "0")
    return Account(
        code=values["code"],
        name=values["name"],
        type=kind,
        subtype=values.get("subtype"),
        parent=values.get("parent"),
        description=values.get("description"),
        active=active,
    )


def _check(path: Path, chart: list[Account]) -> None:
    seen: dict[str, Account] = {}
    for account in chart:
        if account.code in seen:
            raise LedgerError(f"{path}: account {account.code!r} is defined twice")
        if account.parent is not None:
            parent = seen.get(account.parent)
            if parent is None:
                raise LedgerError(
                    f"{path}: account {account.code!r} has parent {account.parent!r}, "
                    "which is not defined above it"
                )
            if parent.type is not account.type:
                raise LedgerError(
                    f"{path}: account {account.code!r} ({account.type}) cannot sit under "
                    f"{parent.code!r} ({parent.type})"
                )
        seen[account.code] = account
