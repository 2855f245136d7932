"""The public surface of the unified API package and the problems it answers with."""

from __future__ import annotations

import ledgerbridge.unified as unified
from ledgerbridge.unified import errors


def test_exports_are_exactly_the_intended_names():
    assert sorted(unified.__all__) == sorted([
        "ADAPTERS", "DOCUMENT_KINDS", "KINDS", "LEDGER", "QUICKBOOKS_GAPS", "XERO_GAPS",
        "AccountView", "AccountingAdapter", "AuthorizationExpired", "BadRequest", "BillPayment",
        "Bridge",
        "Conflict", "FieldGap", "Forbidden", "JournalEntryView", "LedgerAdapter",
        "NotAuthorized", "NotFound", "Outcome", "Page", "Position", "PackageError",
        "PackageUnavailable", "PreconditionFailed", "PreconditionRequired",
        "QuickBooksAdapter", "Record", "UnifiedError", "Unsupported", "XeroAdapter",
        "adapter_for", "settle_bills"])
    assert set(unified.ADAPTERS) == {"quickbooks", "xero"}


def test_each_problem_has_its_own_type_and_an_error_status():
    classes = [getattr(errors, name) for name in errors.__all__]
    slugs = {cls.slug for cls in classes if cls is not errors.UnifiedError}
    assert len(slugs) == len(classes) - 1
    problem = errors.Conflict("invoice demo/1 exists", id="7").problem("/unified/v1/invoices")
    assert problem == {"type": "https://ledgerbridge.dev/problems/conflict",
                       "title": "The request conflicts with what is stored", "status": 409,
                       "detail": "invoice demo/1 exists", "id": "7",
                       "instance": "/unified/v1/invoices"}
    assert all(400 <= cls.status < 600 for cls in classes)
