"""Correction benchmark: ``documents correct`` on scans, with and without stored layouts.

Generates one-page invoices (``ledgerbridge.sandbox.invoice_pdfs``), rasterizes each
at 200 dpi to a PNG "scan", adds the scans to a document store (SQLite in a temporary
directory), then corrects one field of each twice: once as before this change, with
the stored laid-out words removed first so the correction runs OCR again (the
baseline), and once reading the fields from the words stored when the scan was added.
Prints the median seconds per correction of each and their ratio, and checks that
both readings give the same fields.

    python bench/correction_bench.py [--n 6] [--seed 7]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pdfplumber
from sqlalchemy import delete

from ledgerbridge.intake import IntakeStore
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.sandbox.invoice_pdfs import invoice_pdf, random_invoices
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.store.tables import document_layouts


def _scan(pdf: bytes) -> bytes:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        image = doc.pages[0].to_image(resolution=200).original
    png = io.BytesIO()
    image.save(png, format="PNG")
    return png.getvalue()


def _timed(store: IntakeStore, document_id: int, value: str) -> tuple[float, str | None]:
    start = time.perf_counter()
    corrected = store.correct(document_id, {"number": value})
    return time.perf_counter() - start, corrected.fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("tesseract") is None:
        raise SystemExit("tesseract is not installed (make system-deps)")
    specs = [s for s in random_invoices(args.n * 3, args.seed) if len(s.items) <= 8][:args.n]
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        ledger = Ledger.create(engine, name="Bench Co", currency="EUR", chart=standard_chart())
        store = IntakeStore(ledger)
        start = time.perf_counter()
        added = [store.add(_scan(invoice_pdf(spec)), f"scan-{i}.png").document
                 for i, spec in enumerate(specs)]
        adding = (time.perf_counter() - start) / len(added)
        before, after, same = [], [], 0
        for doc in added:
            with engine.begin() as conn:  # as before: nothing stored, OCR again
                conn.execute(delete(document_layouts).where(
                    document_layouts.c.sha256 == doc.sha256))
            seconds, ocr_fields = _timed(store, doc.id, "FIX-1")
            before.append(seconds)
            seconds, kept_fields = _timed(store, doc.id, "FIX-1")
            after.append(seconds)
            same += ocr_fields == kept_fields
        engine.dispose()
    old, new = statistics.median(before), statistics.median(after)
    print(f"{len(added)} scans, adding (OCR once): {adding:.2f} s each")
    print(f"correct, OCR again (baseline): median {old:.3f} s")
    print(f"correct, stored layout:        median {new:.3f} s")
    print(f"ratio: {old / new:.1f}x faster; same fields read: {same}/{len(added)}")


if __name__ == "__main__":
    main()
