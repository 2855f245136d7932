"""The ``opportunities`` stream: each opportunity with its line items, roles and account.

Opportunities are read incrementally (see ``incremental``); for each query batch
the line items, contact roles and accounts of its opportunities are fetched with
``WHERE ... IN (...)`` queries, in chunks, and each opportunity is stored as one
event: ``{"opportunity", "account", "line_items", "contact_roles"}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from ledgerbridge.connectors.base import Page, RawEvent, Stream
from ledgerbridge.connectors.salesforce.accounts import account_fields
from ledgerbridge.connectors.salesforce.client import SalesforceClient
from ledgerbridge.connectors.salesforce.incremental import Records, raw_event, read_modified
from ledgerbridge.connectors.salesforce.settings import SalesforceSettings
from ledgerbridge.connectors.salesforce.soql import quoted, select_list

__all__ = ["OPPORTUNITIES", "read_opportunities"]

OPPORTUNITIES = Stream("opportunities", object_type="Opportunity", primary_key="Id",
                       replication_key="SystemModstamp", lookback=dt.timedelta(minutes=5))

_OPPORTUNITY = ("Id", "Name", "AccountId", "Account.Name", "OwnerId", "Owner.Name", "StageName",
                "Amount", "CloseDate", "IsClosed", "IsWon", "SystemModstamp")
_LINE_ITEM = ("Id", "OpportunityId", "Product2Id", "Product2.Name", "Name", "Description",
              "Quantity", "UnitPrice", "Subtotal", "TotalPrice", "Discount", "SortOrder")
_CONTACT_ROLE = ("Id", "OpportunityId", "ContactId", "Contact.Name", "IsPrimary", "Role")
_IN_CHUNK = 200  # ids per IN (...) list: keeps a GET query well under URL limits


def _related(client: SalesforceClient, soql: str, key: str, ids: Sequence[str]
             ) -> dict[str, Records]:
    """Records of ``soql`` (ending in ``key IN``) for ``ids``, grouped by ``key``."""
    found: dict[str, Records] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = quoted(ids[start:start + _IN_CHUNK])
        for record in client.query_all(f"{soql} ({chunk})", stream=OPPORTUNITIES.name):
            found.setdefault(record[key], []).append(record)
    return found


def _events(client: SalesforceClient, settings: SalesforceSettings,
            opportunities: Records) -> list[RawEvent]:
    ids = [o["Id"] for o in opportunities]
    account_ids = sorted({o["AccountId"] for o in opportunities if o.get("AccountId")})
    lines = _related(client, f"SELECT {select_list(_LINE_ITEM, settings.line_account_field)} "
                             "FROM OpportunityLineItem WHERE OpportunityId IN",
                     "OpportunityId", ids)
    roles = _related(client, f"SELECT {select_list(_CONTACT_ROLE)} FROM "
                             "OpportunityContactRole WHERE OpportunityId IN",
                     "OpportunityId", ids)
    accounts = _related(client, f"SELECT {account_fields(settings)} FROM Account WHERE Id IN",
                        "Id", account_ids)
    events = []
    for opportunity in opportunities:
        account: dict[str, Any] | None = accounts.get(opportunity.get("AccountId") or "",
                                                      [None])[0]
        events.append(raw_event(OPPORTUNITIES, opportunity, {
            "opportunity": opportunity,
            "account": account,
            "line_items": sorted(lines.get(opportunity["Id"], []),
                                 key=lambda r: (r.get("SortOrder") or 0, r["Id"])),
            "contact_roles": sorted(roles.get(opportunity["Id"], []),
                                    key=lambda r: (not r.get("IsPrimary"), r["Id"])),
        }))
    return events


def read_opportunities(client: SalesforceClient, settings: SalesforceSettings,
                       cursor: str | None) -> Iterator[Page]:
    """Pages of opportunity events modified since ``cursor`` (an ISO datetime; None: all)."""
    fields = select_list(_OPPORTUNITY, "CurrencyIsoCode" if settings.multi_currency else None,
                         settings.payment_terms_field, settings.pipeline_field)
    return read_modified(client, OPPORTUNITIES, fields, cursor,
                         lookback=dt.timedelta(seconds=settings.lookback_seconds),
                         events=lambda records: _events(client, settings, records))
