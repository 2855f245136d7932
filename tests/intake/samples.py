"""The shared e-invoice samples and what each one is expected to give."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED

EINVOICES = SHARED / "specs" / "einvoice"

# Files that break booking rules, and exactly the rules they break.
FLAGGED = {
    # BASIC WL and MINIMUM carry no lines: not invoices that can be booked line by line.
    "factur-x/factur-x-basicwl.xml": {"BR-16"},
    "factur-x/factur-x-minimum.xml": {"BR-12", "BR-16", "BR-CO-18"},
    # ZUGFeRD 1.0 predates EN 16931: BASIC has no amount due, EXTENDED gives allowances as
    # negative amounts and freight as a logistics charge outside the allowance/charge terms.
    "factur-x/zugferd-basic.xml": {"BR-15"},
    "factur-x/zugferd-extended.xml": {"BR-24", "BR-CO-11", "BR-CO-12", "BR-S-08"},
    # Due dates before the issue date.
    "en16931/cii/CII_business_example_02.xml": {"LB-01"},
    "en16931/cii/XRechnung-O.xml": {"LB-01"},
}


def sample_files() -> list[str]:
    """Every sample e-invoice, relative to the samples folder (empty when absent)."""
    if not EINVOICES.is_dir():
        return []
    return sorted(str(p.relative_to(EINVOICES)) for p in EINVOICES.rglob("*")
                  if p.is_file() and p.suffix.lower() in (".xml", ".pdf"))


def sample(name: str) -> bytes:
    """The bytes of one sample; the test is skipped when the samples are absent."""
    path = EINVOICES / name
    if not path.is_file():
        pytest.skip(f"sample {path} is not available")
    return Path(path).read_bytes()


def approve_and_post(store, document_id: int, rules, *, allow_duplicate: bool = False,
                     **options) -> int:
    """Approve a document as "clerk" and post it; the journal entry id."""
    store.approve(document_id, "clerk", allow_duplicate=allow_duplicate)
    return store.post(document_id, rules, by="clerk", **options)
