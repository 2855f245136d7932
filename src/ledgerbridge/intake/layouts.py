"""The laid-out words of read documents, kept by file hash so reading again needs no OCR.

OCR of a scanned page takes seconds; the fields are read from its laid-out words in
milliseconds. The words of a text PDF or scan are stored when the file is first read
(``document_layouts``, keyed by entity and SHA-256), and a correction reads the
fields again from them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Connection, select

from ledgerbridge.intake.extract.layout import Cell, Line, Page
from ledgerbridge.store.bulk import insert_ignoring_conflicts
from ledgerbridge.store.tables import document_layouts

__all__ = ["load_layout", "pages_from_json", "pages_json", "save_layout"]


def pages_json(pages: Sequence[Page]) -> str:
    """Pages as compact JSON: per page its number, width and lines of cells."""
    return json.dumps([
        {"n": p.number, "w": p.width, "lines": [
            {"top": ln.top, "page": ln.page,
             "cells": [[c.text, c.x0, c.x1, c.top, c.size] for c in ln.cells]}
            for ln in p.lines]}
        for p in pages], separators=(",", ":"))


def pages_from_json(text: str) -> list[Page]:
    """The pages ``pages_json`` wrote."""
    return [Page(p["n"], p["w"], tuple(
        Line(tuple(Cell(*cell) for cell in ln["cells"]), ln["top"], ln["page"])
        for ln in p["lines"])) for p in json.loads(text)]


def load_layout(conn: Connection, entity_id: int, sha256: str) -> list[Page] | None:
    """The stored pages of the file with this hash, or None when none are stored."""
    text = conn.execute(select(document_layouts.c.pages).where(
        document_layouts.c.entity_id == entity_id,
        document_layouts.c.sha256 == sha256)).scalar()
    return pages_from_json(text) if text is not None else None


def save_layout(conn: Connection, entity_id: int, sha256: str, pages: Sequence[Page]) -> None:
    """Keep the pages of the file with this hash (the first stored stays)."""
    insert_ignoring_conflicts(conn, document_layouts, {
        "entity_id": entity_id, "sha256": sha256, "pages": pages_json(pages)})
