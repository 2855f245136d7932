"""The printed words of a document, with where they stand, grouped into lines and cells.

A text PDF gives its words through pdfplumber; a scan or photo (or a PDF without a
text layer) gives them through tesseract OCR. Either way a page becomes lines (words
sharing a baseline) and each line becomes cells, split where the gap between two
words is wide: a two-column header ("Seller ... | Bill to ...") or a totals row
("Total ......... 104,90") keeps its parts apart.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Cell", "Line", "NoText", "Page", "from_image", "from_pdf"]

CELL_GAP = 2.2
"""A gap wider than this many average character widths starts a new cell."""

OCR_DPI = 300


class NoText(ValueError):
    """A document whose words cannot be read; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Word:
    """One printed word and its box (points from the page's top left)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True, slots=True)
class Cell:
    """Words of one line standing together."""

    text: str
    x0: float
    x1: float
    top: float
    size: float


@dataclass(frozen=True, slots=True)
class Line:
    """Cells sharing a baseline, left to right."""

    cells: tuple[Cell, ...]
    top: float
    page: int

    @property
    def text(self) -> str:
        """The line's words, cells joined by a wide gap."""
        return "   ".join(cell.text for cell in self.cells)


@dataclass(frozen=True, slots=True)
class Page:
    """The lines of one page, top to bottom."""

    number: int
    width: float
    lines: tuple[Line, ...]


def from_pdf(content: bytes, *, ocr_language: str = "eng") -> list[Page]:
    """The pages of a PDF: its text layer, or OCR of its pictures when it has none."""
    import pdfplumber  # noqa: PLC0415 - only text PDFs need it

    pages: list[Page] = []
    try:
        with pdfplumber.open(io.BytesIO(content)) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                words = [Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"],
                              w.get("size") or (w["bottom"] - w["top"]))
                         for w in page.extract_words(extra_attrs=["size"], use_text_flow=False)]
                if not words:
                    image = page.to_image(resolution=OCR_DPI).original
                    words = _ocr_words(image, ocr_language, scale=72 / OCR_DPI)
                pages.append(Page(number, float(page.width), _lines(words, number)))
    except NoText:
        raise
    except Exception as exc:  # pdfminer raises many types on damaged files
        raise NoText(f"cannot read the PDF: {exc}") from None
    if not any(page.lines for page in pages):
        raise NoText("the PDF has no readable text")
    return pages


def from_image(content: bytes, *, ocr_language: str = "eng") -> list[Page]:
    """The one page of a scanned or photographed document, read by OCR."""
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    try:
        image = Image.open(io.BytesIO(content))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise NoText(f"not an image that can be read: {exc}") from None
    words = _ocr_words(image, ocr_language, scale=1.0)
    if not words:
        raise NoText("OCR found no text in the image")
    return [Page(1, float(image.width), _lines(words, 1))]


def _ocr_words(image: object, language: str, *, scale: float) -> list[Word]:
    if shutil.which("tesseract") is None:
        raise NoText("reading scans needs tesseract OCR, which is not installed "
                     "(apt-get install tesseract-ocr, or `make system-deps`); "
                     "the document waits for review")
    import pytesseract  # noqa: PLC0415

    data = pytesseract.image_to_data(image, lang=_available(language),
                                     output_type=pytesseract.Output.DICT)
    words = []
    for text, left, top, width, height, conf in zip(
            data["text"], data["left"], data["top"], data["width"], data["height"],
            data["conf"], strict=True):
        if text.strip() and float(conf) >= 0:
            words.append(Word(text.strip(), left * scale, (left + width) * scale, top * scale,
                              (top + height) * scale, height * scale))
    return words


def _available(language: str) -> str:
    import pytesseract  # noqa: PLC0415

    installed = set(pytesseract.get_languages(config=""))
    wanted = [lang for lang in language.split("+") if lang in installed]
    return "+".join(wanted) or "eng"


def _lines(words: Iterable[Word], page: int) -> tuple[Line, ...]:
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.bottom, w.x0)):
        if rows and abs(rows[-1][-1].bottom - word.bottom) <= max(2.0, word.size * 0.3):
            rows[-1].append(word)
        else:
            rows.append([word])
    return tuple(Line(_cells(sorted(row, key=lambda w: w.x0)), min(w.top for w in row), page)
                 for row in rows)


def _cells(words: list[Word]) -> tuple[Cell, ...]:
    groups: list[list[Word]] = [[words[0]]]
    for previous, word in zip(words, words[1:], strict=False):
        char_width = (previous.x1 - previous.x0) / max(len(previous.text), 1)
        if word.x0 - previous.x1 > CELL_GAP * max(char_width, previous.size * 0.35):
            groups.append([word])
        else:
            groups[-1].append(word)
    return tuple(Cell(" ".join(w.text for w in group), group[0].x0, group[-1].x1,
                      min(w.top for w in group), max(w.size for w in group))
                 for group in groups)
