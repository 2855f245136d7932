"""CSV bank exports read through saved column profiles.

A :class:`CsvProfile` declares where each field lives, the way beangulp's CSV
importer declares columns; :class:`CsvFormat` applies one to a file. Profiles can be
kept in YAML (:func:`load_profiles`, :func:`save_profiles`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from ledgerbridge.connectors.bankfeeds.statement import (
    Balance,
    Statement,
    StatementError,
    StatementLine,
)
from ledgerbridge.money import Money, MoneyError, parse_minor

__all__ = [
    "BUILTIN_PROFILES",
    "CsvFormat",
    "CsvProfile",
    "load_profiles",
    "save_profiles",
]

_DELIMITERS = ",;\t|"
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """Where a bank's CSV export keeps each field, and how it writes numbers and dates.

    Attributes:
        name: profile key.
        date: booking date column; ``date_formats`` are tried in order (strptime).
        amount: signed amount column, or ``debit`` and ``credit`` columns instead.
        debits_negative: the debit column already shows a minus sign.
        description: columns joined (non-empty ones, with a space) into the text.
        reference, balance, counterparty, currency, value_date: optional columns.
        default_currency: used when there is no currency column (or it is empty).
        account: the account the file belongs to (CSV exports rarely say).
        decimal, thousands: number separators (``","`` and ``"."`` for "1.234,56").
        delimiter: field separator; sniffed from the header line when None.
        encoding: text encoding of the file.
        skip_rows: lines before the header row (bank preambles); None finds the
            header as the first of the first 30 lines that has every named column.

    """

    name: str
    date: str
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    debits_negative: bool = False
    description: tuple[str, ...] = ()
    reference: str | None = None
    balance: str | None = None
    counterparty: str | None = None
    currency: str | None = None
    value_date: str | None = None
    default_currency: str = "USD"
    account: str = ""
    decimal: str = "."
    thousands: str = ","
    delimiter: str | None = None
    encoding: str = "utf-8-sig"
    skip_rows: int | None = None

    def __post_init__(self) -> None:
        for name in ("date_formats", "description"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            else:
                object.__setattr__(self, name, tuple(value))
        if (self.amount is None) == (self.debit is None and self.credit is None):
            raise ValueError(f"profile {self.name!r}: give either amount or debit/credit columns")
        if self.decimal == self.thousands or self.decimal not in ",.":
            raise ValueError(f"profile {self.name!r}: bad decimal/thousands separators")
        if not self.date_formats:
            raise ValueError(f"profile {self.name!r}: no date format")
        if self.skip_rows is not None and self.skip_rows < 0:
            raise ValueError(f"profile {self.name!r}: skip_rows must not be negative")
        Money.zero(self.default_currency)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns the header row must have."""
        named = (
            self.date, self.amount, self.debit, self.credit, *self.description,
            self.reference, self.balance, self.counterparty, self.currency, self.value_date,
        )
        return tuple(dict.fromkeys(col for col in named if col))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for YAML, leaving out fields at their default."""
        defaults = {f.name: f.default for f in fields(self)}
        data = asdict(self)
        data["date_formats"] = list(self.date_formats)
        data["description"] = list(self.description)
        return {
            key: value
            for key, value in data.items()
            if key == "name" or key == "date" or value != _plain(defaults[key])
        }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


BUILTIN_PROFILES: dict[str, CsvProfile] = {
    profile.name: profile
    for profile in (
        CsvProfile(
            name="us-debit-credit",
            date="Date",
            date_formats=("%m/%d/%Y", "%m/%d/%y"),
            debit="Debit",
            credit="Credit",
            description=("Description",),
            balance="Balance",
        ),
        CsvProfile(
            name="de-semicolon",
            date="Buchungstag",
            value_date="Valuta",
            date_formats=("%d.%m.%Y", "%d.%m.%y"),
            amount="Betrag",
            currency="Währung",
            description=("Buchungstext", "Verwendungszweck"),
            counterparty="Auftraggeber / Empfänger",
            default_currency="EUR",
            decimal=",",
            thousands=".",
            delimiter=";",
            encoding="cp1252",
        ),
        CsvProfile(
            name="signed-amount",
            date="Date",
            date_formats=("%Y-%m-%d",),
            amount="Amount",
            description=("Description",),
            reference="Transaction ID",
            balance="Balance",
        ),
    )
}
"""Profiles for common export layouts, by name."""


@dataclass(frozen=True, slots=True)
class CsvFormat:
    """A CSV statement format bound to one profile."""

    profile: CsvProfile
    name: str = field(default="", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"csv:{self.profile.name}")

    def identify(self, data: bytes) -> bool:
        """Whether the header row has every column the profile names."""
        return self.mismatch(data) is None

    def mismatch(self, data: bytes) -> str | None:
        """Why the file does not fit the profile, or None when it does."""
        try:
            text = data[:16384].decode(self.profile.encoding, errors="replace")
            header, _, _ = _header(text, self.profile)
        except StatementError as err:
            return err.reason
        missing = [col for col in self.profile.required_columns if col not in header]
        return f"header lacks columns {missing}" if missing else None

    def parse(self, data: bytes) -> list[Statement]:
        """Read the file: one statement per currency found."""
        profile = self.profile
        try:
            text = data.decode(profile.encoding)
        except UnicodeDecodeError as err:
            raise StatementError(f"not {profile.encoding} text: {err.reason} at byte {err.start}",
                                 record=self.name) from None
        header, rows, _ = _header(text, profile)
        missing = [col for col in profile.required_columns if col not in header]
        if missing:
            raise StatementError(f"header lacks columns {missing}",
                                 record=f"{self.name} row {(profile.skip_rows or 0) + 1}")
        index = {col: header.index(col) for col in profile.required_columns}
        by_currency: dict[str, list[tuple[StatementLine, int | None]]] = {}
        for number, row, raw in rows:
            if not any(cell.strip() for cell in row):
                continue
            record = f"{self.name} row {number}"
            if len(row) < len(header):
                raise StatementError(
                    f"{len(row)} fields, the header has {len(header)}", record=record
                )
            line, currency, balance = _row(profile, index, row, record)
            line = replace(line, raw=raw)
            by_currency.setdefault(currency, []).append((line, balance))
        return [
            _statement(profile, currency, entries, self.name)
            for currency, entries in by_currency.items()
        ]


def _sniff(line: str) -> str:
    try:
        return csv.Sniffer().sniff(line, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: line.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _header(
    text: str, profile: CsvProfile
) -> tuple[list[str], list[tuple[int, list[str], str]], str]:
    """Split the text into the header row and numbered data rows (1-based line numbers)."""
    lines = text.splitlines(keepends=True)
    skip = profile.skip_rows
    if skip is None:
        skip = _find_header(lines, profile)
    if len(lines) <= skip:
        raise StatementError(f"no header row after {skip} skipped lines",
                             record=f"csv:{profile.name}")
    delimiter = profile.delimiter or _sniff(lines[skip])
    body = "".join(lines[skip:])
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    physical = lines[skip:]
    try:
        header = [cell.strip() for cell in next(reader)]
        rows = []
        start = reader.line_num
        for row in reader:
            raw = "".join(physical[start:reader.line_num]).rstrip("\r\n")
            rows.append((skip + start + 1, row, raw))
            start = reader.line_num
    except csv.Error as err:
        raise StatementError(f"CSV syntax: {err}",
                             record=f"csv:{profile.name} row {skip + reader.line_num}"
                             ) from None
    except StopIteration:
        raise StatementError("empty file", record=f"csv:{profile.name}") from None
    return header, rows, delimiter


def _find_header(lines: list[str], profile: CsvProfile) -> int:
    wanted = set(profile.required_columns)
    for number, line in enumerate(lines[:30]):
        delimiter = profile.delimiter or _sniff(line)
        cells = next(csv.reader([line], delimiter=delimiter), [])
        if wanted <= {cell.strip() for cell in cells}:
            return number
    raise StatementError(f"no header row with columns {sorted(wanted)} in the first 30 lines",
                         record=f"csv:{profile.name}")


def _number(text: str, profile: CsvProfile, currency: str, record: str, column: str) -> int:
    """Exact minor units from bank text such as "1.234,56", "(12.00)", "12,50-", "$1,000.00"."""
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.endswith("-"):
        negative, value = True, value[:-1]
    if value[:1] in "+-":
        negative, value = negative ^ (value[0] == "-"), value[1:]
    value = value.lstrip("$€£¥")
    if value.count(profile.decimal) > 1:
        raise StatementError(f"{column} {text!r} has several decimal separators", record=record)
    whole, sep, frac = value.partition(profile.decimal)
    groups = whole.split(profile.thousands) if profile.thousands else [whole]
    if len(groups) > 1 and (
        not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])
    ):
        raise StatementError(f"{column} {text!r} has misplaced thousands separators",
                             record=record)
    plain = "".join(groups) + ("." + frac if sep else "")
    if not _NUMBER.match(plain):
        raise StatementError(f"{column} {text!r} is not a number", record=record)
    try:
        minor = parse_minor(plain, currency)
    except MoneyError as err:
        raise StatementError(f"{column} {text!r}: {err}", record=record) from None
    return -minor if negative else minor


def _date(text: str, profile: CsvProfile, record: str, column: str) -> dt.date:
    for fmt in profile.date_formats:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise StatementError(
        f"{column} {text!r} does not match {' or '.join(profile.date_formats)}", record=record
    )


def _row(
    profile: CsvProfile, index: dict[str, int], row: list[str], record: str
) -> tuple[StatementLine, str, int | None]:
    def cell(column: str | None) -> str:
        return row[index[column]].strip() if column else ""

    currency = (cell(profile.currency) or profile.default_currency).upper()
    try:
        Money.zero(currency)
    except MoneyError as err:
        raise StatementError(f"{profile.currency} {currency!r}: {err}", record=record) from None
    booked = _date(cell(profile.date), profile, record, profile.date)
    value_date = (
        _date(cell(profile.value_date), profile, record, profile.value_date)
        if profile.value_date and cell(profile.value_date)
        else None
    )
    if profile.amount:
        if not cell(profile.amount):
            raise StatementError(f"{profile.amount} is empty", record=record)
        minor = _number(cell(profile.amount), profile, currency, record, profile.amount)
    else:
        debit, credit = cell(profile.debit), cell(profile.credit)
        if bool(debit) == bool(credit):
            what = "both" if debit else "neither"
            raise StatementError(
                f"{what} of {profile.debit} and {profile.credit} are filled", record=record
            )
        if debit:
            minor = _number(debit, profile, currency, record, profile.debit or "debit")
            if profile.debits_negative:
                if minor > 0:
                    raise StatementError(f"{profile.debit} {debit!r} should be negative",
                                         record=record)
            else:
                minor = -minor
        else:
            minor = _number(credit, profile, currency, record, profile.credit or "credit")
    balance = (
        _number(cell(profile.balance), profile, currency, record, profile.balance)
        if profile.balance and cell(profile.balance)
        else None
    )
    description = " ".join(cell(col) for col in profile.description if cell(col))
    line = StatementLine(
        booking_date=booked,
        amount=Money(minor, currency),
        description=description,
        value_date=value_date,
        bank_reference=cell(profile.reference) or None,
        counterparty=cell(profile.counterparty) or None,
    )
    return line, currency, balance


def _statement(
    profile: CsvProfile,
    currency: str,
    entries: list[tuple[StatementLine, int | None]],
    fmt: str,
) -> Statement:
    """Build a statement; balances come from the running-balance column when there is one."""
    lines = tuple(line for line, _ in entries)
    opening = closing = None
    dates = [line.booking_date for line in lines]
    # Many banks list newest first; the running balance then reads bottom-up.
    newest_first = len(dates) > 1 and dates[0] > dates[-1]
    ordered = entries[::-1] if newest_first else entries
    (first, first_balance), (last, last_balance) = ordered[0], ordered[-1]
    if first_balance is not None and last_balance is not None:
        opening = Balance(first.booking_date, Money(first_balance - first.amount.minor, currency))
        closing = Balance(last.booking_date, Money(last_balance, currency))
    return Statement(
        account=profile.account,
        currency=currency,
        lines=lines,
        opening=opening,
        closing=closing,
        format=fmt,
    )


def load_profiles(path: str | Path) -> dict[str, CsvProfile]:
    """Read profiles from YAML: a mapping of profile name to its fields."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise StatementError(f"not valid YAML: {err}", record=str(path)) from None
    if isinstance(data, dict) and isinstance(data.get("profiles"), dict):
        data = data["profiles"]
    if not isinstance(data, dict):
        raise StatementError("expected a mapping of profile name to fields", record=str(path))
    known = {f.name for f in fields(CsvProfile)}
    profiles: dict[str, CsvProfile] = {}
    for name, spec in data.items():
        record = f"{path}: profile {name}"
        if not isinstance(spec, dict):
            raise StatementError("expected a mapping of fields", record=record)
        unknown = sorted(set(spec) - known)
        if unknown:
            raise StatementError(f"unknown fields {unknown}", record=record)
        try:
            profiles[str(name)] = CsvProfile(**{**spec, "name": str(name)})
        except (TypeError, ValueError) as err:
            raise StatementError(str(err), record=record) from None
    return profiles


def save_profiles(profiles: dict[str, CsvProfile] | list[CsvProfile], path: str | Path) -> None:
    """Write profiles as YAML that :func:`load_profiles` reads back."""
    items = profiles.values() if isinstance(profiles, dict) else profiles
    data = {}
    for profile in items:
        spec = profile.to_dict()
        del spec["name"]
        data[profile.name] = spec
    Path(path).write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
