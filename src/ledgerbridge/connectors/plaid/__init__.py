"""The ``plaid`` connector: bank lines from Plaid's ``/transactions/sync``, live.

A verified ``SYNC_UPDATES_AVAILABLE`` webhook makes the engine read the Item at
once; the pages land in the bank book (not the ledger) and the bank accounts whose
lines changed are reconciled. ``emulator.sandbox_app`` serves a local Plaid.
"""

from ledgerbridge.connectors.plaid.client import PlaidClient
from ledgerbridge.connectors.plaid.connector import PlaidConnector, PlaidSettings
from ledgerbridge.connectors.plaid.verification import WebhookKeys, verify

__all__ = ["PlaidClient", "PlaidConnector", "PlaidSettings", "WebhookKeys", "verify"]
