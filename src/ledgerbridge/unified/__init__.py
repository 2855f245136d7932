"""The unified accounting API: one canonical model over the ledger, QuickBooks and Xero.

``adapter_for(engine, connection)`` gives an :class:`AccountingAdapter` (list, get,
create, update) whose records are the canonical documents whichever system is
behind it; ``Bridge`` pushes the ledger's records to a package and pulls the
package's changes back; ``settle_bills`` pays the settlements of pushed bills there;
``webhooks`` announces changes to subscribers. The REST
routes (``/unified/v1``) are in :mod:`ledgerbridge.api.unified`.
"""

from ledgerbridge.unified.adapters import ADAPTERS, adapter_for
from ledgerbridge.unified.bill_payments import settle_bills
from ledgerbridge.unified.cursor import Position
from ledgerbridge.unified.errors import (
    AuthorizationExpired,
    BadRequest,
    Conflict,
    Forbidden,
    NotAuthorized,
    NotFound,
    PackageError,
    PackageUnavailable,
    PreconditionFailed,
    PreconditionRequired,
    UnifiedError,
    Unsupported,
)
from ledgerbridge.unified.ledger_adapter import LEDGER, LedgerAdapter
from ledgerbridge.unified.model import (
    DOCUMENT_KINDS,
    KINDS,
    AccountView,
    BillPayment,
    FieldGap,
    JournalEntryView,
    Outcome,
    Page,
    Record,
)
from ledgerbridge.unified.protocol import AccountingAdapter
from ledgerbridge.unified.quickbooks_adapter import QUICKBOOKS_GAPS, QuickBooksAdapter
from ledgerbridge.unified.sync import Bridge
from ledgerbridge.unified.xero_adapter import XERO_GAPS, XeroAdapter

__all__ = [
    "ADAPTERS",
    "DOCUMENT_KINDS",
    "KINDS",
    "LEDGER",
    "QUICKBOOKS_GAPS",
    "XERO_GAPS",
    "AccountView",
    "AccountingAdapter",
    "AuthorizationExpired",
    "BillPayment",
    "BadRequest",
    "Bridge",
    "Conflict",
    "FieldGap",
    "Forbidden",
    "JournalEntryView",
    "LedgerAdapter",
    "NotAuthorized",
    "NotFound",
    "Outcome",
    "Page",
    "Position",
    "PackageError",
    "PackageUnavailable",
    "PreconditionFailed",
    "PreconditionRequired",
    "QuickBooksAdapter",
    "Record",
    "UnifiedError",
    "Unsupported",
    "XeroAdapter",
    "adapter_for",
    "settle_bills",
]
