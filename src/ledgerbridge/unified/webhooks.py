"""Outgoing webhooks: subscribers hear of every change to the documents they chose.

A subscription names a URL, the kinds it wants and a secret. ``announce`` follows
the ``documents`` table as a change feed (each subscription keeps the last row it
was told about), so a change is announced whichever way it reached the ledger: the
unified API, a webhook, a poll, a file. Each announcement is a delivery row,
committed before it is sent; ``deliver`` posts due ones with a signature and
retries failures with backoff until ``MAX_ATTEMPTS``, then marks them dead.

Signature: ``Ledgerbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` of
``"<t>." + body`` under the subscription's secret; receivers check it with
:func:`verify` (or the same three lines in any language) and refuse old timestamps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx
from sqlalchemy import Engine, func, insert, or_, select, update

from ledgerbridge.documents import parse_document
from ledgerbridge.store.bulk import take_write_lock
from ledgerbridge.store.tables import (
    connections,
    documents,
    entities,
    webhook_deliveries,
    webhook_subscriptions,
)
from ledgerbridge.sync.inbox import backoff
from ledgerbridge.unified.errors import BadRequest, NotFound
from ledgerbridge.unified.ledger_adapter import LEDGER, utc
from ledgerbridge.unified.model import DOCUMENT_KINDS

__all__ = ["EVENT_HEADER", "MAX_ATTEMPTS", "SIGNATURE_HEADER", "Subscription", "announce",
           "deliver", "sign", "subscribe", "subscriptions", "unsubscribe", "verify"]

SIGNATURE_HEADER = "Ledgerbridge-Signature"
EVENT_HEADER = "Ledgerbridge-Event"
MAX_ATTEMPTS = 10
TOLERANCE_SECONDS = 300
_KIND_OF = {type_: kind for kind, type_ in DOCUMENT_KINDS.items()}
_FEED_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Subscription:
    """Where to announce changes of which kinds (the secret is never shown again)."""

    id: int
    url: str
    kinds: tuple[str, ...]
    active: bool
    secret: str = field(repr=False)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value of ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` and is recent enough."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header.strip())


def _entity_id(conn, entity: str) -> int:  # noqa: ANN001
    found = conn.execute(select(entities.c.id).where(entities.c.code == entity)).scalar()
    if found is None:
        raise NotFound(f"there is no entity {entity!r}")
    return found


def subscribe(engine: Engine, url: str, kinds: tuple[str, ...], *, entity: str = "default",
              secret: str | None = None) -> Subscription:
    """A new subscription to changes from now on; a secret is made when none is given."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise BadRequest(f"webhook url {url!r} is not an http(s) URL")
    unknown = [k for k in kinds if k not in DOCUMENT_KINDS]
    if unknown or not kinds:
        raise BadRequest(f"webhooks announce changes of {', '.join(DOCUMENT_KINDS)}; "
                         f"not of {', '.join(unknown) or 'nothing'}")
    secret = secret or "whsec_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        last = conn.execute(select(func.coalesce(func.max(documents.c.id), 0))).scalar_one()
        new_id = conn.execute(insert(webhook_subscriptions).values(
            entity_id=_entity_id(conn, entity), url=url, secret=secret,
            kinds=json.dumps(list(kinds)), last_document_id=last,
        ).returning(webhook_subscriptions.c.id)).scalar_one()
    return Subscription(new_id, url, tuple(kinds), True, secret)


def subscriptions(engine: Engine, *, entity: str = "default") -> list[Subscription]:
    """The entity's subscriptions, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(webhook_subscriptions).where(
            webhook_subscriptions.c.entity_id == _entity_id(conn, entity))
            .order_by(webhook_subscriptions.c.id)).all()
    return [Subscription(r.id, r.url, tuple(json.loads(r.kinds)), r.active, r.secret)
            for r in rows]


def unsubscribe(engine: Engine, subscription_id: int, *, entity: str = "default") -> None:
    """Stop announcing to a subscription (its deliveries stay, for the record)."""
    with engine.begin() as conn:
        done = conn.execute(update(webhook_subscriptions).where(
            webhook_subscriptions.c.id == subscription_id,
            webhook_subscriptions.c.entity_id == _entity_id(conn, entity)).values(active=False))
    if done.rowcount == 0:
        raise NotFound(f"there is no webhook subscription {subscription_id}")


def announce(engine: Engine) -> int:
    """Queue a delivery for every stored change a subscription has not heard of yet."""
    first = documents.alias("first")
    first_id = (select(func.min(first.c.id))
                .where(first.c.connection_id == documents.c.connection_id,
                       first.c.type == documents.c.type,
                       first.c.external_id == documents.c.external_id).scalar_subquery())
    queued = 0
    with engine.begin() as conn:
        take_write_lock(conn)
        claim = select(webhook_subscriptions).where(webhook_subscriptions.c.active.is_(True))
        if conn.dialect.name == "postgresql":  # two announcers never queue the same change
            claim = claim.with_for_update()
        subs = conn.execute(claim).all()
        for sub in subs:
            types = [DOCUMENT_KINDS[k] for k in json.loads(sub.kinds)]
            rows = conn.execute(
                select(documents.c.id, documents.c.type, documents.c.version,
                       documents.c.status, documents.c.created_at, documents.c.data,
                       first_id.label("first_id"))
                .join(connections, connections.c.id == documents.c.connection_id)
                .where(documents.c.id > sub.last_document_id,
                       connections.c.entity_id == sub.entity_id)
                .order_by(documents.c.id).limit(_FEED_BATCH)).all()
            for row in rows:
                if row.type not in types or row.status == "stale":
                    continue
                kind = _KIND_OF[row.type]
                document = parse_document(row.data).model_copy(update={"id": str(row.first_id)})
                payload = {"id": f"evt_{sub.id}_{row.id}", "type": f"{kind}.changed",
                           "created": dt.datetime.now(dt.UTC).isoformat(),
                           "data": {"kind": kind, "id": str(row.first_id),
                                    "connection": LEDGER, "version": row.version,
                                    "voided": row.status == "voided",
                                    "updated_at": utc(row.created_at).isoformat(),
                                    "document": document.model_dump(mode="json")}}
                conn.execute(insert(webhook_deliveries).values(
                    subscription_id=sub.id, event_id=payload["id"], status="pending",
                    payload=json.dumps(payload, sort_keys=True, separators=(",", ":"))))
                queued += 1
            if rows:
                conn.execute(update(webhook_subscriptions)
                             .where(webhook_subscriptions.c.id == sub.id)
                             .values(last_document_id=rows[-1].id))
    return queued


def deliver(engine: Engine, *, http: httpx.Client | None = None, limit: int = 100,
            timeout: float = 10.0) -> int:
    """Post up to ``limit`` due deliveries, one transaction each; returns how many ran.

    A 2xx answer is success; anything else, a timeout or a refused connection is
    retried later with backoff, and after ``MAX_ATTEMPTS`` the delivery is dead.
    """
    client = http or httpx.Client(timeout=timeout)
    done = 0
    try:
        while done < limit:
            now = dt.datetime.now(dt.UTC)
            with engine.begin() as conn:
                take_write_lock(conn)
                query = (select(webhook_deliveries, webhook_subscriptions.c.url,
                                webhook_subscriptions.c.secret)
                         .join(webhook_subscriptions, webhook_subscriptions.c.id
                               == webhook_deliveries.c.subscription_id)
                         .where(webhook_deliveries.c.status.in_(("pending", "failed")),
                                or_(webhook_deliveries.c.next_attempt_at.is_(None),
                                    webhook_deliveries.c.next_attempt_at <= now))
                         .order_by(webhook_deliveries.c.id).limit(1))
                if conn.dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True, of=webhook_deliveries)
                row = conn.execute(query).first()
                if row is None:
                    return done
                error = _post(client, row.url, row.secret, row.event_id, row.payload.encode())
                attempts = row.attempts + 1
                values: dict = {"attempts": attempts, "last_error": error}
                if error is None:
                    values.update(status="sent", sent_at=now)
                elif attempts >= MAX_ATTEMPTS:
                    values.update(status="dead", next_attempt_at=None)
                else:
                    values.update(status="failed", next_attempt_at=now + backoff(attempts))
                conn.execute(update(webhook_deliveries)
                             .where(webhook_deliveries.c.id == row.id).values(**values))
            done += 1
        return done
    finally:
        if http is None:
            client.close()


def _post(client: httpx.Client, url: str, secret: str, event_id: str, body: bytes
          ) -> str | None:
    """Send one delivery; None on success, else why it failed."""
    headers = {"content-type": "application/json", EVENT_HEADER: event_id,
               SIGNATURE_HEADER: sign(secret, body, int(time.time()))}
    try:
        answer = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__} posting to {urlparse(url).netloc}"
    if 200 <= answer.status_code < 300:
        return None
    return f"HTTP {answer.status_code} from {urlparse(url).netloc}"
