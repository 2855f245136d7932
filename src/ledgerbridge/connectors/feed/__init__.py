"""The built-in ``feed`` connector: canonical documents polled from any HTTP endpoint.

The pull counterpart of the ``webhook`` connector, for tools that can publish a
list but not push: ``GET <url>?updated_since=<ISO time>&cursor=<opaque>&limit=<n>``
answers ``{"documents": [...], "next_cursor": "..." | null}``, oldest first, each
document with ``source.updated_at``. A bearer token authenticates the calls.
"""

from ledgerbridge.connectors.feed.connector import FeedConnector, FeedSettings

__all__ = ["FeedConnector", "FeedSettings"]
