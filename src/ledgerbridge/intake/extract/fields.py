"""Reading an invoice's fields from its laid-out words, with a confidence per field.

No template per vendor: a field's value is found next to one of its labels (after it
in the same cell, in the next cell of the line, or below it in the same column), and
amounts are chosen together so that net + VAT = total, since a reading that adds up
is far likelier right than one that does not. Each field's confidence says how it was
found: a specific label and a consistent sum score high, a guess from position low.
Hints remembered from a user's corrections for the same vendor are tried first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import product
from typing import Any

from ledgerbridge.intake.extract.labels import (
    BUYER,
    CREDIT_WORDS,
    HEADER_WORDS,
    TITLES,
    label_of,
)
from ledgerbridge.intake.extract.layout import Cell, Line, Page
from ledgerbridge.intake.extract.values import (
    amounts_in,
    currency_in,
    dates_in,
    fold,
    ibans_in,
    vat_ids_in,
)

__all__ = ["VENDOR_NAME", "Extraction", "Field", "ItemLine", "TaxLine", "read_fields"]

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/._]*\d[A-Za-z0-9\-/._]*|\d+")
_PERCENT = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%")
_LEGAL = re.compile(r"(?<!\w)(gmbh|ag|kg|ug|ltd|limited|inc|llc|llp|plc|corp|co|sarl|sas|sa|"
                    r"s\.a|sl|s\.l|bv|b\.v|nv|n\.v|srl|s\.r\.l|spa|s\.p\.a|oy|ab|a/s|aps|gbr|"
                    r"e\.k|pty)\.?(?!\w)", re.IGNORECASE)
_TERMS = re.compile(r"(?:net\s*|within\s+|innerhalb\s+(?:von\s+)?|a\s+|sous\s+|dentro\s+de\s+|"
                    r"binnen\s+|entro\s+)?(\d{1,3})\s*(?:days|day|tage|tagen|jours|dias|"
                    r"dagen|giorni)|\bnet\s*(\d{1,3})\b", re.IGNORECASE)

VENDOR_NAME = "vendor_name"
"""The hint holding a vendor's corrected name (other hints are labels, by field)."""

SAME_CELL, NEXT_CELL, BELOW = 1.0, 0.95, 0.85
"""How much a value's position next to its label is trusted."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field's value, how sure we are of it (0-1), and the text it was read from."""

    value: Any
    confidence: float
    source: str = ""


@dataclass(frozen=True, slots=True)
class TaxLine:
    """A VAT line: its rate, the amount it is charged on (when printed) and the tax."""

    rate: Decimal
    basis: Decimal | None
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ItemLine:
    """A line item: description, quantity, unit price (when printed) and net amount."""

    description: str
    quantity: Decimal
    unit_price: Decimal | None
    amount: Decimal
    rate: Decimal | None = None


@dataclass(slots=True)
class Extraction:
    """What was read from one document; ``fields`` maps a field name to its Field."""

    fields: dict[str, Field] = field(default_factory=dict)
    tax_lines: tuple[TaxLine, ...] = ()
    items: tuple[ItemLine, ...] = ()
    credit: bool = False
    text: str = ""

    def value(self, name: str) -> Any:
        """The value read for ``name``, or None."""
        found = self.fields.get(name)
        return found.value if found else None


@dataclass(frozen=True, slots=True)
class _Labelled:
    field: str
    line: int
    cell: int
    rest: str
    weight: float


class _Document:
    """The lines of all pages in reading order, with the labels found in them."""

    def __init__(self, pages: list[Page], hints: Mapping[str, str]) -> None:
        self.lines: list[Line] = [line for page in pages for line in page.lines]
        self.width = max((page.width for page in pages), default=600.0)
        self.labelled: list[_Labelled] = []
        for i, line in enumerate(self.lines):
            for j, cell in enumerate(line.cells):
                found = self._label(cell, hints)
                if found is not None:
                    self.labelled.append(_Labelled(found[0], i, j, found[1], found[2]))

    @staticmethod
    def _label(cell: Cell, hints: Mapping[str, str]) -> tuple[str, str, float] | None:
        folded = fold(cell.text)
        for name, hint in hints.items():
            if name != VENDOR_NAME and hint and folded.startswith(hint):
                return name, " ".join(cell.text.split()[len(hint.split()):]), 1.0
        found = label_of(folded)
        if found is None:
            return None
        name, label, words = found
        rest = " ".join(cell.text.split()[words:]).lstrip(":#.- ")
        generic = label in ("date", "datum", "data", "fecha", "total", "net", "invoice",
                            "facture", "factura", "rechnung", "factuur", "fattura", "po")
        return name, rest, 0.8 if generic else 0.95

    def values(self, name: str, parse: Callable[[str], Any]) -> Iterator[tuple[Any, float, str]]:
        """Values a parser accepts next to each label of field ``name``, with scores."""
        for found in self.labelled:
            if found.field != name:
                continue
            line = self.lines[found.line]
            value = parse(found.rest) if found.rest else None
            if value is not None:
                yield value, found.weight * SAME_CELL, line.cells[found.cell].text
                continue
            if found.cell + 1 < len(line.cells):
                right = line.cells[found.cell + 1]
                value = parse(right.text)
                if value is not None and label_of(fold(right.text)) is None:
                    yield value, found.weight * NEXT_CELL, right.text
                    continue
            below = self._below(found, parse)
            if below is not None:
                yield below[0], found.weight * BELOW, below[1]

    def _below(self, found: _Labelled, parse: Callable[[str], Any]) -> tuple[Any, str] | None:
        label = self.lines[found.line].cells[found.cell]
        for line in self.lines[found.line + 1:found.line + 4]:
            for cell in line.cells:
                if cell.x1 >= label.x0 - 4 and cell.x0 <= label.x1 + 4:
                    value = parse(cell.text)
                    if value is not None and label_of(fold(cell.text)) is None:
                        return value, cell.text
        return None


def read_fields(pages: list[Page], *, known_currencies: frozenset[str],
                hints: Mapping[str, str] | None = None) -> Extraction:
    """Every field we read from ``pages``; ``hints`` maps a field to a label to try first."""
    doc = _Document(pages, hints or {})
    text = "\n".join(line.text for line in doc.lines)
    folded = fold(text)
    currency = _currency(text, known_currencies)
    day_first = not (currency.value == "USD" and "$" in text)
    out = Extraction(text=text, credit=any(word in folded for word in CREDIT_WORDS))
    out.fields["currency"] = currency

    def best(name: str, parse: Callable[[str], Any]) -> Field | None:
        found = sorted(doc.values(name, parse), key=lambda v: -v[1])
        return Field(found[0][0], found[0][1], found[0][2]) if found else None

    def one_date(text: str) -> dt.date | None:
        dates = dates_in(text, day_first=day_first)
        return dates[0] if dates else None

    def one_amount(text: str) -> Decimal | None:
        amounts = amounts_in(text)
        return amounts[-1] if amounts else None

    for name, parse in (("number", _identifier), ("order", _identifier),
                        ("issue_date", one_date), ("due_date", one_date)):
        found = best(name, parse)
        if found is not None:
            out.fields[name] = found
    if "issue_date" not in out.fields:
        top = [d for line in doc.lines[:len(doc.lines) // 3 + 1]
               for d in dates_in(line.text, day_first=day_first)]
        if top:
            out.fields["issue_date"] = Field(top[0], 0.5, "first date on the page")
    _due_from_terms(out, folded)
    buyer_cells = _buyer_cells(doc)
    _seller(out, doc, buyer_cells, hints or {})
    ibans = ibans_in(text)
    if ibans:
        out.fields["iban"] = Field(ibans[0], 0.95, ibans[0])
    out.tax_lines = _tax_lines(doc)
    out.items = _items(doc)
    _amounts(out, doc, one_amount)
    return out


def _identifier(text: str) -> str | None:
    text = text.strip().lstrip(":#.- ")
    match = _IDENTIFIER.match(text)
    if match is None or dates_in(match[0]):
        return None
    return match[0].rstrip(".")


def _currency(text: str, known: frozenset[str]) -> Field:
    codes = Counter(code for code in re.findall(r"(?<![A-Z])[A-Z]{3}(?![A-Z])", text)
                    if code in known and code not in ("VAT", "TVA", "IVA", "BTW"))
    if codes:
        code, count = codes.most_common(1)[0]
        return Field(code, 0.95 if count > 1 or len(codes) == 1 else 0.7, code)
    symbol = currency_in(text)
    if symbol is not None:
        return Field(symbol, 0.85, symbol)
    return Field(None, 0.0, "no currency printed")


def _due_from_terms(out: Extraction, folded: str) -> None:
    issue = out.value("issue_date")
    if "due_date" in out.fields or issue is None:
        return
    match = _TERMS.search(folded)
    if match:
        days = int(match[1] or match[2])
        out.fields["due_date"] = Field(issue + dt.timedelta(days=days), 0.7, match[0])


def _buyer_cells(doc: _Document) -> set[tuple[int, int]]:
    """Cells in the buyer's block: under a buyer label, in its column, for a few lines."""
    inside: set[tuple[int, int]] = set()
    for i, line in enumerate(doc.lines):
        for j, cell in enumerate(line.cells):
            if not fold(cell.text).startswith(BUYER):
                continue
            inside.add((i, j))
            for k, below in enumerate(doc.lines[i + 1:i + 7], start=i + 1):
                for m, other in enumerate(below.cells):
                    if abs(other.x0 - cell.x0) < 40 or (other.x0 < cell.x1 and other.x1 > cell.x0):
                        inside.add((k, m))
    return inside


def _seller(out: Extraction, doc: _Document, buyer: set[tuple[int, int]],
            hints: Mapping[str, str]) -> None:
    ids = [(vat, (i, j)) for i, line in enumerate(doc.lines)
           for j, cell in enumerate(line.cells) for vat in vat_ids_in(cell.text)]
    sellers = list(dict.fromkeys(vat for vat, at in ids if at not in buyer))
    if sellers:
        out.fields["vendor_tax_id"] = Field(sellers[0], 0.9 if len(sellers) == 1 else 0.6,
                                            sellers[0])
    if hints.get(VENDOR_NAME):
        out.fields["vendor"] = Field(hints[VENDOR_NAME], 0.99, "remembered for this vendor")
        return
    candidates: list[tuple[float, str]] = []
    top_lines = doc.lines[:max(8, len(doc.lines) // 4)]
    sizes = [cell.size for line in top_lines for cell in line.cells] or [1.0]
    largest = max(sizes)
    for i, line in enumerate(doc.lines):
        for j, cell in enumerate(line.cells):
            text = cell.text.strip(" ,:")
            folded = fold(text)
            if ((i, j) in buyer or len(text) < 2 or not re.search(r"[A-Za-z]{2}", text)
                    or folded in TITLES or label_of(folded) is not None
                    or folded.startswith(TITLES + BUYER) or re.search(r"\d{3}", text)
                    or "@" in text or "www." in folded):
                continue
            score = 0.0
            if _LEGAL.search(text):
                score += 0.5
            if i < len(top_lines):
                score += 0.25 + 0.25 * (cell.size / largest)
            if score >= 0.4:
                candidates.append((min(score, 0.95), text))
    if candidates:
        score, name = max(candidates, key=lambda c: c[0])
        out.fields["vendor"] = Field(_LEGAL_TAIL.sub("", name).strip() or name, score, name)


_LEGAL_TAIL = re.compile(r"\s*[-–|].*$")


def _tax_lines(doc: _Document) -> tuple[TaxLine, ...]:
    """VAT lines: a rate with a basis and a tax that agree, or a tax label, rate, amount."""
    found: dict[tuple[Decimal, Decimal | None, Decimal], None] = {}
    for line in doc.lines:
        text = line.text
        rates = [Decimal(r.replace(",", ".")) for r in _PERCENT.findall(text)]
        if not rates:
            continue
        rate = rates[-1]
        amounts = amounts_in(_PERCENT.sub(" ", text))
        pair = next(((b, t) for b, t in zip(amounts, amounts[1:], strict=False)
                     if abs(b * rate / 100 - t) <= Decimal("0.01")), None)
        folded = fold(text)
        taxy = re.search(r"\b(vat|tax|tva|mwst|ust|iva|btw|gst|hst|umsatzsteuer|"
                         r"mehrwertsteuer|sales tax)\b", folded)
        if pair is not None and (taxy or len(amounts) <= 3) and pair[0] != 0:
            found[(rate, pair[0], pair[1])] = None
        elif taxy and amounts and label_of(folded) is None and len(amounts) == 1:
            found[(rate, None, amounts[0])] = None
    return tuple(TaxLine(rate, basis, amount) for rate, basis, amount in found)


def _items(doc: _Document) -> tuple[ItemLine, ...]:
    """Line items: rows under a table header, up to the totals."""
    items: list[ItemLine] = []
    in_table = False
    for line in doc.lines:
        folded = fold(line.text)
        words = sum(1 for word in HEADER_WORDS if re.search(rf"\b{re.escape(word)}\b", folded))
        if words >= 2 and not amounts_in(line.text):
            in_table = True
            continue
        if not in_table:
            continue
        first = label_of(fold(line.cells[0].text))
        if first is not None and first[0] in ("net", "total", "tax_total"):
            in_table = False
            continue
        item = _item(line)
        if item is not None:
            items.append(item)
    return tuple(items)


def _item(line: Line) -> ItemLine | None:
    description = line.cells[0].text
    if not re.search(r"[A-Za-z]{2}", description):
        return None
    amounts = amounts_in(_PERCENT.sub(" ", "   ".join(c.text for c in line.cells[1:])))
    if not amounts:
        return None
    rates = _PERCENT.findall(line.text)
    rate = Decimal(rates[-1].replace(",", ".")) if rates else None
    amount = amounts[-1]
    for quantity, price in product(amounts[:-1], amounts[:-1]):
        if quantity is not price and abs(quantity * price - amount) <= Decimal("0.01"):
            return ItemLine(description, quantity, price, amount, rate)
    return ItemLine(description, Decimal(1), None, amount, rate)


def _amounts(out: Extraction, doc: _Document,
             one_amount: Callable[[str], Decimal | None]) -> None:
    """Net, tax and total chosen together: the combination that adds up wins."""
    totals = list(doc.values("total", one_amount))
    nets = list(doc.values("net", one_amount))
    tax_labelled = list(doc.values("tax_total", one_amount))
    tax_sum = sum((t.amount for t in out.tax_lines), Decimal(0))
    item_sum = sum((i.amount for i in out.items), Decimal(0))
    if out.items:
        nets.append((item_sum, 0.6, "sum of the line items"))
    if out.tax_lines and all(t.basis is not None for t in out.tax_lines):
        nets.append((sum((t.basis or Decimal(0) for t in out.tax_lines), Decimal(0)), 0.6,
                     "sum of the VAT bases"))
    taxes = [(tax_sum, 0.8, "sum of the VAT lines")] if out.tax_lines else []
    taxes += tax_labelled or [(Decimal(0), 0.5, "no VAT printed")]
    best: tuple[float, tuple[Any, ...]] | None = None
    for total, net, tax in product(totals, nets or [(None, 0.0, "")], taxes):
        adds_up = net[0] is not None and net[0] + tax[0] == total[0]
        score = total[1] + (net[1] + tax[1] + 1.0 if adds_up else 0.0)
        if best is None or score > best[0]:
            best = (score, (total, net, tax, adds_up))
    if best is None:
        return
    total, net, tax, adds_up = best[1]
    bonus = 0.05 if adds_up else -0.3
    out.fields["total"] = Field(total[0], _clip(total[1] + bonus), total[2])
    if adds_up:
        out.fields["net"] = Field(net[0], _clip(net[1] + 0.25), net[2])
        out.fields["tax_total"] = Field(tax[0], _clip(tax[1] + 0.15), tax[2])
    elif not out.tax_lines and not tax_labelled:
        out.fields["net"] = Field(total[0], 0.5, "no VAT printed: net is the total")
        out.fields["tax_total"] = Field(Decimal(0), 0.5, "no VAT printed")


def _clip(score: float) -> float:
    return max(0.0, min(score, 0.99))
