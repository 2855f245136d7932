"""Errors that tell the engine what to do: retry, wait, dead-letter or refuse.

Each error carries the connection, stream and record it is about, so a message in a
log or in the dead-letter queue says exactly which record failed and why.
"""

from __future__ import annotations

__all__ = [
    "FatalError",
    "MalformedPayload",
    "MissingDependency",
    "RetriableError",
    "SignatureError",
    "SyncError",
]


class SyncError(Exception):
    """Base of sync failures; ``str()`` names where it happened."""

    status_code = 500

    def __init__(
        self,
        reason: str,
        *,
        connection: str | None = None,
        stream: str | None = None,
        record: str | None = None,
    ) -> None:
        self.reason = reason
        self.connection = connection
        self.stream = stream
        self.record = record
        super().__init__(reason)

    def __str__(self) -> str:
        where = "/".join(p for p in (self.connection, self.stream, self.record) if p)
        return f"{where}: {self.reason}" if where else self.reason


class SignatureError(SyncError):
    """A webhook whose signature does not verify: answered 401, stored nowhere."""

    status_code = 401


class MalformedPayload(SyncError):
    """A body that cannot be read: answered 400; the raw bytes are kept for replay."""

    status_code = 400


class RetriableError(SyncError):
    """A temporary failure (timeout, 429, 5xx): retried with backoff."""

    status_code = 503


class FatalError(SyncError):
    """A failure retrying cannot fix (bad data, unknown account): dead-lettered."""

    status_code = 422


class MissingDependency(SyncError):
    """The event needs another record first (a refund before its charge): it waits."""

    status_code = 202

    def __init__(self, key: str, **where: str | None) -> None:
        self.key = key
        super().__init__(f"waiting for {key}", **where)
