"""Reading XML safely and exactly: no entities, no network, decimals and dates as written."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerbridge.intake.einvoice.model import EInvoiceError, Party

__all__ = ["Node", "Paths", "parse_xml", "read_party"]

Paths = str | tuple[str, ...]
"""Where a term is: one XPath, or several tried in order."""

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                          huge_tree=False)
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
CREDIT_TYPE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420",
                               "458", "532"})
"""UNTDID 1001 document types that credit the buyer (UBL and CII alike)."""


def parse_xml(content: bytes) -> etree._Element:
    """The root element of ``content``, or EInvoiceError when it is not well-formed XML."""
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise EInvoiceError(f"not well-formed XML: {exc}") from None


class Node:
    """An element plus the namespace prefixes its XPaths use."""

    __slots__ = ("element", "ns")

    def __init__(self, element: etree._Element, ns: dict[str, str]) -> None:
        self.element = element
        self.ns = ns

    def all(self, path: str) -> list[Node]:
        """Every element at ``path``."""
        return [Node(e, self.ns) for e in self.element.xpath(path, namespaces=self.ns)]

    def first(self, path: str) -> Node | None:
        """The first element at ``path``, if any."""
        found = self.element.xpath(path, namespaces=self.ns)
        return Node(found[0], self.ns) if found else None

    def text(self, paths: Paths) -> str | None:
        """The stripped text at the first of ``paths`` that has some; None when none has."""
        for path in (paths,) if isinstance(paths, str) else paths:
            found = self.element.xpath(path, namespaces=self.ns)
            value = (found[0] if isinstance(found[0], str) else found[0].text) if found else None
            if value and value.strip():
                return value.strip()
        return None

    def terms(self, texts: dict[str, Paths], decimals: dict[str, str]) -> dict[str, Any]:
        """Business terms by name: ``texts`` read as text, ``decimals`` as exact decimals."""
        return ({name: self.text(path) for name, path in texts.items()}
                | {name: self.decimal(path) for name, path in decimals.items()})

    def decimal(self, path: str) -> Decimal | None:
        """The decimal at ``path`` exactly as written; EInvoiceError when it is not one."""
        value = self.text(path)
        if value is None:
            return None
        if not _DECIMAL.match(value):
            raise EInvoiceError(f"{path}: {value!r} is not a decimal number")
        return Decimal(value)

    def date(self, path: str) -> dt.date | None:
        """A date at ``path``: ISO ``2024-01-31`` (UBL) or ``20240131`` (CII format 102)."""
        value = self.text(path)
        if value is None:
            return None
        for pattern in ("%Y-%m-%d", "%Y%m%d"):
            try:
                return dt.datetime.strptime(value, pattern).date()
            except ValueError:
                continue
        raise EInvoiceError(f"{path}: {value!r} is not a date (YYYY-MM-DD or YYYYMMDD)")


def read_party(node: Node | None, paths: dict[str, Paths]) -> Party:
    """A seller or buyer from its element, ``paths`` naming where each term is."""
    return Party(**node.terms(paths, {})) if node is not None else Party(name=None)
