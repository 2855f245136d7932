"""Every document type by name, and parsing any document from JSON or a dict."""

from __future__ import annotations

import json
from typing import Annotated, Any, get_args

from pydantic import Field, TypeAdapter, ValidationError

from ledgerbridge.documents.banking import BankTransaction
from ledgerbridge.documents.catalog import Item, TaxRate
from ledgerbridge.documents.common import Document
from ledgerbridge.documents.parties import Contact
from ledgerbridge.documents.payments import Dispute, Fee, Payment, Payout, Refund
from ledgerbridge.documents.payroll import PayrollAccrual, PayrollRemittance, PayrollRun
from ledgerbridge.documents.purchases import Bill, Expense
from ledgerbridge.documents.sales import CreditNote, Deal, Invoice, Order

__all__ = [
    "DOCUMENT_TYPES",
    "AnyDocument",
    "DocumentError",
    "parse_document",
    "validation_problems",
]

AnyDocument = Annotated[
    Contact
    | Item
    | TaxRate
    | Invoice
    | CreditNote
    | Order
    | Deal
    | Bill
    | Expense
    | Payment
    | Refund
    | Fee
    | Payout
    | Dispute
    | BankTransaction
    | PayrollRun
    | PayrollRemittance
    | PayrollAccrual,
    Field(discriminator="type"),
]
"""Any canonical document, chosen by its ``type`` field."""

_CLASSES: tuple[type[Document], ...] = get_args(get_args(AnyDocument)[0])

DOCUMENT_TYPES: dict[str, type[Document]] = {
    cls.model_fields["type"].default: cls for cls in _CLASSES
}
"""Document class by its ``type`` discriminator ("invoice" -> Invoice)."""

_ADAPTER: TypeAdapter[Document] = TypeAdapter(AnyDocument)


class DocumentError(ValueError):
    """A document that cannot be accepted; names the record and each bad field.

    Attributes:
        record: which record it was ("invoice stripe/invoice/in_123").
        problems: (field path, reason) pairs; the path is "" for the whole record.

    """

    def __init__(self, record: str, problems: list[tuple[str, str]]) -> None:
        self.record = record
        self.problems = tuple(problems)
        details = "; ".join(f"{path}: {reason}" if path else reason for path, reason in problems)
        super().__init__(f"{record}: {details}")


def _record_name(data: Any) -> str:
    if not isinstance(data, dict):
        return "document"
    kind = data.get("type") if isinstance(data.get("type"), str) else "document"
    source = data.get("source")
    if isinstance(source, dict):
        parts = [source.get(k) for k in ("connection", "object_type", "external_id")]
        return f"{kind} {'/'.join(str(p) for p in parts if p is not None)}"
    if data.get("id") is not None:
        return f"{kind} {data['id']}"
    return str(kind)


def _path(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _reason(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def validation_problems(exc: ValidationError, *, whole: str = "document") -> str:
    """A pydantic error as one line: ``lines.0.amount: reason; currency: reason``."""
    return "; ".join(f"{_path(tuple(e['loc'])) or whole}: {_reason(e)}"
                     for e in exc.errors(include_url=False))


def parse_document(data: dict[str, Any] | bytes | str) -> Document:
    """Validate one document given as a dict or as JSON text.

    Raises DocumentError naming the record and each offending field.
    """
    raw: Any = data
    if isinstance(data, bytes | str):
        try:
            raw = json.loads(data)
        except ValueError as exc:
            raise DocumentError("document", [("", f"not valid JSON: {exc}")]) from None
    record = _record_name(raw)
    if not isinstance(raw, dict):
        raise DocumentError(record, [("", "a document must be a JSON object")])
    kind = raw.get("type")
    if kind not in DOCUMENT_TYPES:
        known = ", ".join(sorted(DOCUMENT_TYPES))
        reason = "is missing" if kind is None else f"{kind!r} is not a document type"
        raise DocumentError(record, [("type", f"{reason}; expected one of: {known}")])
    try:
        if isinstance(data, bytes | str):
            return _ADAPTER.validate_json(data)
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            if loc and loc[0] == kind:
                loc = loc[1:]
            problems.append((_path(loc), _reason(error)))
        raise DocumentError(record, problems) from None
