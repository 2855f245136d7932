"""What a user's correction teaches about a vendor's next documents.

Correcting a field of a document records, for that vendor, the label printed before
the right value (the words earlier in its cell, the cell to its left, or the cell
above it); the vendor's next documents try that label first. Correcting the vendor's
name records the name itself, found again by the vendor's tax id or IBAN.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledgerbridge.intake.extract.layout import Page
from ledgerbridge.intake.extract.values import fold

__all__ = ["label_before", "vendor_keys"]

def vendor_keys(values: Mapping[str, object]) -> list[str]:
    """Keys a vendor's hints are kept under, strongest first: tax id, IBAN, folded name.

    ``values`` maps field names to the values read (or corrected) on a document.
    """
    name = values.get("vendor")
    keys = [values.get("vendor_tax_id"), values.get("iban"), fold(str(name)) if name else None]
    return [str(key) for key in keys if key]


def label_before(pages: list[Page], value: str) -> str | None:
    """The folded label printed before ``value`` on the document, if it is printed."""
    wanted = fold(value)
    lines = [line for page in pages for line in page.lines]
    for i, line in enumerate(lines):
        for j, cell in enumerate(line.cells):
            text = fold(cell.text)
            at = text.find(wanted)
            if at < 0:
                continue
            before = text[:at].strip(" :#.-")
            if before:
                return before
            if j > 0:
                return fold(line.cells[j - 1].text).strip(" :#.-") or None
            above = [c for c in (lines[i - 1].cells if i else ())
                     if c.x0 <= cell.x1 and c.x1 >= cell.x0]
            return fold(above[0].text).strip(" :#.-") or None if above else None
    return None
