"""Extraction benchmark: field-level precision and recall on invoices of many layouts.

Generates N supplier invoices as PDFs (six locales, three layouts, one or two VAT
rates, multi-page ones, credit notes, payment terms instead of a due date, buyer
blocks with their own VAT ids; ``ledgerbridge.sandbox.invoice_pdfs``) and reads each
with the text extractor, no template per vendor. Reports, per field, precision (of
the values read, how many are right) and recall (of the values printed, how many
were read right), and how many fields read with confidence >= the review threshold
are right; line items; the same for one-page invoices rasterized and read by OCR.
Also reads the real Factur-X sample's visible text and compares it with its embedded
XML, and reads every structured sample exactly. The baseline in the same run is
pdfplumber's plain text extraction alone, the floor under our time.

    python bench/extraction_bench.py [--n 60] [--seed 7] [--scans 12]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import time
from collections import Counter
from pathlib import Path

import pdfplumber

from ledgerbridge.intake.einvoice import read_einvoice
from ledgerbridge.intake.extract import REVIEW_BELOW, extract
from ledgerbridge.sandbox.invoice_pdfs import invoice_pdf, random_invoices

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs" / "einvoice"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scans", type=int, default=12, help="how many to OCR as scans")
    args = parser.parse_args()
    specs = random_invoices(args.n, args.seed)
    files = [invoice_pdf(spec) for spec in specs]
    read, right, printed, sure, sure_right = Counter(), Counter(), Counter(), Counter(), Counter()
    ours, plain = [], []
    misses: list[str] = []
    items_right = 0
    for spec, content in zip(specs, files, strict=True):
        start = time.perf_counter()
        with pdfplumber.open(io.BytesIO(content)) as pdf:
            "".join(page.extract_text() or "" for page in pdf.pages)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = extract(content)
        ours.append(time.perf_counter() - start)
        items_right += [i.amount for i in result.items] == [i.amount for i in spec.items]
        for name, expected in spec.truth().items():
            printed[name] += 1
            found = result.fields.get(name)
            if found is None or found.value is None:
                misses.append(f"{spec.locale}/{spec.layout} {name}: not read (want {expected})")
                continue
            read[name] += 1
            ok = found.value == expected
            right[name] += ok
            if found.confidence >= REVIEW_BELOW:
                sure[name] += 1
                sure_right[name] += ok
            if not ok:
                misses.append(f"{spec.locale}/{spec.layout} {name}: {found.value!r} "
                              f"(want {expected!r}, conf {found.confidence:.2f})")
    print(f"{args.n} generated invoices, {sum(len(s.items) for s in specs)} lines, "
          f"{sum(1 for s in specs if len(s.items) > 25)} multi-page")
    print(f"{'field':15} {'precision':>9} {'recall':>7} {'sure':>5} {'sure-right':>10}")
    for name in printed:
        print(f"{name:15} {right[name] / max(read[name], 1):9.1%} "
              f"{right[name] / printed[name]:7.1%} {sure[name]:5d} "
              f"{sure_right[name] / max(sure[name], 1):10.1%}")
    total_right, total_printed = sum(right.values()), sum(printed.values())
    print(f"all fields: {total_right}/{total_printed} right ({total_right / total_printed:.1%}),"
          f" precision {total_right / max(sum(read.values()), 1):.1%}; of those read with "
          f"confidence >= {REVIEW_BELOW}: {sum(sure_right.values())}/{sum(sure.values())} right")
    print(f"time per PDF: ours median {statistics.median(ours) * 1000:.0f} ms, max "
          f"{max(ours) * 1000:.0f} ms; pdfplumber text alone median "
          f"{statistics.median(plain) * 1000:.0f} ms; ratio "
          f"{statistics.median(ours) / statistics.median(plain):.2f}x")
    print(f"line items: {items_right}/{len(specs)} invoices with every line read right")
    _scans(specs, files, args.scans)
    _real_sample()
    for line in misses[:25]:
        print("  miss:", line)


def _scans(specs: list, files: list[bytes], count: int) -> None:
    """One-page invoices rasterized at 200 dpi and read back by OCR."""
    if shutil.which("tesseract") is None or count == 0:
        print("scans: skipped (tesseract is not installed)")
        return
    right = printed = 0
    times = []
    chosen = [(s, f) for s, f in zip(specs, files, strict=True) if len(s.items) <= 8][:count]
    for spec, content in chosen:
        with pdfplumber.open(io.BytesIO(content)) as pdf:
            image = pdf.pages[0].to_image(resolution=200).original
        png = io.BytesIO()
        image.save(png, format="PNG")
        start = time.perf_counter()
        result = extract(png.getvalue())
        times.append(time.perf_counter() - start)
        for name, expected in spec.truth().items():
            printed += 1
            right += result.value(name) == expected
    print(f"scans (OCR, 200 dpi): {right}/{printed} fields right ({right / printed:.1%}) on "
          f"{len(chosen)} invoices, median {statistics.median(times):.2f} s per page")


def _real_sample() -> None:
    """The Factur-X sample read as a plain PDF, checked against its own embedded XML."""
    path = SPECS / "factur-x" / "invoice_EN16931.pdf"
    if not path.exists():
        return
    content = path.read_bytes()
    xml = read_einvoice(content)
    result = extract(content)
    want = {"number": xml.number, "issue_date": xml.issue_date, "due_date": xml.due_date,
            "currency": xml.currency, "vendor_tax_id": xml.seller.vat_id,
            "net": xml.totals.tax_basis, "tax_total": xml.totals.tax_total,
            "total": xml.totals.grand_total, "order": xml.order_reference,
            "iban": xml.ibans[0].replace(" ", "") if xml.ibans else None}
    good = [name for name, value in want.items() if result.value(name) == value]
    print(f"real Factur-X PDF read as text: {len(good)}/{len(want)} fields equal its XML "
          f"(wrong or missing: {sorted(set(want) - set(good))})")
    structured = sorted(p for p in SPECS.rglob("*") if p.suffix.lower() in (".xml", ".pdf"))
    exact = sum(1 for p in structured if _reads(p))
    print(f"structured samples read exactly: {exact}/{len(structured)}")


def _reads(path: Path) -> bool:
    try:
        read_einvoice(path.read_bytes())
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    main()
