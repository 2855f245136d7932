"""The one interface every accounting system is reached through."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Protocol, runtime_checkable

from ledgerbridge.documents import Document
from ledgerbridge.unified.model import FieldGap, Page, Record

__all__ = ["AccountingAdapter"]


@runtime_checkable
class AccountingAdapter(Protocol):
    """List, read, create and update records of one system in the canonical shapes.

    ``kinds`` are the API kinds the adapter serves; ``gaps`` are, per document type,
    the fields it cannot carry. ``create`` and ``update`` refuse a document that uses
    a gap unless ``accept_gaps`` is true, and then report the gaps on the record.
    ``update`` takes the ``version`` the caller read and refuses a stale one.
    """

    system: ClassVar[str]
    connection: str
    kinds: tuple[str, ...]
    gaps: dict[str, tuple[FieldGap, ...]]

    def list(self, kind: str, *, updated_since: dt.datetime | None = None,
             cursor: str | None = None, limit: int = 100) -> Page:
        """Records of ``kind`` changed at or after ``updated_since``, oldest change first."""

    def get(self, kind: str, record_id: str) -> Record:
        """One record by its id."""

    def create(self, kind: str, document: Document, *, accept_gaps: bool = False) -> Record:
        """Create a record from a canonical document."""

    def update(self, kind: str, record_id: str, document: Document, *, version: str,
               accept_gaps: bool = False) -> Record:
        """Replace a record's content; ``version`` must be the current one."""
