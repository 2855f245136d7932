"""Xero: invoices, bills, payments, credit notes, contacts and bank transactions.

OAuth2 tokens are kept (encrypted, rotated) by ``connectors.oauth``; webhooks are
verified with ``x-xero-signature``; ``emulator`` serves a local Xero for tests and
the sandbox.
"""

from ledgerbridge.connectors.xero.connector import STREAMS, XeroConnector, XeroSettings
from ledgerbridge.connectors.xero.signature import sign

__all__ = ["STREAMS", "XeroConnector", "XeroSettings", "sign"]
