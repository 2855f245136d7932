"""The ``hubspot`` connector: HubSpot CRM deals in, invoice status back out.

Deals (with their line items, companies and contacts) are polled through the CRM
search API and fetched when a webhook names one; they become canonical ``Deal``
documents and customer ``Contact`` documents. The ``set_invoice_status`` write-back
sets "Invoiced", "Partially paid" or "Paid", the invoice number, the amount due and
the paid date on the deal. ``emulator.py`` is a local HubSpot for tests and the
sandbox.
"""

from ledgerbridge.connectors.hubspot.connector import HubSpotConnector, HubSpotSettings

__all__ = ["HubSpotConnector", "HubSpotSettings"]
