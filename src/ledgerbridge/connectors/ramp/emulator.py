"""A local Ramp developer API for tests and the sandbox, speaking Ramp's wire format.

``POST /developer/v1/token`` issues client-credentials tokens (HTTP basic auth);
``GET /developer/v1/transactions``, ``/reimbursements`` and ``/receipts`` list with
``from_date``, ``to_date``, ``page_size`` and ``start``, answering
``{"data": [...], "page": {"next": <url or null>}}``; each object is also read by id.
Every change is POSTed to ``webhook_url`` as ``{"id", "type", "business_id",
"created_at", "object": {"id"}}`` signed with ``X-Ramp-Signature``. Test controls the
business does in Ramp's app (swipe a card, clear it, file a reimbursement,
approve and pay a reimbursement, upload a receipt) live under ``/_emulator``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import secrets
import uuid
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from ledgerbridge.connectors import exact_json
from ledgerbridge.connectors.ramp.business import Business, RampError
from ledgerbridge.connectors.ramp.signature import sign
from ledgerbridge.sandbox.emulators import SandboxOptions

__all__ = ["BUSINESS_ID", "CLIENT_ID", "create_emulator", "sandbox_app"]

log = logging.getLogger(__name__)

CLIENT_ID = "ramp_id_sandbox"
"""The client id the emulator accepts; the client secret is the sandbox API key."""
BUSINESS_ID = "business-sandbox"
_LISTS = ("transactions", "reimbursements", "receipts")


def _json(obj: Any, status: int = 200) -> Response:
    return Response(exact_json.dumps(obj), status_code=status, media_type="application/json")


class _Webhooks:
    """Signs and POSTs each event before the call that caused it answers."""

    def __init__(self, url: str | None, secret: str) -> None:
        self.url, self.secret = url, secret
        self._client = httpx.Client(timeout=30.0)

    def __call__(self, kind: str, object_id: str) -> None:
        if self.url is None:
            return
        body = exact_json.dumps({"id": str(uuid.uuid4()), "type": kind,
                                 "business_id": BUSINESS_ID,
                                 "created_at": dt.datetime.now(dt.UTC).isoformat(),
                                 "object": {"id": object_id}}).encode()
        headers = {"content-type": "application/json",
                   "x-ramp-signature": sign(body, self.secret)}
        try:
            self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("webhook %s to %s failed: %s", kind, self.url, exc)


def create_emulator(options: SandboxOptions, business: Business | None = None) -> FastAPI:
    """A Ramp emulator app for ``options``; the client secret is ``options.api_key``."""
    business = business or Business()
    webhooks = _Webhooks(options.webhook_url, options.webhook_secret)
    business.on_event = webhooks
    tokens: set[str] = set()
    app = FastAPI(title="ledgerbridge Ramp emulator")
    app.state.business = business

    @app.exception_handler(RampError)
    async def _error(request: Request, exc: RampError) -> Response:
        return _json({"error_v2": {"error_code": f"HTTP_{exc.status}",
                                   "message": exc.message}}, exc.status)

    def authorized(request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in tokens:
            raise RampError(401, "invalid or expired access token")

    @app.post("/developer/v1/token")
    async def token(request: Request) -> Response:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(credential).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = secret = ""
        form = dict(await request.form())
        if scheme.lower() != "basic" or (client_id, secret) != (CLIENT_ID, options.api_key):
            return _json({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "client_credentials":
            return _json({"error": "unsupported_grant_type"}, 400)
        issued = secrets.token_urlsafe(24)
        tokens.add(issued)
        return _json({"access_token": issued, "token_type": "Bearer", "expires_in": 864000,
                      "scope": form.get("scope", "")})

    @app.get("/developer/v1/{kind}")
    def listing(kind: str, request: Request) -> Response:
        authorized(request)
        if kind not in _LISTS:
            raise RampError(404, f"no such resource {kind}")
        params = dict(request.query_params)
        size = int(params.get("page_size", 20))
        if not 2 <= size <= 10_000:
            raise RampError(400, "page_size must be between 2 and 10000")
        rows = business.listing(kind, params)
        start = params.get("start")
        if start is not None:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(start) + 1:] if start in ids else []
        page, rest = rows[:size], rows[size:]
        following = None
        if rest:
            following = str(request.url.include_query_params(start=page[-1]["id"]))
        return _json({"data": page, "page": {"next": following}})

    @app.get("/developer/v1/{kind}/{object_id}")
    def one(kind: str, object_id: str, request: Request) -> Response:
        authorized(request)
        if kind not in _LISTS:
            raise RampError(404, f"no such resource {kind}")
        return _json(business.one(kind, object_id))

    @app.post("/_emulator/reset")
    def reset() -> Response:
        business.reset()
        return _json({"ok": True})

    @app.put("/_emulator/config")
    async def config(request: Request) -> Response:
        webhooks.url = (await request.json()).get("webhook_url")
        return _json({"webhook_url": webhooks.url})

    @app.post("/_emulator/transactions")
    async def swipe(request: Request) -> Response:
        return _json(business.charge(await request.json()), 201)

    @app.post("/_emulator/transactions/{transaction_id}/clear")
    def clear(transaction_id: str) -> Response:
        return _json(business.clear(transaction_id))

    @app.post("/_emulator/transactions/{transaction_id}/receipts")
    async def upload(transaction_id: str, request: Request) -> Response:
        return _json(business.attach(transaction_id, await request.json()), 201)

    @app.post("/_emulator/reimbursements")
    async def claim(request: Request) -> Response:
        return _json(business.claim(await request.json()), 201)

    @app.post("/_emulator/reimbursements/{reimbursement_id}/approve")
    def approve(reimbursement_id: str) -> Response:
        return _json(business.approve(reimbursement_id))

    @app.post("/_emulator/reimbursements/{reimbursement_id}/pay")
    async def pay(reimbursement_id: str, request: Request) -> Response:
        data = await request.json() if await request.body() else {}
        return _json(business.reimburse(reimbursement_id, data.get("paid_at")))

    return app


def sandbox_app(options: SandboxOptions) -> FastAPI:
    """The emulator as ``ledgerbridge sandbox ramp`` serves it."""
    return create_emulator(options)
