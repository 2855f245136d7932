"""Reading what the old process produced: a CSV journal, a beancount or hledger file.

Each reader yields :class:`OldEntry` values: a date, the source reference the old
process kept (if any), and the net amount per account. Accounts are resolved
against the entity's chart: by code, by name, or by the code an exported account
name starts with (``Assets:1010-Checking``, ``assets:1010 Checking``).

CSV journals are one row per line, with a header; columns are found by common
names (so a general-ledger export of an accounting package reads too): a date
(``date``, ``txn date``), an entry id grouping the lines (``entry``, ``journal``,
``txn``; else the reference, else date+reference), the reference (``reference``,
``ref``, ``source reference``, ``external id``, ``num``), the account (``account``,
``account code``) and either ``amount`` (debit positive) or ``debit``/``credit``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from ledgerbridge.ledger import Account, LedgerError
from ledgerbridge.money import MoneyError, currency_exponent, parse_minor

__all__ = ["AccountResolver", "OldEntry", "read_old_books"]

REFERENCE_KEYS = ("lb-external-id", "reference", "ref", "source-reference", "external-id")
_CSV_COLUMNS = {
    "date": ("date", "txn date", "transaction date", "posting date"),
    "entry": ("entry", "entry id", "journal", "journal no", "transaction", "txn", "txn id"),
    "reference": ("reference", "ref", "source reference", "source ref", "external id",
                  "external_id", "num", "no", "document"),
    "account": ("account", "account code", "account_code", "account name", "gl account"),
    "amount": ("amount", "net amount", "net"),
    "debit": ("debit", "debit amount", "dr"),
    "credit": ("credit", "credit amount", "cr"),
    "memo": ("memo", "description", "narration", "name"),
}


@dataclass(frozen=True, slots=True)
class OldEntry:
    """One entry of the old process, its amounts net per account code (debit positive).

    Attributes:
        origin: where it was read ("line 12"), for messages.

    """

    date: dt.date
    reference: str | None
    lines: tuple[tuple[str, int], ...]
    memo: str
    origin: str

    @property
    def amount(self) -> int:
        """The entry's size: the sum of its debits."""
        return sum(amount for _, amount in self.lines if amount > 0)


class AccountResolver:
    """Finds the chart's account code an old file's account text means."""

    def __init__(self, chart: Iterable[Account]) -> None:
        chart = list(chart)
        self._codes = {a.code for a in chart}
        self._names = {a.name.casefold(): a.code for a in chart}

    def code(self, text: str, origin: str) -> str:
        """The account code of ``text``, or a LedgerError naming the record."""
        text = text.strip()
        if text in self._codes:
            return text
        last = text.rsplit(":", 1)[-1].strip()
        for candidate in (text.casefold(), last.casefold()):
            if candidate in self._names:
                return self._names[candidate]
        leading = re.split(r"[\s\-]", last, maxsplit=1)[0]
        if leading in self._codes:
            return leading
        raise LedgerError(f"{origin}: account {text!r} is not in the chart")


def _net(lines: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    totals: dict[str, int] = {}
    for account, amount in lines:
        totals[account] = totals.get(account, 0) + amount
    return tuple(sorted((a, v) for a, v in totals.items() if v))


def _checked(entry: OldEntry) -> OldEntry:
    if sum(amount for _, amount in entry.lines):
        raise LedgerError(f"{entry.origin}: the entry does not balance")
    return entry


def _column(header: list[str], role: str) -> str | None:
    names = {h.strip().casefold(): h for h in header}
    return next((names[n] for n in _CSV_COLUMNS[role] if n in names), None)


def _amount(text: str | None, currency: str, origin: str) -> int:
    text = (text or "").strip().replace(",", "")
    if not text:
        return 0
    try:
        return parse_minor(text, currency)
    except MoneyError as exc:
        raise LedgerError(f"{origin}: {exc}") from None


def _rounded(value: Decimal, currency: str) -> Decimal:
    """A converted amount (units times a price) to the currency's minor unit, half even."""
    try:
        return value.quantize(Decimal(1).scaleb(-currency_exponent(currency)), ROUND_HALF_EVEN)
    except MoneyError:  # an unknown currency: left as it is, refused when it is read
        return value


def _date(text: str, origin: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise LedgerError(f"{origin}: date {text!r} is not YYYY-MM-DD") from None


def read_csv(path: Path, resolver: AccountResolver, currency: str) -> Iterator[OldEntry]:
    """Entries of a CSV journal, one row per line, grouped into entries."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        cols = {role: _column(header, role) for role in _CSV_COLUMNS}
        missing = [r for r in ("date", "account") if cols[r] is None]
        if cols["amount"] is None and cols["debit"] is None:
            missing.append("amount (or debit/credit)")
        if missing:
            raise LedgerError(f"{path.name}: no {', '.join(missing)} column in the header")
        groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
        for number, row in enumerate(reader, start=2):
            ref = (row.get(cols["reference"]) or "").strip() if cols["reference"] else ""
            key = (row.get(cols["entry"]) or "").strip() if cols["entry"] else ""
            groups.setdefault(key or f"{ref}|{row[cols['date']]}", []).append((number, row))
    for rows in groups.values():
        first, row = rows[0]
        origin = f"{path.name} line {first}"
        lines = []
        for number, line in rows:
            where = f"{path.name} line {number}"
            if cols["amount"] is not None:
                amount = _amount(line.get(cols["amount"]), currency, where)
            else:
                amount = (_amount(line.get(cols["debit"]), currency, where)
                          - _amount(line.get(cols["credit"] or ""), currency, where))
            lines.append((resolver.code(line[cols["account"]], where), amount))
        ref = (row.get(cols["reference"]) or "").strip() if cols["reference"] else ""
        memo = (row.get(cols["memo"]) or "") if cols["memo"] else ""
        yield _checked(OldEntry(_date(row[cols["date"]], origin), ref or None, _net(lines),
                                memo, origin))


def read_beancount(path: Path, resolver: AccountResolver, currency: str) -> Iterator[OldEntry]:
    """Entries of a beancount file (parsed by beancount itself), in the entity's currency."""
    from beancount import loader
    from beancount.core import convert, data

    entries, errors, _ = loader.load_file(str(path))
    if errors:
        raise LedgerError(f"{path.name}: {errors[0].message}")
    opened = {e.account: e.meta.get("lb-code") for e in entries if isinstance(e, data.Open)}
    for txn in entries:
        if not isinstance(txn, data.Transaction):
            continue
        origin = f"{path.name} line {txn.meta.get('lineno')}"
        lines = []
        for posting in txn.postings:
            weight = convert.get_weight(posting)  # the cost or price in the entity currency
            if weight.currency != currency:
                raise LedgerError(f"{origin}: posting to {posting.account} is in "
                                  f"{weight.currency}, not {currency}")
            code = opened.get(posting.account) or resolver.code(posting.account, origin)
            value = weight.number
            if posting.price is not None or posting.cost is not None:
                value = _rounded(value, currency)
            lines.append((code, _amount(format(value, "f"), currency, origin)))
        reference = next((str(txn.meta[k]) for k in REFERENCE_KEYS if k in txn.meta), None)
        if reference is None and txn.links:
            reference = sorted(txn.links)[0]
        yield _checked(OldEntry(txn.date, reference, _net(lines), txn.narration, origin))


def _quantity(amount: dict) -> Decimal:
    number = amount["aquantity"]
    return Decimal(int(number["decimalMantissa"])).scaleb(-int(number["decimalPlaces"]))


def _hledger_weight(amount: dict) -> tuple[Decimal, str]:
    """A posting amount's value: its price's currency when it has a price (@ or @@)."""
    quantity, price = _quantity(amount), amount.get("aprice")
    if not price:
        return quantity, amount["acommodity"]
    unit = price["contents"]
    if price["tag"] == "TotalPrice":
        return _quantity(unit).copy_sign(quantity), unit["acommodity"]
    return _rounded(quantity * _quantity(unit), unit["acommodity"]), unit["acommodity"]


def read_hledger(path: Path, resolver: AccountResolver, currency: str) -> Iterator[OldEntry]:
    """Entries of an hledger journal, read through ``hledger print -O json``."""
    try:
        done = subprocess.run(["hledger", "print", "-O", "json", "-f", str(path)],
                              capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise LedgerError("reading an hledger journal needs the hledger program") from None
    if done.returncode:
        raise LedgerError(f"{path.name}: hledger could not read it: {done.stderr.strip()}")
    for txn in json.loads(done.stdout):
        origin = f"{path.name} line {txn['tsourcepos'][0]['sourceLine']}"
        tags = {k.casefold(): v for k, v in txn.get("ttags", [])}
        lines = []
        for posting in txn["tpostings"]:
            for amount in posting["pamount"]:
                value, unit = _hledger_weight(amount)
                if unit != currency:
                    raise LedgerError(f"{origin}: posting to {posting['paccount']} is in "
                                      f"{unit}, not {currency}")
                lines.append((resolver.code(posting["paccount"], origin),
                              _amount(format(value, "f"), currency, origin)))
        reference = next((tags[k] for k in REFERENCE_KEYS if k in tags), None)
        reference = reference or txn.get("tcode") or None
        yield _checked(OldEntry(dt.date.fromisoformat(txn["tdate"]), reference, _net(lines),
                                txn.get("tdescription", ""), origin))


READERS = {".csv": read_csv, ".beancount": read_beancount, ".bean": read_beancount,
           ".journal": read_hledger, ".hledger": read_hledger, ".ledger": read_hledger}


def read_old_books(path: Path, chart: Iterable[Account], currency: str) -> list[OldEntry]:
    """Every entry of the old process's file, chosen by its extension."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise LedgerError(f"{path.name}: unknown kind of file; expected one of "
                          f"{', '.join(sorted(READERS))}")
    if not path.is_file():
        raise LedgerError(f"{path}: no such file")
    return list(reader(path, AccountResolver(chart), currency))
