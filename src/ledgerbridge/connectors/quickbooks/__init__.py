"""QuickBooks Online: the connector, its API client, and an emulated company.

Register with ``quickbooks = "ledgerbridge.connectors.quickbooks:QuickBooksConnector"``
under the ``ledgerbridge.connectors`` entry points.
"""

from ledgerbridge.connectors.quickbooks.connector import (
    PRODUCTION,
    SANDBOX,
    QuickBooksConnector,
    QuickBooksSettings,
)

__all__ = ["PRODUCTION", "SANDBOX", "QuickBooksConnector", "QuickBooksSettings"]
