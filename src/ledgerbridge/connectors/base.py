"""The connector contract: everything the engine needs from one outside system.

A connector declares; the engine runs. A package under ``connectors/`` subclasses
:class:`Connector`, declares its settings model and its streams as data, and
implements the few methods its system supports: verifying and splitting webhooks,
reading a stream from a cursor, normalizing raw payloads into canonical documents,
and writing back. It is registered under the entry point group
``ledgerbridge.connectors`` so a third-party package can add one the same way.

One connector object serves one connection (one account of the system): it is built
from that connection's settings and secrets, never from process-wide globals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ledgerbridge.sync.errors import FatalError, MalformedPayload

if TYPE_CHECKING:
    from ledgerbridge.documents import Document
    from ledgerbridge.ledger import Ledger

__all__ = [
    "Connector",
    "Page",
    "RawEvent",
    "Settings",
    "Stream",
    "WebhookRequest",
    "WriteResult",
]


class Settings(BaseModel):
    """Base of a connector's settings; secrets are ``SecretStr`` fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True, slots=True)
class Stream:
    """A readable collection of an outside system, declared as data.

    Attributes:
        name: the stream's name, e.g. "balance_transactions".
        object_type: what each record is, e.g. "charge"; used for deduplication.
        primary_key: the record field that identifies it.
        replication_key: the field the cursor follows (None: full reads only).
        lookback: how far behind the cursor each read starts again, to pick up
            records committed late; deduplication makes re-reading free.

    """

    name: str
    object_type: str
    primary_key: str = "id"
    replication_key: str | None = None
    lookback: dt.timedelta = dt.timedelta(0)


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """An HTTP request as the gateway received it: raw bytes, lower-case headers."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    received_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One event or record as received: the unit the inbox stores and replays.

    ``event_id`` deduplicates deliveries of the same event; ``object_type``,
    ``object_id`` and ``object_version`` deduplicate the same version of an object
    arriving by different paths (a webhook and a poll).
    """

    body: bytes
    event_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    object_version: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """Records read from a stream and the cursor to resume after them."""

    events: Sequence[RawEvent]
    cursor: Any
    more: bool = False


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of a write-back: the id the outside system gave the object."""

    external_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class Connector:
    """One outside system, bound to one connection's settings."""

    system: ClassVar[str]
    """The registry name, e.g. "stripe"."""
    title: ClassVar[str] = ""
    settings_model: ClassVar[type[Settings]] = Settings
    streams: ClassVar[tuple[Stream, ...]] = ()
    secret_fields: ClassVar[tuple[str, ...]] = ()
    """Settings that are secrets: kept apart, never logged or exported."""
    default_mapping: ClassVar[str | None] = None
    """Mapping YAML this system starts from, between the built-in defaults and the
    connection's own mapping (e.g. "card charges that pay no invoice are sales")."""
    verifies_remotely: ClassVar[bool] = False
    """Whether ``verify`` calls the vendor (then the gateway runs it off the event loop)."""

    def __init__(self, connection: str, settings: Settings) -> None:
        self.connection = connection
        self.settings = settings

    # -- webhooks -------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        """Check the request's signature; raise SignatureError if it fails."""
        raise FatalError(f"{self.system} does not accept webhooks", connection=self.connection)

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """Cut a verified webhook body into events; raise MalformedPayload if unreadable."""
        raise MalformedPayload(f"{self.system} has no webhook format", connection=self.connection)

    # -- polling ----------------------------------------------------------------

    def read(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        """Read ``stream`` after ``cursor`` (None: from the start), page by page."""
        raise FatalError(f"{self.system} has no readable streams", connection=self.connection)

    # -- normalizing and writing back ---------------------------------------------

    def normalize(self, event: RawEvent) -> list[Document]:
        """Turn one raw event into canonical documents (none if it carries no money)."""
        raise NotImplementedError

    def write(self, command: str, payload: Mapping[str, Any]) -> WriteResult:
        """Carry out a write-back command (mark paid, push an invoice ...)."""
        raise FatalError(f"{self.system} supports no write-back {command!r}",
                         connection=self.connection)

    def after_posted(self, ledger: Ledger, object_ids: Sequence[str]) -> None:
        """Called by the sync worker once events of these objects posted and committed.

        Work that follows an arrival (Ramp matches receipt files to new card lines)
        goes here; it runs outside the events' transaction, so a failure loses none.
        """

    def stream(self, name: str) -> Stream:
        """The declared stream called ``name``."""
        for stream in self.streams:
            if stream.name == name:
                return stream
        known = ", ".join(s.name for s in self.streams) or "none"
        raise FatalError(f"no stream {name!r} (streams: {known})", connection=self.connection)
