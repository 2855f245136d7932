"""SWIFT MT940 statements and MT942 interim reports, read with the ``mt940`` library.

The library splits the tags and builds amounts, balances and dates (including the
:61: entry date that falls in the next year across new year). Before it sees the
text, this module removes what it would otherwise glue onto the last transaction:
SWIFT/bank headers and trailers (``{1:...}``, ``-``, ``-XXX``, SOH/ETX bytes) and
a statement-level :86: after the closing balance (ING); a balance written without
its currency (``:62M:C020315105000,00``) gets the statement's. A day past the end
of its month (German banks' 30 February or 31 November) is read as the month's last
day. After it, the :86: text is kept whole as the description and the
counterparty is pulled from the layouts of Dutch, Polish and German banks when one
of them matches.

Two damaged layouts are refused rather than misread: a :61: after a statement's
closing balance and end line (``-``) with no new :20:, and a second :25: inside a
statement after its :61: lines; either would file lines under the wrong account.

An MT942 (no :60: opening balance; :34F:/:13D: present) gives pending lines.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal
from typing import Any

import mt940

from ledgerbridge.connectors.bankfeeds.statement import (
    Balance,
    Statement,
    StatementError,
    StatementLine,
)
from ledgerbridge.money import Money, MoneyError, parse_minor

__all__ = ["MT940", "Mt940Format"]

_TAG = re.compile(r"^:(\d\d[A-Z]?):", re.MULTILINE)
_TRAILER = re.compile(r"^-(XXX|\})?\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_NONREF = {"", "NONREF"}
_CLOSING_TAGS = {"62", "62F", "62M", "64", "65"}
_BALANCE_CURRENCY = re.compile(r"^:6[0245][FM]?:[CD]\d{6}([A-Z]{3})")
_BALANCE_NO_CURRENCY = re.compile(r"^(:6[0245][FM]?:[CD]\d{6})(\d[\d,]*\s*)$")

# Dutch "structured" :86: (ING, ABN AMRO, Rabobank since 2014): /CODE/value...
_STRUCT_KEYS = (
    "TRTP",
    "EREF",
    "MARF",
    "CSID",
    "CNTP",
    "REMI",
    "PURP",
    "ORDP",
    "BENM",
    "NAME",
    "IBAN",
    "BIC",
    "ISDT",
    "RTRN",
    "ULTC",
    "ULTD",
    "ADDR",
    "ID",
)
_STRUCT = re.compile(r"/(" + "|".join(_STRUCT_KEYS) + r")/")
_KNAB = re.compile(r"REK:\s*(?P<acct>[A-Z0-9]+)\s*/\s*NAAM:\s*(?P<name>[^\n]+)")
_MBANK = re.compile(
    r"(?:Z|NA) RACH\.:\s*(?P<acct>\d+);\s*(?:OD|DLA):\s*(?P<name>[^\n;]+)", re.IGNORECASE
)


class _Details:
    """Counterparty facts found in a :61: and its :86:."""

    __slots__ = ("account", "end_to_end", "name")

    def __init__(self) -> None:
        self.name: str | None = None
        self.account: str | None = None
        self.end_to_end: str | None = None


def _keep_details(
    transactions: Any, tag: Any, tag_dict: dict[str, Any], result: dict[str, Any]
) -> dict[str, Any]:
    """Keep the :86: text before the German ``?20`` processor replaces it."""
    result["raw_details"] = tag_dict.get("transaction_details", "")
    return result


def _german_details(
    transactions: Any, tag: Any, tag_dict: dict[str, Any], result: dict[str, Any]
) -> dict[str, Any]:
    return mt940.processors.transaction_details_post_processor_with_space(
        transactions, tag, tag_dict, result
    )


def _clamp_days(
    transactions: Any, tag: Any, tag_dict: dict[str, Any], *args: Any
) -> dict[str, Any]:
    """Read a day past its month's end (30 February, 31 November) as the last day."""
    year = tag_dict.get("year") or ""
    if not year.isdigit():
        return tag_dict
    for month_key, day_key in (("month", "day"), ("entry_month", "entry_day")):
        month, day = tag_dict.get(month_key) or "", tag_dict.get(day_key) or ""
        if month.isdigit() and day.isdigit() and 1 <= int(month) <= 12:
            last = calendar.monthrange(2000 + int(year) % 100, int(month))[1]
            if int(day) > last:
                tag_dict[day_key] = str(last)
    return tag_dict


_DATED_TAGS = (
    "statement",
    "opening_balance",
    "intermediate_opening_balance",
    "final_opening_balance",
    "closing_balance",
    "intermediate_closing_balance",
    "final_closing_balance",
    "available_balance",
    "forward_available_balance",
)
_PROCESSORS = {
    "post_transaction_details": [_keep_details, _german_details],
    **{f"pre_{slug}": [_clamp_days] for slug in _DATED_TAGS},
}
_OPTIONS = mt940.Options.all()


def _clean(text: str) -> str:
    """Drop headers, trailers and statement-level :86: the library would misfile.

    Raises StatementError on a :61: after a statement's end with no new :20:, and
    on a second :25: inside a statement after its :61: lines.
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = text.split("\n")
    # A balance without currency takes the last one written, else the file's first.
    currency = next((m.group(1) for line in lines if (m := _BALANCE_CURRENCY.match(line))), None)
    out: list[str] = []
    previous: str | None = None  # last tag seen other than :86:
    in_stray_86 = False
    in_trailer = False
    closed = False  # the statement's closing balance and end line were seen
    has_lines = False  # the statement has :61: lines
    for number, line in enumerate(lines, start=1):
        tag = _TAG.match(line)
        if tag:
            code = tag.group(1)
            in_trailer = False
            if code == "20":
                closed = has_lines = False
            elif code == "61" and closed:
                raise StatementError("a :61: line after the statement's closing balance and "
                                     "end line (-), with no :20: starting a new statement",
                                     record=f"mt940 line {number}")
            elif code == "25" and has_lines:
                raise StatementError("a second :25: account inside a statement, after its "
                                     ":61: lines", record=f"mt940 line {number}")
            has_lines = has_lines or code == "61"
            if code == "86":
                in_stray_86 = previous != "61"
                if in_stray_86:
                    continue
            else:
                in_stray_86 = False
                previous = code
            if found := _BALANCE_CURRENCY.match(line):
                currency = found.group(1)
            elif currency and (bare := _BALANCE_NO_CURRENCY.match(line)):
                line = f"{bare.group(1)}{currency}{bare.group(2)}"
        elif _TRAILER.match(line):
            in_trailer = True
            closed = closed or previous in _CLOSING_TAGS
            continue
        if in_stray_86 or in_trailer:
            continue
        out.append(line)
    return "\n".join(out)


def _minor(amount: Any, record: str) -> int:
    value = amount.amount
    if not isinstance(value, Decimal):
        raise StatementError(f"amount {value!r} is not a decimal", record=record)
    try:
        return parse_minor(value, amount.currency)
    except MoneyError as exc:
        raise StatementError(str(exc), record=record) from None


def _structured(text: str, found: _Details) -> None:
    joined = "".join(line.rstrip("\n") for line in text.splitlines())
    parts = _STRUCT.split(joined)
    fields: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=True):
        fields.setdefault(key, value.strip())
    if fields.get("NAME"):
        found.name = fields["NAME"]
    if fields.get("IBAN"):
        found.account = fields["IBAN"]
    if fields.get("CNTP"):
        account, _, rest = fields["CNTP"].partition("/")
        bic_name = rest.split("/")
        found.account = found.account or account or None
        if len(bic_name) > 1 and bic_name[1]:
            found.name = found.name or bic_name[1]
    if fields.get("EREF") and fields["EREF"] != "NOTPROVIDED":
        found.end_to_end = fields["EREF"]


def _details(data: dict[str, Any], text: str) -> _Details:
    found = _Details()
    if _STRUCT.search(text) and text.lstrip().startswith("/"):
        _structured(text, found)
    elif match := _KNAB.search(text):
        found.account, found.name = match["acct"], match["name"].strip()
    elif match := _MBANK.search(text):
        found.account, found.name = match["acct"], match["name"].strip()
    elif data.get("applicant_name") or data.get("applicant_iban"):
        # German ?20..?34 layout, split by the library.
        found.name = data.get("applicant_name")
        found.account = data.get("applicant_iban") or data.get("gvc_applicant_iban")
        found.end_to_end = data.get("end_to_end_reference")
    extra = (data.get("extra_details") or "").strip()
    customer = (data.get("customer_reference") or "").strip()
    if found.account is None and _IBAN.match(extra):
        found.account = extra  # Rabobank: counterparty IBAN on the :61: second line
    elif found.name is None and extra and customer.isdigit() and len(customer) in (9, 10):
        # Rabobank (before 2014) and SNS: account in the reference, name after it.
        found.account, found.name = customer, extra
    return found


def _reference(data: dict[str, Any], found: _Details) -> str | None:
    bank = (data.get("bank_reference") or "").strip()
    if bank not in _NONREF:
        return bank
    customer = (data.get("customer_reference") or "").strip()
    if customer in _NONREF or customer == found.account or customer == "EREF":
        return None
    return customer


def _line(tx: Any, pending: bool, record: str) -> StatementLine:
    data = tx.data
    amount = data.get("amount")
    if amount is None or data.get("date") is None:
        raise StatementError("transaction without :61: amount or date", record=record)
    text = (data.get("raw_details") or data.get("transaction_details") or "").strip()
    found = _details(data, text)
    value_date = dt.date(data["date"].year, data["date"].month, data["date"].day)
    entry = data.get("entry_date")
    booking = dt.date(entry.year, entry.month, entry.day) if entry else value_date
    return StatementLine(
        booking_date=booking,
        amount=Money(_minor(amount, record), amount.currency),
        description=text,
        value_date=value_date,
        bank_reference=_reference(data, found),
        end_to_end_id=found.end_to_end,
        counterparty=found.name,
        counterparty_account=found.account,
        kind=data.get("id"),
        pending=pending,
        raw=_raw(data, text),
    )


def _raw(data: dict[str, Any], text: str) -> str:
    fields = ("status", "amount", "id", "customer_reference", "bank_reference", "extra_details")
    head = " ".join(f"{k}={data.get(k)}" for k in fields if data.get(k) not in (None, ""))
    return (
        f":61: {data.get('date')} {head}\n:86:{text}" if text else f":61: {data.get('date')} {head}"
    )


def _balance(value: Any, record: str) -> Balance | None:
    if value is None or not getattr(value, "amount", None) or value.date is None:
        return None
    amount = value.amount
    return Balance(
        dt.date(value.date.year, value.date.month, value.date.day),
        Money(_minor(amount, record), amount.currency),
    )


def _statement(block: Any, index: int) -> Statement:
    data = block.data
    record = f"statement {index + 1} (:20:{data.get('transaction_reference', '')})"
    account = (data.get("account_identification") or "").strip()
    if not account:
        raise StatementError("no :25: account identification", record=record)
    opening_raw = (
        data.get("final_opening_balance")
        or data.get("intermediate_opening_balance")
        or data.get("opening_balance")
    )
    closing_raw = (
        data.get("final_closing_balance")
        or data.get("intermediate_closing_balance")
        or data.get("closing_balance")
    )
    interim = opening_raw is None and any(
        k in data for k in ("d_floor_limit", "c_floor_limit", "date")
    )
    opening = _balance(opening_raw, record)
    closing = _balance(closing_raw, record)
    lines = tuple(_line(tx, interim, f"{record}, :61: #{i + 1}") for i, tx in enumerate(block))
    currency = block.currency or (lines[0].amount.currency if lines else None)
    if not currency:
        raise StatementError("no currency in :60:, :62: or :34F:", record=record)
    number = data.get("statement_number")
    sequence = data.get("sequence_number")
    return Statement(
        account=account,
        currency=currency,
        lines=lines,
        opening=opening,
        closing=closing,
        statement_id=f"{number}/{sequence}" if number and sequence else number,
        format="mt942" if interim else "mt940",
    )


class Mt940Format:
    """SWIFT MT940 / MT942 as banks send them."""

    name = "mt940"

    def identify(self, data: bytes) -> bool:
        """Whether ``data`` has the :20:, :25: and :61: or :60: tags of an MT940/MT942."""
        head = data[:8192]
        return (
            re.search(rb"^:20:", head, re.MULTILINE) is not None
            and re.search(rb"^:25:", head, re.MULTILINE) is not None
            and re.search(rb"^:(28C?|60[FM]?|61|34F|13D?):", head, re.MULTILINE) is not None
        )

    def parse(self, data: bytes) -> list[Statement]:
        """Read every :20: block of the file."""
        text = data.decode("utf-8") if _is_utf8(data) else data.decode("latin-1")
        text = _clean(text.removeprefix("\ufeff"))
        if not _TAG.search(text):
            raise StatementError("no SWIFT tags (:20:, :25:, :61: ...) found", record="mt940")
        try:
            blocks = mt940.parse_statements(text, processors=_PROCESSORS, options=_OPTIONS)
        except (RuntimeError, ValueError, KeyError, ArithmeticError) as exc:
            raise _library_error(exc) from None
        if not blocks:
            raise StatementError("no :20: statement found", record="mt940")
        return [_statement(b, i) for i, b in enumerate(blocks)]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _library_error(exc: Exception) -> StatementError:
    """Turn the library's ``(message, tag, value)`` error into one naming the tag."""
    args = exc.args
    if len(args) == 3 and hasattr(args[1], "id"):
        return StatementError(f"cannot read {args[2]!r}", record=f":{args[1].id}:")
    return StatementError(f"cannot read: {exc}", record="mt940")


MT940 = Mt940Format()
"""The shared instance; the format holds no state."""
