"""Field gaps: which fields of a document an adapter cannot carry, found in a request.

Each adapter declares its gaps as data (:class:`~ledgerbridge.unified.model.FieldGap`
per document type). A write names the gaps its document actually uses; the adapter
then refuses it, or, when the caller accepts the loss, carries out the rest and
reports the gaps in the answer. Nothing is dropped without saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ledgerbridge.documents import Document
from ledgerbridge.unified.errors import BadRequest, Unsupported
from ledgerbridge.unified.model import FieldGap, document_type

__all__ = ["admit", "check_gaps", "gap", "used_gaps"]


def gap(field: str, reason: str) -> FieldGap:
    """A declared gap (shorthand for the adapters' tables)."""
    return FieldGap(field=field, reason=reason)


def _present(value: Any, parts: list[str]) -> bool:
    if not parts:
        return value not in (None, "", [], {}, ())
    head, rest = parts[0], parts[1:]
    if head == "*":
        return isinstance(value, list) and any(_present(item, rest) for item in value)
    if head.isdigit():
        return isinstance(value, list) and len(value) > int(head) and \
            _present(value[int(head)], rest)
    return isinstance(value, dict) and _present(value.get(head), rest)


def used_gaps(document: Document, gaps: Iterable[FieldGap]) -> tuple[FieldGap, ...]:
    """The gaps whose field ``document`` sets to something other than its default."""
    data = document.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    return tuple(gap for gap in gaps if _present(data, gap.field.split(".")))


def _names(gaps: Iterable[FieldGap]) -> Iterator[str]:
    for gap in gaps:
        yield f"{gap.field} ({gap.reason})"


def check_gaps(document: Document, gaps: Iterable[FieldGap], *, adapter: str,
               accept: bool) -> tuple[FieldGap, ...]:
    """The gaps ``document`` uses; Unsupported unless the caller ``accept``-s losing them."""
    used = used_gaps(document, gaps)
    if used and not accept:
        record = f"{document.type} {document.source.external_id}"
        raise Unsupported(
            f"{record}: {adapter} cannot carry " + "; ".join(_names(used))
            + ". Remove these fields, or send the write with accept_gaps=true to carry out "
            "the rest and have them reported", unsupported_fields=[g.model_dump() for g in used])
    return used


def admit(kind: str, document: Document, *, writable: tuple[str, ...],
          gaps: dict[str, tuple[FieldGap, ...]], adapter: str, accept: bool
          ) -> tuple[FieldGap, ...]:
    """Check a write to a package: a writable kind, a document of it, gaps accepted.

    Returns the gaps the document uses (to report on the written record).
    """
    if kind not in writable:
        raise BadRequest(f"{kind} cannot be written to {adapter} through this API; writable "
                         f"kinds: {', '.join(writable)}")
    if document.type != document_type(kind):
        raise BadRequest(f"a {document.type} is not one of the {kind}")
    return check_gaps(document, gaps.get(document.type, ()), adapter=adapter, accept=accept)
