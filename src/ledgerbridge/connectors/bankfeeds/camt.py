"""ISO 20022 cash management: camt.053 statements, camt.052 reports, camt.054 notifications.

Elements are matched on their local names, so every message version (``.001.01``
to ``.001.08`` and later) reads the same way; the few renamed elements (``Sts``
holding text or a ``Cd`` child, ``Dbtr/Nm`` or ``Dbtr/Pty/Nm``) are handled
where they differ.

One :class:`~ledgerbridge.connectors.bankfeeds.statement.StatementLine` is made per
``Ntry``, carrying the amount the bank booked. A batch entry with several
``TxDtls`` stays one line: its end-to-end ids and remittance texts are joined.
A payment the bank converted keeps what the payer sent (``AmtDtls/InstdAmt``, else
``AmtDtls/TxAmt``, in another currency than the booked amount) and the bank's
rate (``CcyXchg/XchgRate`` of that amount, else of ``CntrValAmt``, read per its
``UnitCcy`` or ``SrcCcy``) as the line's original.
Splitting a batch into its payments belongs to reconciliation, which can match
the booked total against the open items.

Some banks' exports put several ``Document`` messages one after the other in one
file; each is read in turn. Two elements the schema requires are sometimes left
out: a balance without ``CdtDbtInd`` is read as a credit (its amount is never
negative), and an entry without ``BookgDt`` and ``ValDt`` is booked on the
statement's date (``FrToDt/ToDtTm``, else the closing balance's date, else the
statement's ``CreDtTm``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from ledgerbridge.connectors.bankfeeds.statement import (
    Balance,
    Statement,
    StatementError,
    StatementLine,
)
from ledgerbridge.money import Money, MoneyError, parse_minor

__all__ = ["CAMT", "CamtFormat"]

_Element = etree._Element

_CONTAINERS = {"Stmt": "camt.053", "Rpt": "camt.052", "Ntfctn": "camt.054"}
_OPENING = ("OPBD", "PRCD")
_CLOSING = ("CLBD",)
_DOCUMENT_END = re.compile(rb"</(?:[\w.-]+:)?Document\s*>")
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _local(el: _Element) -> str:
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child(el: _Element | None, *path: str) -> _Element | None:
    """Follow ``path`` through children matched by local name."""
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if _local(c) == name), None)
    return el


def _children(el: _Element | None, name: str) -> list[_Element]:
    return [] if el is None else [c for c in el if _local(c) == name]


def _descendant(el: _Element | None, name: str) -> _Element | None:
    if el is None:
        return None
    return next((d for d in el.iter() if _local(d) == name and d is not el), None)


def _text(el: _Element | None, *path: str) -> str | None:
    found = _child(el, *path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _record(el: _Element) -> str:
    """Name an element for error messages: its path and line in the file."""
    names = []
    node: _Element | None = el
    while node is not None:
        names.append(_local(node))
        node = node.getparent()
    return f"{'/'.join(reversed(names))} (line {el.sourceline})"


def _date(el: _Element | None) -> dt.date | None:
    """Read a ``Dt`` or ``DtTm`` choice; a date-time keeps its own calendar date."""
    return _calendar_date(_child(el, "Dt")) or _calendar_date(_child(el, "DtTm"))


def _calendar_date(el: _Element | None) -> dt.date | None:
    """The calendar date an element's text starts with (``2024-03-07`` or a date-time)."""
    text = (el.text or "").strip() if el is not None else ""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise StatementError(f"bad date {text!r}", record=_record(el)) from None


def _money(amt: _Element | None, indicator: str | None, where: _Element) -> Money:
    if amt is None or amt.text is None:
        raise StatementError("missing Amt", record=_record(where))
    currency = amt.get("Ccy")
    if not currency:
        raise StatementError("Amt without Ccy", record=_record(amt))
    if indicator not in ("CRDT", "DBIT"):
        raise StatementError(f"CdtDbtInd is {indicator!r}, not CRDT/DBIT", record=_record(where))
    try:
        minor = parse_minor(amt.text.strip(), currency)
    except MoneyError as exc:
        raise StatementError(str(exc), record=_record(amt)) from None
    if minor < 0:
        raise StatementError("negative Amt; the sign belongs in CdtDbtInd", record=_record(amt))
    return Money(minor if indicator == "CRDT" else -minor, currency)


def _status(entry: _Element) -> str | None:
    sts = _child(entry, "Sts")
    if sts is None:
        return None
    return _text(sts, "Cd") or _text(sts, "Prtry") or (sts.text or "").strip() or None


def _bank_code(el: _Element | None) -> str | None:
    code = _child(el, "BkTxCd")
    if code is None:
        return None
    domain = _child(code, "Domn")
    if domain is not None:
        parts = [
            _text(domain, "Cd"),
            _text(domain, "Fmly", "Cd"),
            _text(domain, "Fmly", "SubFmlyCd"),
        ]
        return "/".join(p for p in parts if p) or None
    return _text(code, "Prtry", "Cd")


def _account_id(acct: _Element | None) -> str | None:
    # Othr/Id from version 2 on; version 1 has PrtryAcct/Id and BBAN.
    return (
        _text(acct, "Id", "IBAN")
        or _text(acct, "Id", "Othr", "Id")
        or _text(acct, "Id", "PrtryAcct", "Id")
        or _text(acct, "Id", "BBAN")
    )


def _party_name(party: _Element | None) -> str | None:
    if party is None:
        return None
    return _text(party, "Nm") or _text(party, "Pty", "Nm")


def _remittance(tx: _Element) -> list[str]:
    info = _child(tx, "RmtInf")
    texts = [(u.text or "").strip() for u in _children(info, "Ustrd")]
    texts = [t for t in texts if t]
    if not texts:
        for strd in _children(info, "Strd"):
            ref = _text(strd, "CdtrRefInf", "Ref")
            if ref:
                texts.append(ref)
    return texts


def _unique(values: list[str | None]) -> list[str]:
    seen: list[str] = []
    for v in values:
        if v and v not in seen:
            seen.append(v)
    return seen


def _rate(xchg: _Element | None, original: str, booked: str) -> Decimal | None:
    """The bank's rate as units of ``booked`` per unit of ``original``."""
    text = _text(xchg, "XchgRate")
    if text is None:
        return None
    try:
        rate = Decimal(text)
        if not rate.is_finite() or rate <= 0:
            raise InvalidOperation
    except InvalidOperation:
        raise StatementError(f"XchgRate {text!r} is not a positive number",
                             record=_record(xchg)) from None
    # "1 GBP = x CUR": the unit currency is the one a rate of x is quoted for.
    unit = _text(xchg, "UnitCcy") or _text(xchg, "SrcCcy") or original
    return 1 / rate if unit == booked else rate


def _foreign(holder: _Element, booked: Money) -> tuple[Money, Decimal | None] | None:
    """The amount ``holder``'s AmtDtls give in another currency than ``booked``, if any.

    None too when the transaction amount is in a third currency: the booked
    amount is then no conversion of the instructed one.
    """
    details = _child(holder, "AmtDtls")
    currencies = {amt.get("Ccy") for name in ("InstdAmt", "TxAmt")
                  if (amt := _child(details, name, "Amt")) is not None}
    if len(currencies - {booked.currency}) > 1:
        return None
    for name in ("InstdAmt", "TxAmt"):
        part = _child(details, name)
        amt = _child(part, "Amt")
        currency = amt.get("Ccy") if amt is not None else None
        if amt is None or amt.text is None or not currency or currency == booked.currency:
            continue
        try:
            minor = parse_minor(amt.text.strip(), currency)
        except MoneyError as exc:
            raise StatementError(str(exc), record=_record(amt)) from None
        signed = minor if booked.minor >= 0 else -minor
        xchg = _child(part, "CcyXchg")
        if xchg is None:
            xchg = _child(details, "CntrValAmt", "CcyXchg")
        return Money(signed, currency), _rate(xchg, currency, booked.currency)
    return None


def _original(entry: _Element, txs: list[_Element],
              booked: Money) -> tuple[Money | None, Decimal | None]:
    """What the payer sent, when every transaction of the entry names one other currency.

    The transactions' amounts are summed; the rate is kept when they share one.
    """
    detailed = any(_child(tx, "AmtDtls") is not None for tx in txs)
    holders = txs if detailed else [entry]
    found = [_foreign(h, booked) for h in holders]
    if not found or any(f is None for f in found):
        return None, None
    amounts = [f[0] for f in found if f is not None]
    rates = {f[1] for f in found if f is not None}
    if len({a.currency for a in amounts}) > 1:
        return None, None
    currency = amounts[0].currency
    return (Money(sum(a.minor for a in amounts), currency),
            rates.pop() if len(rates) == 1 else None)


def _line(entry: _Element, intraday: bool, statement_date: dt.date | None) -> StatementLine:
    amount = _money(_child(entry, "Amt"), _text(entry, "CdtDbtInd"), entry)
    status = _status(entry)
    booked = _date(_child(entry, "BookgDt"))
    value = _date(_child(entry, "ValDt"))
    booking_date = booked or value or statement_date
    if booking_date is None:
        raise StatementError("entry without BookgDt or ValDt", record=_record(entry))

    txs = [tx for d in _children(entry, "NtryDtls") for tx in _children(d, "TxDtls")]
    credit = amount.minor >= 0
    side, side_acct = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
    names: list[str | None] = []
    accounts: list[str | None] = []
    for tx in txs:
        parties = _child(tx, "RltdPties")
        names.append(_party_name(_child(parties, side)))
        accounts.append(_account_id(_child(parties, side_acct)))
    names_u, accounts_u = _unique(names), _unique(accounts)

    remittance = [t for tx in txs for t in _remittance(tx)] or _remittance(entry)
    description = " | ".join(_unique(list(remittance)))
    if not description:
        description = _text(entry, "AddtlNtryInf") or ""
    e2e = _unique([_text(tx, "Refs", "EndToEndId") for tx in txs])
    e2e = [ref for ref in e2e if ref != "NOTPROVIDED"]
    kind = _bank_code(entry) or next((k for tx in txs if (k := _bank_code(tx))), None)
    original, rate = _original(entry, txs, amount)

    return StatementLine(
        booking_date=booking_date,
        amount=amount,
        description=description,
        value_date=value,
        bank_reference=_text(entry, "AcctSvcrRef") or _text(entry, "NtryRef"),
        end_to_end_id=" ".join(e2e) or None,
        counterparty="; ".join(names_u) or None,
        counterparty_account="; ".join(accounts_u) or None,
        kind=kind,
        pending=status != "BOOK" if intraday else status not in (None, "BOOK"),
        raw=etree.tostring(entry, encoding="unicode"),
        original=original,
        exchange_rate=rate,
    )


def _balance(container: _Element, codes: tuple[str, ...]) -> Balance | None:
    for code in codes:
        for bal in _children(container, "Bal"):
            tp = _child(bal, "Tp", "CdOrPrtry")
            if (_text(tp, "Cd") or _text(tp, "Prtry")) != code:
                continue
            when = _date(_child(bal, "Dt"))
            if when is None:
                raise StatementError(f"{code} balance without a date", record=_record(bal))
            indicator = _text(bal, "CdtDbtInd") or "CRDT"  # left out by some banks
            return Balance(when, _money(_child(bal, "Amt"), indicator, bal))
    return None


def _statement(container: _Element, kind: str) -> Statement:
    acct = _child(container, "Acct")
    account = _account_id(acct)
    if account is None:
        raise StatementError(
            "no account: Acct/Id/IBAN, Othr/Id or PrtryAcct/Id", record=_record(container)
        )
    opening = _balance(container, _OPENING)
    closing = _balance(container, _CLOSING)
    statement_date = (_calendar_date(_child(container, "FrToDt", "ToDtTm"))
                      or (closing.date if closing else None)
                      or _calendar_date(_child(container, "CreDtTm")))
    lines = tuple(_line(e, kind == "camt.052", statement_date)
                  for e in _children(container, "Ntry"))
    currency = (
        _text(acct, "Ccy")
        or (opening.amount.currency if opening else None)
        or (lines[0].amount.currency if lines else None)
        or (closing.amount.currency if closing else None)
    )
    if currency is None:
        raise StatementError("no currency: Acct/Ccy, balance or entry", record=_record(container))
    return Statement(
        account=account,
        currency=currency,
        lines=lines,
        opening=opening,
        closing=closing,
        statement_id=_text(container, "Id"),
        format=kind,
    )


class CamtFormat:
    """ISO 20022 camt.052 / camt.053 / camt.054, any version."""

    name = "camt"

    def identify(self, data: bytes) -> bool:
        """Whether ``data`` is an XML document in a camt.05x namespace."""
        head = data[:4096]
        return b"<" in head[:200] and any(
            f"iso:20022:tech:xsd:camt.05{n}".encode() in head for n in (2, 3, 4)
        )

    def parse(self, data: bytes) -> list[Statement]:
        """Read every Stmt, Rpt and Ntfctn of every Document in the file."""
        return [st for document in _documents(data) for st in _read_document(document)]


def _documents(data: bytes) -> list[bytes]:
    """Split a file into its ``Document`` messages (usually one; some exports concatenate)."""
    parts, start = [], 0
    for end in _DOCUMENT_END.finditer(data):
        parts.append(data[start:end.end()])
        start = end.end()
    if data[start:].strip() or not parts:
        parts.append(data[start:])
    return parts


def _read_document(data: bytes) -> list[Statement]:
    try:
        root = etree.fromstring(data.strip(), _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise StatementError(f"not well-formed XML: {exc}", record="camt") from None
    message = next((c for c in root if isinstance(c.tag, str)), None)
    if _local(root) != "Document" or message is None:
        raise StatementError("no Document with a message inside", record=_local(root))
    found = [c for c in message if _local(c) in _CONTAINERS]
    if not found:
        raise StatementError("no Stmt, Rpt or Ntfctn", record=_record(message))
    return [_statement(c, _CONTAINERS[_local(c)]) for c in found]


CAMT = CamtFormat()
"""The shared instance; the format holds no state."""
