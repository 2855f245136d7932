"""A local Xero for tests and the sandbox: identity, connections and the Accounting API.

Over real HTTP: ``GET /identity/connect/authorize`` (the consent page: redirects
to ``redirect_uri`` with ``code`` and ``state``; an S256 ``code_challenge`` is kept
for the exchange), ``POST /connect/token`` (authorization_code grants, checked
against the consent's PKCE challenge and, when sent, its ``redirect_uri``, and
rotating refresh_token grants),
``GET /connections``; and under ``/api.xro/2.0``: ``Invoices``, ``Contacts``,
``Payments``, ``CreditNotes``, ``ManualJournals``, ``BankTransactions``,
``Accounts`` and ``TaxRates`` with ``xero-tenant-id``, ``If-Modified-Since``,
``page`` (100 a page), ``where`` and ``order``; ``PUT`` creates, ``POST`` creates or
updates, and a repeated ``Idempotency-Key`` gets the first answer again. Limits per
tenant (60 calls a minute, 5000 a day) are answered 429 with ``Retry-After`` and
``X-Rate-Limit-Problem``. Invoice and contact changes are POSTed to ``webhook_url``
signed with ``x-xero-signature`` under the webhook key. Test controls live under
``/_emulator``: change records as a user would, set the limits, send the
intent-to-receive check, expire tokens, and make the next writes fail after
committing (a 500 or a slow answer) to exercise uncertain outcomes.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email.utils
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ledgerbridge.connectors import oauth
from ledgerbridge.connectors.xero.identity import Identity
from ledgerbridge.connectors.xero.limits import RateLimits
from ledgerbridge.connectors.xero.org import COLLECTIONS, Obj, Organisation, XeroError
from ledgerbridge.connectors.xero.query import QueryError, ordering, predicate
from ledgerbridge.connectors.xero.signature import SIGNATURE_HEADER, sign
from ledgerbridge.connectors.xero.wire import API, PAGE_SIZE, dumps, loads, ms_date, parse_stamp
from ledgerbridge.sandbox.emulators import SandboxOptions

__all__ = ["CLIENT_ID", "XeroEmulator", "create_emulator", "sandbox_app"]

log = logging.getLogger(__name__)

CLIENT_ID = "sandbox-xero-client"


def _answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


def _since(header: str | None) -> dt.datetime | None:
    """``If-Modified-Since`` as ISO text (Xero's form) or an HTTP date."""
    if not header:
        return None
    try:
        return parse_stamp(header)
    except ValueError:
        stamp = email.utils.parsedate_to_datetime(header)
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


class XeroEmulator:
    """The emulated service's state: tenants, identity, limits, webhooks and faults."""

    def __init__(self, options: SandboxOptions, tenants: tuple[Organisation, ...],
                 client_id: str = CLIENT_ID) -> None:
        self.tenants = {org.tenant_id: org for org in tenants}
        self.identity = Identity(client_id, options.api_key, tenants)
        self.limits = RateLimits()
        self.webhook_url, self.webhook_key = options.webhook_url, options.webhook_secret
        self.deliveries: list[int | None] = []
        self.faults: list[tuple[str, str, float]] = []
        self._idempotent: dict[tuple[str, str], tuple[int, bytes]] = {}
        self._pending: list[Obj] = []
        self._sequence = 0
        self.consents: dict[str, tuple[str, str | None]] = {}
        """Code -> (redirect_uri, PKCE challenge) of each consent given on the page."""
        self.lock = threading.RLock()
        """Held while records change (API writes and test controls alike)."""
        self._http = httpx.Client(timeout=30.0)
        for org in tenants:
            org.on_change = self._event_for(org)

    # -- webhooks ---------------------------------------------------------------

    def _event_for(self, org: Organisation) -> Callable[[str, str, str], None]:
        def record(category: str, kind: str, resource_id: str) -> None:
            collection = "Invoices" if category == "INVOICE" else "Contacts"
            self._pending.append({
                "resourceUrl": f"https://api.xero.com{API}/{collection}/{resource_id}",
                "resourceId": resource_id, "tenantId": org.tenant_id,
                "tenantType": "ORGANISATION", "eventCategory": category, "eventType": kind,
                "eventDateUtc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]})
        return record

    def post_webhook(self, events: list[Obj], key: str | None = None) -> int | None:
        """POST one signed payload; the receiver's status (None: not reachable)."""
        if self.webhook_url is None:
            return None
        first = self._sequence + 1
        self._sequence += len(events)
        body = dumps({"events": events, "firstEventSequence": first if events else 0,
                      "lastEventSequence": self._sequence if events else 0,
                      "entropy": base64.b32encode(time.time_ns().to_bytes(8, "big")).decode()})
        headers = {"content-type": "application/json",
                   SIGNATURE_HEADER: sign(body, key or self.webhook_key)}
        try:
            status = self._http.post(self.webhook_url, content=body, headers=headers).status_code
        except httpx.HTTPError as exc:
            log.warning("xero webhook to %s failed: %s", self.webhook_url, exc)
            status = None
        self.deliveries.append(status)
        return status

    def flush_webhooks(self) -> None:
        """Send the events the last change caused, in one payload."""
        events, self._pending = self._pending, []
        if events and self.webhook_url is not None:
            self.post_webhook(events)

    def intent_to_receive(self) -> dict[str, Any]:
        """Xero's check of a new webhook URL: one good, one badly signed empty payload."""
        valid = self.post_webhook([])
        invalid = self.post_webhook([], key=self.webhook_key + "-wrong")
        return {"valid": valid, "invalid": invalid, "ok": (valid, invalid) == (200, 401)}

    # -- API calls ------------------------------------------------------------------

    def tenant(self, request: Request) -> tuple[Organisation, dict[str, str]]:
        """The tenant the call is for, after authentication and the rate limits."""
        grant = self.identity.grant_of(request.headers.get("authorization", ""))
        tenant_id = request.headers.get("xero-tenant-id", "")
        org = self.tenants.get(tenant_id.lower())
        if org is None or org not in grant.tenants:
            raise XeroError(403, {"Type": None, "Title": "Forbidden", "Status": 403,
                                  "Detail": "AuthenticationUnsuccessful"})
        return org, self.limits.take(org.tenant_id)

    def listing(self, org: Organisation, collection: str, request: Request) -> Obj:
        """One list answer: filtered, ordered and paged as asked."""
        params = request.query_params
        try:
            matches = predicate(params.get("where"))
            order = ordering(params.get("order"))
        except QueryError as exc:
            raise XeroError(400, {"ErrorNumber": 16, "Type": "QueryParseException",
                                  "Message": str(exc)}) from None
        since = _since(request.headers.get("if-modified-since"))
        records = [r for r in org.records[collection].values() if matches(r) and (
            since is None or "UpdatedDateUTC" not in r or parse_stamp(r["UpdatedDateUTC"]) > since)]
        if order is not None:
            records.sort(key=order[0], reverse=order[1])
        body = self.envelope()
        page = params.get("page")
        if page is not None and collection not in ("Accounts", "TaxRates"):
            number = max(int(page), 1)
            size = min(int(params.get("pageSize", PAGE_SIZE)), 1000)
            body["pagination"] = {"page": number, "pageSize": size,
                                  "pageCount": -(-len(records) // size),
                                  "itemCount": len(records)}
            records = records[(number - 1) * size:number * size]
        body[collection] = records
        return body

    def envelope(self) -> Obj:
        """The fields every Accounting API answer starts with."""
        return {"Id": str(uuid.uuid4()),
                "Status": "OK", "ProviderName": "ledgerbridge", "DateTimeUTC":
                ms_date(dt.datetime.now(dt.UTC))}

    def write(self, org: Organisation, collection: str, body: Obj,
              record_id: str | None) -> Obj:
        """Create or change each element of a PUT/POST body."""
        plural = body.get(collection) if isinstance(body.get(collection), list) else [body]
        key = COLLECTIONS[collection]
        saved = [org.save(collection, {**item, key: record_id} if record_id else item)
                 for item in plural]
        return {**self.envelope(), collection: saved}

    def idempotent(self, org: Organisation, key: str | None,
                   produce: Callable[[], tuple[int, bytes]]) -> tuple[int, bytes]:
        """The first answer given under ``key`` (5xx answers are not kept)."""
        with self.lock:
            if key is None:
                return produce()
            found = self._idempotent.get((org.tenant_id, key))
            if found is None:
                found = produce()
                if found[0] < 500:
                    self._idempotent[(org.tenant_id, key)] = found
            return found

    def fault(self, collection: str) -> tuple[str, float] | None:
        """The next queued fault for writes to ``collection``, if any."""
        for n, (target, kind, seconds) in enumerate(self.faults):
            if target == collection:
                del self.faults[n]
                return kind, seconds
        return None


def create_emulator(options: SandboxOptions, tenants: tuple[Organisation, ...] | None = None,
                    client_id: str = CLIENT_ID) -> FastAPI:
    """A Xero emulator app; ``app.state.xero`` is its :class:`XeroEmulator`."""
    tenants = tenants or (Organisation("Demo Company (US)", seed=options.seed),)
    xero = XeroEmulator(options, tenants, client_id)
    app = FastAPI(title="ledgerbridge Xero emulator")
    app.state.xero = xero

    @app.exception_handler(XeroError)
    async def refused(request: Request, exc: XeroError) -> Response:
        return _answer(exc.body, exc.status, exc.headers)

    @app.get("/identity/connect/authorize", include_in_schema=False)
    def authorize(client_id: str, redirect_uri: str, state: str = "", scope: str = "",
                  response_type: str = "code", code_challenge: str | None = None,
                  code_challenge_method: str = "S256") -> Response:
        if response_type != "code" or (code_challenge is not None
                                       and code_challenge_method != "S256"):
            raise XeroError(400, {"error": "unsupported_response_type"})
        if "offline_access" not in scope.split():
            raise XeroError(400, {"error": "invalid_scope",
                                  "error_description": "ask for offline_access"})
        code = xero.identity.authorize(client_id)
        xero.consents[code] = (redirect_uri, code_challenge)
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    @app.post("/connect/token", include_in_schema=False)
    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if scheme.lower() == "basic":
            client_id, _, client_secret = base64.b64decode(credential).decode().partition(":")
        consent = xero.consents.get(form.get("code", ""))
        if form.get("grant_type") == "authorization_code" and consent is not None:
            redirect_uri, challenge = consent
            verifier = form.get("code_verifier")
            if form.get("redirect_uri", redirect_uri) != redirect_uri or (challenge and (
                    verifier is None or oauth.code_challenge(verifier) != challenge)):
                raise XeroError(400, {"error": "invalid_grant"})
        answer = xero.identity.token(form, client_id, client_secret)
        xero.consents.pop(form.get("code", ""), None)
        return _answer(answer)

    @app.get("/connections", include_in_schema=False)
    @app.get("/Connections", include_in_schema=False)  # Xero's paths ignore case
    def connections(request: Request) -> Response:
        grant = xero.identity.grant_of(request.headers.get("authorization", ""))
        stamp = dt.datetime.now(dt.UTC).isoformat()
        return _answer([{"id": org.new_id(), "authEventId": grant.auth_event_id,
                         "tenantId": org.tenant_id, "tenantType": "ORGANISATION",
                         "tenantName": org.name, "createdDateUtc": stamp,
                         "updatedDateUtc": stamp} for org in grant.tenants])

    def known(collection: str, writable: bool = False) -> str:
        if collection not in (Organisation.SAVERS if writable else COLLECTIONS):
            raise XeroError(404, {"Title": "Not Found", "Status": 404,
                                  "Detail": f"The resource {collection} was not found"})
        return collection

    @app.get(f"{API}/{{collection}}", include_in_schema=False)
    def many(collection: str, request: Request) -> Response:
        org, headers = xero.tenant(request)
        return _answer(xero.listing(org, known(collection), request), headers=headers)

    @app.get(f"{API}/{{collection}}/{{record_id}}", include_in_schema=False)
    def one(collection: str, record_id: str, request: Request) -> Response:
        org, headers = xero.tenant(request)
        found = org.get(known(collection), record_id)
        return _answer({**xero.envelope(), collection: [found]}, headers=headers)

    @app.api_route(f"{API}/{{collection}}", methods=["PUT", "POST"], include_in_schema=False)
    @app.post(f"{API}/{{collection}}/{{record_id}}", include_in_schema=False)
    async def change(collection: str, request: Request, record_id: str | None = None
                     ) -> Response:
        org, headers = xero.tenant(request)
        body = loads(await request.body() or b"{}")
        known(collection, writable=True)
        if request.method == "PUT" and (record_id or body.get(COLLECTIONS[collection])):
            raise XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                                  "Message": "PUT creates; use POST to update"})
        fault = xero.fault(collection)

        def produce() -> tuple[int, bytes]:
            try:
                saved = xero.write(org, collection, body, record_id)
            except XeroError as exc:
                return exc.status, dumps(exc.body)
            return 200, dumps(saved)

        def save() -> tuple[int, bytes]:
            try:
                return xero.idempotent(org, request.headers.get("idempotency-key"), produce)
            finally:
                xero.flush_webhooks()
        status, content = await run_in_threadpool(save)
        if fault is not None:
            kind, seconds = fault
            await asyncio.sleep(seconds)
            if kind == "error":
                return _answer({"Title": "Internal Server Error", "Status": 500}, 500)
        return Response(content, status_code=status, media_type="application/json",
                        headers=headers)

    _controls(app, xero)
    return app


def _controls(app: FastAPI, xero: XeroEmulator) -> None:
    """Test controls for what people and Xero itself do."""

    def org_of(tenant: str | None) -> Organisation:
        return xero.tenants[tenant] if tenant else next(iter(xero.tenants.values()))

    @app.post("/_emulator/records/{collection}", include_in_schema=False)
    async def user_change(collection: str, request: Request, tenant: str | None = None
                          ) -> Response:
        data = loads(await request.body())

        def save() -> Obj:
            try:
                with xero.lock:
                    return org_of(tenant).save(collection, data)
            finally:
                xero.flush_webhooks()
        return _answer(await run_in_threadpool(save))

    @app.post("/_emulator/limits", include_in_schema=False)
    def limits(minute: int = 60, day: int = 5000) -> Response:
        xero.limits.per_minute, xero.limits.per_day = minute, day
        return _answer({"minute": minute, "day": day})

    @app.post("/_emulator/faults", include_in_schema=False)
    def faults(collection: str, kind: str = "error", seconds: float = 0.0,
               count: int = 1) -> Response:
        xero.faults.extend([(collection, kind, seconds)] * count)
        return _answer({"queued": len(xero.faults)})

    @app.post("/_emulator/webhooks/intent", include_in_schema=False)
    def intent() -> Response:
        return _answer(xero.intent_to_receive())

    @app.post("/_emulator/tokens/expire", include_in_schema=False)
    def expire() -> Response:
        xero.identity.expire_access()
        return _answer({"expired": True})

    @app.post("/_emulator/consent", include_in_schema=False)
    def consent() -> Response:
        return _answer({"refresh_token": xero.identity.issue(),
                        "tenants": [org.tenant_id for org in xero.tenants.values()]})


def sandbox_app(options: SandboxOptions) -> FastAPI:
    """The emulator as ``ledgerbridge sandbox xero`` serves it."""
    return create_emulator(options)
