"""The ``accounts`` stream: accounts changed on their own become Contact documents.

Opportunity events carry their account too; this stream catches an account edited
while its opportunities are not (a new name, a new billing address).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ledgerbridge.connectors.base import Page, RawEvent, Stream
from ledgerbridge.connectors.salesforce.client import SalesforceClient
from ledgerbridge.connectors.salesforce.incremental import Records, raw_event, read_modified
from ledgerbridge.connectors.salesforce.settings import SalesforceSettings
from ledgerbridge.connectors.salesforce.soql import select_list

__all__ = ["ACCOUNTS", "account_fields", "read_accounts"]

ACCOUNTS = Stream("accounts", object_type="Account", primary_key="Id",
                  replication_key="SystemModstamp", lookback=dt.timedelta(minutes=5))

_FIELDS = ("Id", "Name", "Phone", "BillingStreet", "BillingCity", "BillingState",
           "BillingPostalCode", "BillingCountry", "SystemModstamp")


def account_fields(settings: SalesforceSettings) -> str:
    """The account fields read, with CurrencyIsoCode in a multi-currency org."""
    return select_list(_FIELDS, "CurrencyIsoCode" if settings.multi_currency else None)


def read_accounts(client: SalesforceClient, settings: SalesforceSettings,
                  cursor: str | None) -> Iterator[Page]:
    """Pages of account events modified since ``cursor`` (an ISO datetime; None: all)."""
    def events(accounts: Records) -> list[RawEvent]:
        return [raw_event(ACCOUNTS, account, {"account": account}) for account in accounts]

    return read_modified(client, ACCOUNTS, account_fields(settings), cursor,
                         lookback=dt.timedelta(seconds=settings.lookback_seconds),
                         events=events)
