"""BAI2 cash management balance reports, read with the ``bai2`` library.

Each account (03 record) of each group (02) becomes one Statement: opening and
closing ledger balances from type codes 010 and 015, lines from the 16 records.
Amounts are integers in the currency's minor unit already (BAI2 has implied
decimals), so they go into Money as they are; the sign comes from the type code:
100-399 credit, 400-699 debit (the library's own table first).

Before the library sees the file, records are put one to a line: banks put
several slash-ended records on one physical line, wrap a record over two lines
without an 88, or leave the slash off. Continuations (88) are joined here too,
because the library runs the last field of an 03 into the first field of its
88 ("190" + "500000"). An 03 whose line ends one empty field past its last
complete summary (``015,35217175,,,/`` then ``88,040,...``) has that field dropped
before the join, or every later summary would shift by one. The control totals
in the 49/98/99 trailers are not checked: the library counts records differently
from banks that pre-join lines.
"""

from __future__ import annotations

import re
from typing import Any

from bai2 import bai2 as bai2_lib
from bai2.constants import TypeCodeTransaction
from bai2.exceptions import IntegrityException, NotSupportedYetException, ParsingException

from ledgerbridge.connectors.bankfeeds.statement import (
    Balance,
    Statement,
    StatementError,
    StatementLine,
)
from ledgerbridge.money import Money, MoneyError, currency_exponent

__all__ = ["BAI2", "Bai2Format"]

_CODES = ("01", "02", "03", "16", "49", "88", "98", "99")
_START = re.compile(r"^(" + "|".join(_CODES) + r")[,:]")
# Another record after a slash on the same physical line: "PPD/ 16,142,...".
_INLINE = re.compile(r"/\s+(?=(?:" + "|".join(_CODES) + r"),)")
_AVAILABILITY_FIELDS = {"S": 3, "V": 2}


def _physical_records(text: str) -> list[str]:
    """Split into records: one per line start or inline ``/ NN,``; glue wrapped lines."""
    records: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            continue
        for piece in _INLINE.split(line):
            if _START.match(piece.lstrip()):
                piece = piece.lstrip()
                records.append(piece[:2] + "," + piece[3:])
            elif records:
                records[-1] += " " + piece  # a record wrapped without an 88
            else:
                raise StatementError("file does not start with a 01 record", record="line 1")
    return records


def _text_starts_in(first: str) -> bool:
    """Whether a 16 record's own line already reached its text field."""
    fields = first.rstrip().removesuffix("/").split(",")
    funds = fields[3] if len(fields) > 3 else ""
    avail = _AVAILABILITY_FIELDS.get(funds, 0)
    if funds == "D" and len(fields) > 4 and fields[4].isdigit():
        avail = 1 + 2 * int(fields[4])
    return len(fields) >= 1 + 3 + avail + 2 + 1


def _dangling_field(account: str) -> bool:
    """Whether an 03 record ends with one empty field after its complete summaries."""
    summaries = account.split(",")[3:]
    at = 0
    while at + 4 <= len(summaries):
        funds = summaries[at + 3]
        extra = _AVAILABILITY_FIELDS.get(funds, 0)
        if funds == "D" and at + 4 < len(summaries) and summaries[at + 4].isdigit():
            extra = 1 + 2 * int(summaries[at + 4])
        at += 4 + extra
    return at == len(summaries) - 1 and summaries[-1] == ""


def _logical_records(records: list[str]) -> list[str]:
    """Join each 88 onto the record it continues, as one comma-separated line."""
    out: list[str] = []
    for record in records:
        if not record.startswith("88,"):
            out.append(record)
            continue
        if not out:
            raise StatementError("88 continuation before any record", record="88")
        body = record[3:]
        previous = out[-1]
        head = previous.rstrip().removesuffix("/")
        if previous.startswith("16,") and _text_starts_in(previous):
            out[-1] = f"{head} {body.strip()}" if body.strip() else head
        elif previous.startswith("03,") and _dangling_field(head):
            out[-1] = f"{head.removesuffix(',')},{body}"
        else:
            out[-1] = f"{head},{body}"
    return [_fill_availability(r.rstrip().removesuffix("/").rstrip()) for r in out]


def _fill_availability(record: str) -> str:
    """Write an empty same-day/next-day/later amount of funds type S as 0.

    The library calls ``int('')`` on it; an amount not given is nothing available.
    """
    fields = record.split(",")
    if fields[0] == "16" and len(fields) > 6 and fields[3] == "S":
        fields[4:7] = [f or "0" for f in fields[4:7]]
    return ",".join(fields)


def _sign(type_code: Any, record: str) -> int:
    if type_code.transaction is TypeCodeTransaction.credit:
        return 1
    if type_code.transaction is TypeCodeTransaction.debit:
        return -1
    number = int(type_code.code)
    if 100 <= number <= 399:
        return 1
    if 400 <= number <= 699:
        return -1
    raise StatementError(f"type code {type_code.code} is neither credit nor debit", record=record)


def _money(minor: int, currency: str, record: str) -> Money:
    try:
        currency_exponent(currency)
    except MoneyError as exc:
        raise StatementError(str(exc), record=record) from None
    return Money(minor, currency)


def _text(record: Any) -> str:
    return " ".join((record or "").split())


def _statement(group: Any, account: Any, file_id: str | None, index: str) -> Statement:
    header = account.header
    number = (header.customer_account_number or "").strip()
    record = f"03 account {number or '?'} ({index})"
    if not number:
        raise StatementError("03 record without an account number", record=record)
    currency = header.currency or group.header.currency or "USD"
    as_of = group.header.as_of_date
    if as_of is None:
        raise StatementError("02 group header without an as-of date", record=record)
    balances = {
        s.type_code.code: s.amount
        for s in header.summary_items
        if s.type_code and s.amount is not None
    }
    lines = []
    for n, detail in enumerate(account.children, start=1):
        where = f"{record}, 16 #{n}"
        if detail.type_code is None or detail.amount is None:
            raise StatementError("16 record without type code or amount", record=where)
        availability = detail.availability or {}
        value_date = availability.get("date") if isinstance(availability, dict) else None
        lines.append(
            StatementLine(
                booking_date=as_of,
                amount=_money(_sign(detail.type_code, where) * detail.amount, currency, where),
                description=_text(detail.text),
                value_date=value_date,
                bank_reference=(detail.bank_reference or "").strip() or None,
                end_to_end_id=(detail.customer_reference or "").strip() or None,
                kind=detail.type_code.code,
                raw="\n".join(f"{code.value},{rest}" for code, rest in detail.rows),
            )
        )
    opening = balances.get("010")
    closing = balances.get("015")
    return Statement(
        account=number,
        currency=currency,
        lines=tuple(lines),
        opening=Balance(as_of, _money(opening, currency, record)) if opening is not None else None,
        closing=Balance(as_of, _money(closing, currency, record)) if closing is not None else None,
        statement_id=file_id,
        format="bai2",
    )


class Bai2Format:
    """BAI2 (version 2) balance and transaction reports."""

    name = "bai2"

    def identify(self, data: bytes) -> bool:
        """Whether ``data`` starts with a BAI2 01 file header of version 2."""
        head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
        first = re.split(rb"[/\r\n]", head, maxsplit=1)[0]
        fields = first.split(b",")
        return len(fields) >= 9 and fields[0] == b"01" and fields[8].strip() == b"2"

    def parse(self, data: bytes) -> list[Statement]:
        """Read every account of every group."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        records = _logical_records(_physical_records(text))
        if not records or not records[0].startswith("01,"):
            raise StatementError("file does not start with a 01 record", record="line 1")
        try:
            parsed = bai2_lib.parse_from_lines(iter(records), check_integrity=False)
        except (
            ParsingException,
            NotSupportedYetException,
            IntegrityException,
            ValueError,
            IndexError,
            StopIteration,
        ) as exc:
            raise StatementError(f"cannot read: {exc}", record=_near(records, exc)) from None
        file_id = parsed.header.file_id
        return [
            _statement(group, account, file_id, f"group {g}, account {a}")
            for g, group in enumerate(parsed.children, start=1)
            for a, account in enumerate(group.children, start=1)
        ]


def _near(records: list[str], exc: Exception) -> str:
    """Name the record the library stopped at, when its message shows a field."""
    message = str(exc)
    match = re.search(r"'([^']*)'", message)
    if match:
        for number, record in enumerate(records, start=1):
            if match.group(1) and match.group(1) in record.split(","):
                return f"record {number} ({record[:40]})"
    return "bai2"


BAI2 = Bai2Format()
"""The shared instance; the format holds no state."""
