"""The connection that received supplier documents are stored under.

Posting a document of the store keeps its Bill as a canonical ``bill`` document of
the entity's intake connection (``intake``; ``intake-<entity>`` for another entity),
created on first use. Files arrive through ``ledgerbridge documents add``, the
dashboard or the API, never from the connector: it has no streams to poll and
refuses webhooks.
"""

from __future__ import annotations

from ledgerbridge.connectors.base import Connector, RawEvent
from ledgerbridge.documents import Document
from ledgerbridge.sync.errors import FatalError

__all__ = ["IntakeConnector"]


class IntakeConnector(Connector):
    """Supplier documents received as files: nothing to poll, no webhooks."""

    system = "intake"
    title = "Received documents"

    def normalize(self, event: RawEvent) -> list[Document]:
        """Refused: documents are added as files (``ledgerbridge documents add``)."""
        raise FatalError("received documents are added as files (ledgerbridge documents add),"
                         " not as events", connection=self.connection)
