"""SalesforceConnector: the opportunities and accounts streams, their documents, the write-back."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ledgerbridge.connectors.base import Connector, Page, RawEvent, Settings, Stream, WriteResult
from ledgerbridge.connectors.exact_json import loads
from ledgerbridge.connectors.salesforce.accounts import ACCOUNTS, read_accounts
from ledgerbridge.connectors.salesforce.client import SalesforceClient
from ledgerbridge.connectors.salesforce.normalize import documents
from ledgerbridge.connectors.salesforce.opportunities import OPPORTUNITIES, read_opportunities
from ledgerbridge.connectors.salesforce.settings import SalesforceSettings
from ledgerbridge.connectors.salesforce.writer import invoice_status_fields, record_id
from ledgerbridge.documents import Document
from ledgerbridge.sync.errors import FatalError, MalformedPayload

__all__ = ["SalesforceConnector"]


class SalesforceConnector(Connector):
    """Polls opportunities from one org and writes invoice status back to them."""

    system = "salesforce"
    title = "Salesforce (opportunities polled; invoice status written back)"
    settings_model = SalesforceSettings
    secret_fields = ("client_secret", "refresh_token")
    streams = (OPPORTUNITIES, ACCOUNTS)
    settings: SalesforceSettings

    def __init__(self, connection: str, settings: Settings) -> None:
        super().__init__(connection, settings)
        self.client = SalesforceClient(self.settings, connection)

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Records modified since the cursor (less the lookback), batch by batch."""
        reader = read_accounts if self.stream(stream.name) is ACCOUNTS else read_opportunities
        return reader(self.client, self.settings, cursor)

    def normalize(self, event: RawEvent) -> list[Document]:
        """The account's Contact, and the opportunity's Deal for an opportunity event."""
        try:
            bundle = loads(event.body)
        except ValueError as exc:
            raise MalformedPayload(f"event is not JSON: {exc}", connection=self.connection,
                                   record=event.object_id) from None
        if not isinstance(bundle, dict) or not isinstance(
                bundle.get("opportunity") or bundle.get("account"), dict):
            raise MalformedPayload("event has no opportunity or account",
                                   connection=self.connection, record=event.object_id)
        return documents(bundle, self.settings, self.connection)

    def write(self, command: str, payload: Mapping[str, Any]) -> WriteResult:
        """``set_invoice_status``: PATCH the invoice's state onto its opportunity."""
        if command != "set_invoice_status":
            raise FatalError(f"salesforce supports no write-back {command!r}",
                             connection=self.connection)
        fields = invoice_status_fields(self.settings, payload, self.connection)
        opportunity = record_id(payload, self.connection)
        self.client.update("Opportunity", opportunity, fields)
        return WriteResult(external_id=opportunity, details={"fields": sorted(fields)})
