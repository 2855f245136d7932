"""The Salesforce connector: opportunities polled in, invoice status written back.

Opportunities (with their line items, contact roles and accounts) are read with
SOQL on a ``SystemModstamp`` cursor and become canonical ``Deal`` documents, their
accounts ``Contact`` documents; the ledger turns a won deal into an invoice. The
invoice's status ("Invoiced", "Partially paid", "Paid"), number, amount due and
paid date are written back to the opportunity with a PATCH. Polling only:
Salesforce has no signed webhooks for these objects.
"""

from ledgerbridge.connectors.salesforce.connector import SalesforceConnector
from ledgerbridge.connectors.salesforce.settings import SalesforceSettings

__all__ = ["SalesforceConnector", "SalesforceSettings"]
