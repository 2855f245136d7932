"""OFX / QFX statements: version 1 (SGML) and version 2 (XML), bank and credit card.

ofxtools' tag tokenizer is reused, but not its header parser, tree builder or
``convert()``: real bank files trip all three (see :class:`OfxFormat`).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ofxtools.Parser import TreeBuilder as _OfxTokenizer

from ledgerbridge.connectors.bankfeeds.statement import (
    Balance,
    Statement,
    StatementError,
    StatementLine,
)
from ledgerbridge.money import Money, MoneyError, convert, parse_minor

__all__ = ["OFX", "OfxFormat"]

_SNIFF = re.compile(rb"OFXHEADER\s*[:=]|^\s*<OFX>", re.IGNORECASE)
_V1_FIELD = re.compile(r"^\s*([A-Z]+)\s*:\s*(\S*)\s*$")
_XML_ENCODING = re.compile(r"""<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)["']""", re.IGNORECASE)
_OFX_PI = re.compile(r"<\?OFX\b[^>]*\?>", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'", "&nbsp;": " "}
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|nbsp|#\d+|#x[0-9a-fA-F]+);")

# CHARSET header values seen in the wild, mapped to Python codecs.
_CHARSETS = {
    "ISO-8859-1": "latin_1",
    "8859-1": "latin_1",
    "LATIN1": "latin_1",
    "LATIN-1": "latin_1",
    "1252": "cp1252",
    "WINDOWS-1252": "cp1252",
    "CP1252": "cp1252",
    "UTF-8": "utf_8",
    "UTF8": "utf_8",
}
_STATEMENTS = ("STMTRS", "CCSTMTRS")
# Aggregates whose end tag some banks leave out (Nubank: no </BANKTRANLIST>): closed
# where their parent ends, they keep their children.
_AGGREGATES = frozenset({"BANKTRANLIST", "BANKTRANLISTP", "STMTTRN", "STMTTRNP", "LEDGERBAL",
                         "AVAILBAL", "CURRENCY", "ORIGCURRENCY", "PAYEE", "BANKACCTFROM",
                         "CCACCTFROM", "BANKACCTTO", "CCACCTTO", "STATUS"})
# What a transaction list may hold: any other tag ends a list whose end tag is missing.
_LIST_ITEMS = {"BANKTRANLIST": {"DTSTART", "DTEND", "STMTTRN"},
               "BANKTRANLISTP": {"DTASOF", "STMTTRNP"}}
_RESPONSES = ("STMTTRNRS", "CCSTMTTRNRS")


@dataclass(frozen=True, slots=True)
class OfxFormat:
    """OFX 1.x/2.x and Quicken QFX files, any number of bank or card statements.

    Differences from plain ofxtools, each a quirk of files banks really send:
    header fields may be missing or reordered and CHARSET may be spelled
    ``8859-1``/``WINDOWS-1252``/``UTF-8``; a 2.x file may lack the ``<?xml``
    line or declare a non-UTF-8 encoding; an unclosed *empty* element
    (``<MEMO>`` with no text) is closed at the parent's end tag instead of
    swallowing its siblings; elements may come in any order; dates are the
    bank's local date (ofxtools converts to UTC, which moves evening lines to the
    next day).
    """

    name: str = "ofx"

    def identify(self, data: bytes) -> bool:
        """Whether the first bytes carry an OFX header or an ``<OFX>`` root."""
        head = data[:2048].lstrip(b"\xef\xbb\xbf")
        return bool(_SNIFF.search(head))

    def parse(self, data: bytes) -> list[Statement]:
        """Read every STMTRS and CCSTMTRS in the file."""
        root = _build_tree(_decode(data))
        parents = {child: parent for parent in root.iter() for child in parent}
        for response in root.iter():
            if response.tag in _RESPONSES and not any(
                response.find(tag) is not None for tag in _STATEMENTS
            ):
                code = response.findtext("STATUS/CODE", "").strip()
                message = response.findtext("STATUS/MESSAGE", "").strip()
                raise StatementError(
                    f"bank returned no statement (status {code or '?'} {message})".strip(),
                    record=f"{response.tag} {response.findtext('TRNUID', '').strip()}".strip(),
                )
        statements = [
            _statement(rs, parents.get(rs), self.name)
            for rs in root.iter()
            if rs.tag in _STATEMENTS
        ]
        if not statements and root.find(".//INVSTMTRS") is not None:
            raise StatementError("an investment statement (INVSTMTRS): only bank and credit "
                                 "card statements are read", record="OFX")
        if not statements:
            raise StatementError("no STMTRS or CCSTMTRS statement in the file", record="OFX")
        return statements


OFX = OfxFormat()
"""The OFX/QFX format object."""


def _decode(data: bytes) -> str:
    """Split off the header and decode the body with the charset it declares."""
    data = data.lstrip(b"\xef\xbb\xbf")
    head = data[:4096].decode("latin_1")
    start = head.find("<")
    if start < 0:
        raise StatementError("no OFX markup after the header", record="OFX header")
    if head[start:].startswith("<?"):
        return _decode_v2(data)
    fields: dict[str, str] = {}
    for number, line in enumerate(head[:start].splitlines(), 1):
        if not line.strip():
            continue
        match = _V1_FIELD.match(line)
        if not match:
            raise StatementError(f"header line {number} is not KEY:VALUE: {line!r}",
                                 record="OFX header")
        fields[match.group(1).upper()] = match.group(2).upper()
    if fields and "OFXHEADER" not in fields:
        raise StatementError("missing OFXHEADER line", record="OFX header")
    body = data[len(head[:start].encode("latin_1")):]
    charset = fields.get("CHARSET", "NONE")
    if charset in _CHARSETS:
        codec = _CHARSETS[charset]
    elif charset == "NONE":
        codec = "utf_8"
    else:
        raise StatementError(f"unknown CHARSET {charset!r}", record="OFX header")
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        # USASCII/NONE files often carry Windows-1252 names anyway.
        return body.decode("cp1252", errors="replace")


def _decode_v2(data: bytes) -> str:
    head = data[:512].decode("latin_1")
    match = _XML_ENCODING.search(head)
    codec = match.group(1) if match else "utf_8"
    try:
        text = data.decode(codec)
    except LookupError:
        raise StatementError(f"unknown XML encoding {codec!r}", record="OFX header") from None
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    pi = _OFX_PI.search(text)
    if pi is None or "OFXHEADER" not in pi.group(0).upper():
        raise StatementError("XML file without an <?OFX OFXHEADER=...?> instruction",
                             record="OFX header")
    return text[pi.end():]


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        entity = match.group(0)
        if entity.startswith("&#x"):
            return chr(int(entity[3:-1], 16))
        if entity.startswith("&#"):
            return chr(int(entity[2:-1]))
        return _ENTITIES[entity]

    return _ENTITY.sub(one, text)


def _build_tree(body: str) -> ET.Element:
    """Build an element tree from OFX tag soup (SGML or XML), closing what SGML leaves open."""
    stack: list[ET.Element] = [ET.Element("#document")]
    for match in _OfxTokenizer.regex.finditer(body):
        tag = match.group("tag").strip()
        text = match.group("cdata") or (match.group("text") or "").strip()
        if (match.group("tail") or "").strip():
            raise StatementError(f"stray text {match.group('tail').strip()!r} after <{tag}>",
                                 record=f"OFX offset {match.start()}")
        if tag.startswith("/"):
            name = tag[1:]
            if not any(elem.tag == name for elem in stack[1:]):
                raise StatementError(f"</{name}> closes nothing that is open",
                                     record=f"OFX offset {match.start()}")
            while stack[-1].tag != name:
                _close_empty(stack)
            stack.pop()
            continue
        while stack[-1].tag in _LIST_ITEMS and tag not in _LIST_ITEMS[stack[-1].tag]:
            stack.pop()
        elem = ET.SubElement(stack[-1], tag)
        if text:
            elem.text = _unescape(text)
        elif match.group("closetag") is None:
            stack.append(elem)
    while len(stack) > 2:  # a document cut short still yields what it holds
        _close_empty(stack)
    document = stack[0]
    root = document.find("OFX")
    if root is None:
        raise StatementError("no <OFX> element", record="OFX")
    return root


def _close_empty(stack: list[ET.Element]) -> None:
    """Close an element left open; a leaf's would-be children were really its siblings."""
    orphan = stack.pop()
    if orphan.tag in _AGGREGATES:
        return
    parent = stack[-1]
    for child in list(orphan):
        orphan.remove(child)
        parent.append(child)


def _date(text: str | None, record: str, field: str) -> dt.date:
    match = _DATE.match((text or "").strip())
    if not match:
        raise StatementError(f"{field} {text!r} is not an OFX date", record=record)
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise StatementError(f"{field} {text!r} is not a valid date", record=record) from None


def _optional_date(text: str | None, record: str, field: str) -> dt.date | None:
    return _date(text, record, field) if text and text.strip() else None


def _minor(text: str | None, currency: str, record: str, field: str) -> int:
    value = (text or "").strip()
    if _COMMA_DECIMAL.match(value):  # some European banks write TRNAMT -12,50
        value = value.replace(",", ".")
    try:
        return parse_minor(value, currency)
    except MoneyError as err:
        raise StatementError(f"{field} {text!r}: {err}", record=record) from None


def _text(elem: ET.Element, path: str) -> str | None:
    value = elem.findtext(path)
    return value.strip() if value and value.strip() else None


def _balance(rs: ET.Element, tag: str, currency: str, record: str) -> Balance | None:
    bal = rs.find(tag)
    if bal is None or _text(bal, "BALAMT") is None:  # some banks send <BALAMT></BALAMT>
        return None
    where = f"{record}, {tag}"
    return Balance(
        _date(bal.findtext("DTASOF"), where, "DTASOF"),
        Money(_minor(bal.findtext("BALAMT"), currency, where, "BALAMT"), currency),
    )


def _statement(rs: ET.Element, response: ET.Element | None, fmt: str) -> Statement:
    account = _text(rs, "BANKACCTFROM/ACCTID") or _text(rs, "CCACCTFROM/ACCTID")
    record = f"{rs.tag} {account or '?'}"
    if account is None:
        raise StatementError("no BANKACCTFROM/ACCTID or CCACCTFROM/ACCTID", record=record)
    currency = _text(rs, "CURDEF") or _line_currency(rs)
    if currency is None:
        raise StatementError("no CURDEF", record=record)
    currency = currency.upper()
    try:
        Money.zero(currency)
    except MoneyError as err:
        raise StatementError(f"CURDEF: {err}", record=record) from None
    listed = len(rs.findall("BANKTRANLIST/STMTTRN")) + len(rs.findall("BANKTRANLISTP/STMTTRNP"))
    if listed != len(rs.findall(".//STMTTRN")) + len(rs.findall(".//STMTTRNP")):
        raise StatementError("a STMTTRN outside its BANKTRANLIST (an end tag is missing)",
                             record=record)
    lines = [
        _line(trn, currency, f"{record}, STMTTRN {number}")
        for number, trn in enumerate(rs.findall("BANKTRANLIST/STMTTRN"), 1)
    ]
    lines += [
        _line(trn, currency, f"{record}, STMTTRNP {number}", pending=True)
        for number, trn in enumerate(rs.findall("BANKTRANLISTP/STMTTRNP"), 1)
    ]
    closing = _balance(rs, "LEDGERBAL", currency, record) or _balance(
        rs, "AVAILBAL", currency, record
    )
    trnuid = _text(response, "TRNUID") if response is not None else None
    if trnuid == "0":  # "0" is the usual placeholder, not an id
        trnuid = None
    return Statement(
        account=account,
        currency=currency,
        lines=tuple(lines),
        closing=closing,
        statement_id=trnuid,
        format=fmt,
    )


def _line_currency(rs: ET.Element) -> str | None:
    """The one CURSYM every line's CURRENCY names at rate 1, for a statement with CURDEF empty."""
    lines = rs.findall("BANKTRANLIST/STMTTRN") + rs.findall("BANKTRANLISTP/STMTTRNP")
    found = {(_symbol(trn.find("CURRENCY")), _text(trn, "CURRENCY/CURRATE")) for trn in lines}
    if len(found) != 1:
        return None
    symbol, rate = found.pop()
    try:
        return symbol if symbol and rate and Decimal(rate) == 1 else None
    except InvalidOperation:
        return None


def _line(trn: ET.Element, currency: str, record: str, *, pending: bool = False) -> StatementLine:
    fitid = _text(trn, "FITID")
    if fitid:
        record = f"{record} (FITID {fitid})"
    if pending:
        booked = _date(trn.findtext("DTTRAN"), record, "DTTRAN")
    else:
        booked = _date(trn.findtext("DTPOSTED"), record, "DTPOSTED")
    user = _optional_date(trn.findtext("DTUSER"), record, "DTUSER")
    avail = _optional_date(trn.findtext("DTAVAIL"), record, "DTAVAIL")
    amount, original, rate = _amount(trn, currency, record)
    name = _text(trn, "NAME") or _text(trn, "PAYEE/NAME")
    memo = _text(trn, "MEMO")
    parts = [part for part in (name, memo) if part]
    if name and memo and memo.startswith(name):
        parts = [memo]
    check = _text(trn, "CHECKNUM")
    if check and not any(check in part for part in parts):
        parts.append(f"check {check}")
    return StatementLine(
        booking_date=booked,
        amount=amount,
        description=" / ".join(parts),
        value_date=user or avail,
        bank_reference=fitid,
        counterparty=name,
        counterparty_account=_text(trn, "BANKACCTTO/ACCTID") or _text(trn, "CCACCTTO/ACCTID"),
        kind=_text(trn, "TRNTYPE"),
        pending=pending,
        raw=ET.tostring(trn, encoding="unicode"),
        original=original,
        exchange_rate=rate,
        mcc=_mcc(_text(trn, "SIC"), record),
    )


def _mcc(sic: str | None, record: str) -> str | None:
    """The card MCC banks put in SIC: up to four digits, zero-padded (742 is 0742).

    A longer SIC is an industry code, not a merchant category: it stays in the raw only.
    """
    if not sic:
        return None
    if not sic.isdigit() or not sic.isascii():
        raise StatementError(f"SIC {sic!r} is not a number", record=record)
    return sic.zfill(4) if len(sic) <= 4 else None


def _amount(trn: ET.Element, currency: str,
            record: str) -> tuple[Money, Money | None, Decimal | None]:
    """TRNAMT in the account currency, and the original amount and rate when converted.

    CURRENCY means TRNAMT is in CURSYM and CURRATE converts it to CURDEF: the
    original is TRNAMT itself. ORIGCURRENCY means TRNAMT is already in CURDEF and
    was converted from CURSYM at CURRATE: the original is TRNAMT / CURRATE, rounded
    half-even, as the file states no more (OFX 2.2 section 5.2); an ORIGCURRENCY
    without a usable rate or symbol only says nothing about the original.
    """
    text = trn.findtext("TRNAMT")
    converted = trn.find("CURRENCY")
    if converted is None or _symbol(converted) == currency:
        booked = Money(_minor(text, currency, record, "TRNAMT"), currency)
        origin = trn.find("ORIGCURRENCY")
        symbol = _symbol(origin)
        if origin is None or symbol == currency:
            return booked, None, None
        try:
            rate = _rate(origin, record)
            return booked, Money(convert(booked.minor, currency, 1 / rate, symbol), symbol), rate
        except (StatementError, MoneyError):
            return booked, None, None
    symbol, rate = _symbol(converted), _rate(converted, record)
    try:
        original = Money(_minor(text, symbol, record, "TRNAMT"), symbol)
        return Money(convert(original.minor, symbol, rate, currency), currency), original, rate
    except MoneyError as err:
        raise StatementError(f"CURRENCY {symbol!r}: {err}", record=record) from None


def _symbol(foreign: ET.Element | None) -> str:
    return "" if foreign is None else (_text(foreign, "CURSYM") or "").upper()


def _rate(foreign: ET.Element, record: str) -> Decimal:
    """CURRATE of a CURRENCY or ORIGCURRENCY aggregate, a positive decimal."""
    rate_text = _text(foreign, "CURRATE") or ""
    try:
        rate = Decimal(rate_text.replace(",", "."))
        if not rate.is_finite() or rate <= 0:
            raise InvalidOperation
    except InvalidOperation:
        raise StatementError(f"CURRATE {rate_text!r} is not a positive number",
                             record=record) from None
    return rate
