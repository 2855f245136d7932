"""Document intake: received supplier documents stored once, read exactly, checked, posted.

Structured e-invoices (CII / Factur-X / ZUGFeRD and UBL 2.1 / Peppol BIS 3) are read
in :mod:`ledgerbridge.intake.einvoice`; :class:`IntakeStore` keeps every file by its
SHA-256 with its outcome and posts the ready ones as Bills.
"""

from ledgerbridge.intake.assess import Assessment, Status, assess, media_type
from ledgerbridge.intake.store import Added, IntakeError, IntakeStore, StoredDocument

__all__ = [
    "Added",
    "Assessment",
    "IntakeError",
    "IntakeStore",
    "Status",
    "StoredDocument",
    "assess",
    "media_type",
]
