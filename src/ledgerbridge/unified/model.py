"""What the unified API serves: records of the canonical documents, pages of them, gaps.

Invoices, credit notes, bills, payments and contacts are the canonical documents of
:mod:`ledgerbridge.documents`; accounts and journal entries, which only the ledger
keeps as such, are the two views defined here. Every adapter answers with the same
shapes, whichever package is behind it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field

from ledgerbridge.documents import AnyDocument, CanonicalModel
from ledgerbridge.documents.common import Amount, CurrencyCode, ExchangeRate
from ledgerbridge.money import Money
from ledgerbridge.unified.errors import NotFound

__all__ = [
    "DOCUMENT_KINDS",
    "KINDS",
    "AccountView",
    "BillPayment",
    "FieldGap",
    "JournalEntryView",
    "JournalLineView",
    "OriginalAmount",
    "Outcome",
    "Page",
    "Record",
    "Resource",
    "document_type",
]

DOCUMENT_KINDS: dict[str, str] = {
    "invoices": "invoice",
    "credit-notes": "credit_note",
    "bills": "bill",
    "payments": "payment",
    "contacts": "contact",
}
"""Each kind of the API that is a canonical document, and its document ``type``."""

KINDS: tuple[str, ...] = (*DOCUMENT_KINDS, "accounts", "journal-entries")
"""Every kind the API names in its paths (``/unified/v1/<kind>``)."""


def document_type(kind: str) -> str:
    """The document ``type`` of a document kind; NotFound for any other kind."""
    if kind not in DOCUMENT_KINDS:
        raise NotFound(f"{kind!r} is not a kind of document; the kinds are {', '.join(KINDS)}")
    return DOCUMENT_KINDS[kind]


class AccountView(CanonicalModel):
    """An account of the chart with its balance (normal sign: assets positive in debit).

    Attributes:
        code: the account's code (its id in the ledger; the package's code elsewhere).
        account_type: asset, liability, equity, income or expense.
        balance: the balance in ``currency``, when the source reports one.

    """

    type: Literal["account"] = "account"
    code: str
    name: str
    account_type: Literal["asset", "liability", "equity", "income", "expense"]
    subtype: str | None = None
    parent: str | None = None
    active: bool = True
    currency: CurrencyCode
    balance: Amount | None = None


class OriginalAmount(CanonicalModel):
    """A line's amount in the currency it was booked in, and the rate used."""

    currency: CurrencyCode
    amount: Amount
    rate: ExchangeRate | None = None


class JournalLineView(CanonicalModel):
    """One line of a posted entry: a signed amount in the entry's currency, debit positive."""

    account: str
    account_name: str
    amount: Amount
    original: OriginalAmount | None = None
    memo: str | None = None
    party: str | None = None
    due_date: dt.date | None = None


class JournalEntryView(CanonicalModel):
    """A posted, immutable journal entry with its lineage.

    Attributes:
        currency: the entity's functional currency, of every line's ``amount``.
        reverses, reversed_by: ids of the entry this one reverses, and of its reversal.
        source: connection, object type and external id it was posted from.

    """

    type: Literal["journal_entry"] = "journal_entry"
    date: dt.date
    memo: str
    currency: CurrencyCode
    lines: tuple[JournalLineView, ...]
    reverses: str | None = None
    reversed_by: str | None = None
    source: dict[str, str | None] = Field(default_factory=dict)


_ALL = (*get_args(get_args(AnyDocument)[0]), AccountView, JournalEntryView)
Resource = Annotated[Union[_ALL], Field(discriminator="type")]  # noqa: UP007 - built at runtime
"""Any resource a record carries: a canonical document or one of the ledger's views."""


class FieldGap(BaseModel):
    """A field an adapter cannot carry, and why.

    Attributes:
        field: a dotted path into the document; ``*`` stands for every list element
            (``lines.*.tax_lines``), a number one element (``emails.1``).
        reason: what the package does instead, in words a user can act on.

    """

    model_config = ConfigDict(frozen=True)

    field: str
    reason: str


class Record(BaseModel):
    """One resource as the unified API serves it.

    Attributes:
        id: the record's id in the adapter's system (stable across versions).
        kind: the API kind (``invoices``).
        connection: the connection it was read through; ``ledger`` for our own books.
        version: what ``If-Match`` must name to change it.
        updated_at: when it last changed, when the system says.
        data: the canonical document or view.
        unsupported_fields: fields of the request the adapter could not carry
            (only on answers to writes that were allowed to go ahead without them).

    """

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    connection: str
    version: str
    updated_at: dt.datetime | None
    data: Resource  # a validated document instance passes through as it is
    unsupported_fields: tuple[FieldGap, ...] = ()


class Page(BaseModel):
    """A page of records, oldest change first, and the cursor of the next page."""

    model_config = ConfigDict(frozen=True)

    items: tuple[Record, ...]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class BillPayment:
    """One settlement of a bill, as a package records it against its copy of the bill.

    Attributes:
        reference: our id of the settlement (``LBP<n>``): the package's copy is found
            again by it, so a repeat never pays twice.
        account: the package's account the money left from (QuickBooks Id, Xero code).
        memo: what settled it, in words.

    """

    reference: str
    date: dt.date
    amount: Money
    account: str
    memo: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one record.

    Attributes:
        action: created, updated, unchanged, pulled, pushed_back, conflict,
            deleted (a bill payment whose settlement was undone) or failed.
        detail: the reason of a failure or conflict, or the fields that were decided.
        gaps: fields the package could not carry (the write went ahead without them).

    """

    kind: str
    record: str
    action: str
    detail: str = ""
    gaps: tuple[FieldGap, ...] = ()
