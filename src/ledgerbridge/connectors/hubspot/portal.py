"""The in-memory HubSpot account behind the emulator: records, associations, tokens.

Kept apart from the HTTP routes (``emulator.py``) so the rules of the account (what
a stamp is, which properties exist, which tokens are valid, what a webhook looks
like) read in one place.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from ledgerbridge.connectors.hubspot.signatures import signed_headers
from ledgerbridge.connectors.hubspot.stamps import iso

__all__ = ["ASSOCIATION_TYPES", "INVOICE_STATUS_OPTIONS", "OBJECT_TYPES", "PIPELINES",
           "PRIMARY_TYPE", "SINGULAR", "WRITABLE_DEAL_PROPERTIES", "Portal", "PortalError"]

OBJECT_TYPES = ("deals", "line_items", "companies", "contacts")
SINGULAR = {"deals": "deal", "line_items": "line_item", "companies": "company",
             "contacts": "contact"}

# HubSpot-defined association type ids, (from, to) -> typeId.
ASSOCIATION_TYPES = {
    ("deals", "companies"): 341, ("companies", "deals"): 342,
    ("deals", "contacts"): 3, ("contacts", "deals"): 4,
    ("deals", "line_items"): 19, ("line_items", "deals"): 20,
    ("contacts", "companies"): 1, ("companies", "contacts"): 2,
}

PRIMARY_TYPE = 5
"""A deal's primary company: association type 5, labelled "Primary"."""

_DEFAULT_PROPERTIES = {
    "deals": ("amount", "closedate", "dealname", "dealstage", "pipeline"),
    "line_items": ("name", "quantity", "price", "amount"),
    "companies": ("name", "domain"),
    "contacts": ("firstname", "lastname", "email"),
}
_ALWAYS = ("createdate", "hs_lastmodifieddate", "hs_object_id")

# Deal properties an API client may write: HubSpot's own plus the account's custom
# invoice properties (the connector's write-back defaults).
WRITABLE_DEAL_PROPERTIES = frozenset({
    "dealname", "amount", "dealstage", "pipeline", "closedate", "deal_currency_code",
    "hubspot_owner_id", "hs_exchange_rate", "description", "payment_terms",
    "invoice_status", "invoice_number", "invoice_amount_due", "invoice_paid_date",
})
INVOICE_STATUS_OPTIONS = ("Invoiced", "Partially paid", "Paid", "")


def _stage(stage_id: str, label: str, order: int, probability: str, closed: bool) -> dict:
    return {"id": stage_id, "label": label, "displayOrder": order,
            "metadata": {"isClosed": "true" if closed else "false",
                         "probability": probability},
            "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
            "archived": False, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}


PIPELINES = ({
    "id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
    "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
    "stages": [
        _stage("appointmentscheduled", "Appointment Scheduled", 0, "0.2", False),
        _stage("qualifiedtobuy", "Qualified To Buy", 1, "0.4", False),
        _stage("presentationscheduled", "Presentation Scheduled", 2, "0.6", False),
        _stage("decisionmakerboughtin", "Decision Maker Bought-In", 3, "0.8", False),
        _stage("contractsent", "Contract Sent", 4, "0.9", False),
        _stage("closedwon", "Closed Won", 5, "1.0", True),
        _stage("closedlost", "Closed Lost", 6, "0.0", True),
    ],
},)


class PortalError(Exception):
    """An answer in HubSpot's error format: {status, message, correlationId, category}."""

    def __init__(self, status_code: int, message: str, category: str | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = {"status": "error", "message": message,
                     "correlationId": secrets.token_hex(8),
                     **({"category": category} if category else {}), **extra}


@dataclass
class Portal:
    """One HubSpot account: CRM records, OAuth state and outgoing webhooks."""

    private_token: str
    client_secret: str
    webhook_url: str | None = None
    client_id: str = "ledgerbridge-sandbox"
    portal_id: int = 62515
    signature_version: str = "v3"
    rate_limited: int = 0
    records: dict[str, dict[str, dict]] = field(
        default_factory=lambda: {t: {} for t in OBJECT_TYPES})
    links: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    access_tokens: dict[str, bool] = field(default_factory=dict)  # token -> expired
    refresh_tokens: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1001))
    _events: itertools.count = field(default_factory=lambda: itertools.count(1))
    _last_ms: int = 0
    _sender: httpx.Client | None = None

    # -- authentication -----------------------------------------------------------

    def authenticate(self, authorization: str) -> None:
        """Accept the private-app token or a live OAuth access token."""
        token = authorization.removeprefix("Bearer ").strip()
        if token == self.private_token or self.access_tokens.get(token) is False:
            return
        if token in self.access_tokens:
            raise PortalError(401, "The OAuth token used to make this call expired.",
                              "EXPIRED_AUTHENTICATION")
        raise PortalError(401, "Authentication credentials not found. This API supports "
                          "OAuth 2.0 authentication.", "INVALID_AUTHENTICATION")

    def throttle(self) -> None:
        """Answer 429 while the test set a rate limit."""
        if self.rate_limited:
            self.rate_limited -= 1
            raise PortalError(429, "You have reached your ten_secondly_rolling limit.",
                              errorType="RATE_LIMIT", policyName="TEN_SECONDLY_ROLLING")

    def grant(self) -> str:
        """Issue a refresh token, as installing the app does."""
        token = "rt-" + secrets.token_hex(8)
        self.refresh_tokens.add(token)
        return token

    def refresh(self, form: dict[str, str]) -> dict[str, Any]:
        """Exchange a refresh token; the old one is revoked (rotated) and a new one issued."""
        if form.get("grant_type") != "refresh_token":
            raise PortalError(400, "unsupported grant_type", "BAD_GRANT_TYPE")
        if form.get("client_id") != self.client_id or \
                form.get("client_secret") != self.client_secret:
            raise PortalError(400, "client credentials are wrong", "BAD_CLIENT_ID")
        token = form.get("refresh_token", "")
        if token not in self.refresh_tokens:
            raise PortalError(400, "missing or unknown refresh token", "BAD_REFRESH_TOKEN")
        self.refresh_tokens.discard(token)
        access = "at-" + secrets.token_hex(8)
        self.access_tokens[access] = False
        return {"token_type": "bearer", "access_token": access,
                "refresh_token": self.grant(), "expires_in": 1800}

    def expire_tokens(self) -> None:
        """Make every OAuth access token expired."""
        self.access_tokens = dict.fromkeys(self.access_tokens, True)

    # -- records ------------------------------------------------------------------

    def _stamp(self) -> str:
        now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
        self._last_ms = max(now, self._last_ms + 1)  # strictly increasing
        return iso(dt.datetime.fromtimestamp(self._last_ms / 1000, dt.UTC))

    def record(self, object_type: str, object_id: str) -> dict:
        """The stored record, or 404 as HubSpot says it."""
        try:
            return self.records[object_type][object_id]
        except KeyError:
            raise PortalError(404, "resource not found", "OBJECT_NOT_FOUND") from None

    def create(self, object_type: str, properties: dict[str, Any],
               associations: dict[str, list[str]]) -> dict:
        """Store a new record with its associations."""
        if object_type not in OBJECT_TYPES:
            raise PortalError(400, f"unknown object type {object_type}", "VALIDATION_ERROR")
        object_id = str(next(self._ids))
        stamp = self._stamp()
        props = {k: None if v is None else str(v) for k, v in properties.items()}
        props.update(createdate=stamp, hs_lastmodifieddate=stamp, hs_object_id=object_id)
        self.records[object_type][object_id] = {
            "id": object_id, "properties": props, "createdAt": stamp, "updatedAt": stamp,
            "archived": False}
        for to_type, ids in associations.items():
            for to_id in ids:
                self.associate(object_type, object_id, to_type, str(to_id))
        return self.records[object_type][object_id]

    def update(self, object_type: str, object_id: str, properties: dict[str, Any]) -> list[str]:
        """Change properties; returns the names whose value changed."""
        record = self.record(object_type, object_id)
        changed = [k for k, v in properties.items()
                   if record["properties"].get(k) != (None if v is None else str(v))]
        if changed:
            stamp = self._stamp()
            record["properties"].update(
                {k: None if properties[k] is None else str(properties[k]) for k in changed})
            record["properties"]["hs_lastmodifieddate"] = stamp
            record["updatedAt"] = stamp
        return changed

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """Link two records both ways."""
        self.record(to_type, to_id)
        for a, a_id, b, b_id in ((from_type, from_id, to_type, to_id),
                                 (to_type, to_id, from_type, from_id)):
            linked = self.links.setdefault((a, a_id), {}).setdefault(b, [])
            if b_id not in linked:
                linked.append(b_id)

    def associated(self, object_type: str, object_id: str, to_type: str) -> list[str]:
        """Ids of the ``to_type`` records linked to one record, in id order."""
        return sorted(self.links.get((object_type, object_id), {}).get(to_type, ()), key=int)

    def primary(self, object_type: str, object_id: str, to_type: str) -> str | None:
        """A deal's primary company: the first company it was associated with."""
        if (object_type, to_type) != ("deals", "companies"):
            return None
        linked = self.links.get((object_type, object_id), {}).get(to_type)
        return linked[0] if linked else None

    def view(self, object_type: str, record: dict, properties: list[str] | None) -> dict:
        """A record as the API shows it: only the asked (or default) properties."""
        names = list(properties or _DEFAULT_PROPERTIES[object_type]) + list(_ALWAYS)
        return {**record, "properties": {n: record["properties"].get(n) for n in names}}

    def check_deal_properties(self, properties: dict[str, Any]) -> None:
        """Refuse unknown, read-only or invalid deal properties with HubSpot's message."""
        problems = [{"isValid": False, "message": f"Property \"{name}\" does not exist",
                     "error": "PROPERTY_DOESNT_EXIST", "name": name}
                    for name in properties if name not in WRITABLE_DEAL_PROPERTIES]
        status = properties.get("invoice_status")
        if status is not None and status not in INVOICE_STATUS_OPTIONS:
            problems.append({"isValid": False, "error": "INVALID_OPTION",
                             "message": f"{status} was not one of the allowed options",
                             "name": "invoice_status"})
        if problems:
            raise PortalError(400, f"Property values were not valid: {problems}",
                              "VALIDATION_ERROR")

    # -- webhooks -----------------------------------------------------------------

    def event(self, object_type: str, subscription: str, object_id: str,
              name: str | None = None, value: Any = None) -> dict[str, Any]:
        """One webhook event as HubSpot words it."""
        event = {
            "eventId": next(self._events), "subscriptionId": 4242, "portalId": self.portal_id,
            "appId": 1160452, "occurredAt": int(dt.datetime.now(dt.UTC).timestamp() * 1000),
            "subscriptionType": f"{SINGULAR[object_type]}.{subscription}",
            "attemptNumber": 0, "objectId": int(object_id), "changeSource": "CRM_UI",
        }
        if name is not None:
            event.update(propertyName=name, propertyValue=None if value is None else str(value))
        return event

    def send(self, events: list[dict[str, Any]]) -> None:
        """POST the events, signed, to the webhook URL (when one is set)."""
        if not self.webhook_url or not events:
            return
        body = httpx.Request("POST", self.webhook_url, json=events).content
        headers = {"content-type": "application/json",
                   **signed_headers(self.signature_version, self.client_secret, "POST",
                                    self.webhook_url, body, dt.datetime.now(dt.UTC))}
        if self._sender is None:
            self._sender = httpx.Client(timeout=30)
        response = self._sender.post(self.webhook_url, content=body, headers=headers)
        self.deliveries.append(response.status_code)
