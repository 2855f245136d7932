"""Signature check, splitting and normalizing for the built-in webhook connector."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import AnyHttpUrl, SecretStr

from ledgerbridge.connectors.base import (
    Connector,
    RawEvent,
    Settings,
    WebhookRequest,
    WriteResult,
)
from ledgerbridge.connectors.http import request
from ledgerbridge.documents import Document, DocumentError, parse_document
from ledgerbridge.sync.errors import FatalError, MalformedPayload, SignatureError

__all__ = ["SIGNATURE_HEADER", "WebhookConnector", "WebhookSettings", "sign"]

SIGNATURE_HEADER = "x-ledgerbridge-signature"
EVENT_ID_HEADER = "x-ledgerbridge-event-id"


def sign(body: bytes, secret: str) -> str:
    """The signature header value for ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSettings(Settings):
    """Settings of a webhook connection.

    ``secret`` signs both ways. With a ``callback_url``, write-back commands (such as
    "invoice paid") are POSTed there as ``{"command", "payload"}``, signed the same
    way and carrying an ``Idempotency-Key`` header, so the receiver can drop repeats.
    """

    secret: SecretStr | None
    callback_url: AnyHttpUrl | None = None
    timeout_seconds: float = 30.0


class WebhookConnector(Connector):
    """Accepts canonical documents posted by any tool."""

    system = "webhook"
    title = "Custom webhook (canonical documents, HMAC-SHA256)"
    settings_model = WebhookSettings
    secret_fields = ("secret",)
    settings: WebhookSettings

    def verify(self, request: WebhookRequest) -> None:
        """Accept only a body signed with the connection's secret."""
        secret = self.settings.secret
        if secret is None:
            raise SignatureError("this connection accepts no webhooks (no secret set)",
                                 connection=self.connection)
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given:
            raise SignatureError(f"missing {SIGNATURE_HEADER} header", connection=self.connection)
        expected = sign(request.body, secret.get_secret_value())
        if not hmac.compare_digest(given.strip().lower(), expected):
            raise SignatureError("signature does not match the body", connection=self.connection)

    def split(self, request: WebhookRequest) -> list[RawEvent]:
        """One event per request; a single document is keyed by its type, id and version."""
        try:
            data = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedPayload(f"body is not JSON: {exc}", connection=self.connection) from None
        event_id = request.headers.get(EVENT_ID_HEADER) or None
        if isinstance(data, list):
            if not data:
                raise MalformedPayload("empty list of documents", connection=self.connection)
            return [RawEvent(request.body, event_id=event_id)]
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise MalformedPayload(
                "expected a canonical document (an object with a 'type') or a list of them",
                connection=self.connection,
            )
        source = data.get("source") if isinstance(data.get("source"), dict) else {}
        object_id = source.get("external_id") or data.get("id")
        version = source.get("version") or source.get("updated_at")
        return [
            RawEvent(
                request.body,
                event_id=event_id,
                object_type=data["type"],
                object_id=None if object_id is None else str(object_id),
                object_version=str(version) if version is not None else _digest(request.body),
            )
        ]


    def normalize(self, event: RawEvent) -> list[Document]:
        """Parse the canonical documents; the connection in ``source`` is always ours."""
        try:
            data = json.loads(event.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedPayload(f"body is not JSON: {exc}", connection=self.connection) from None
        items = data if isinstance(data, list) else [data]
        found = []
        for n, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise MalformedPayload(f"item {n} is not a JSON object", connection=self.connection)
            if isinstance(item.get("source"), dict):
                # A sender cannot file documents under another connection's name.
                item = {**item, "source": {**item["source"], "connection": self.connection}}
            try:
                found.append(parse_document(item))
            except DocumentError as exc:
                raise FatalError(str(exc), connection=self.connection,
                                 record=f"item {n}" if len(items) > 1 else None) from None
        return found


    def write(self, command: str, payload: Mapping[str, Any]) -> WriteResult:
        """POST a signed write-back command to the callback URL."""
        if self.settings.callback_url is None or self.settings.secret is None:
            raise FatalError("no callback_url and secret configured for write-backs",
                             connection=self.connection)
        data = dict(payload)
        key = str(data.pop("idempotency_key", ""))
        body = json.dumps({"command": command, "payload": data}, sort_keys=True).encode()
        headers = {
            "content-type": "application/json",
            "idempotency-key": key,
            SIGNATURE_HEADER: sign(body, self.settings.secret.get_secret_value()),
        }
        with httpx.Client(timeout=self.settings.timeout_seconds) as client:
            response = request(client, "POST", str(self.settings.callback_url),
                               connection=self.connection, content=body, headers=headers)
        return WriteResult(details={"status": response.status_code})


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
