"""A local PayPal REST API for tests and the sandbox: real HTTP, PayPal's wire format.

Speaks OAuth2 client credentials (``/v1/oauth2/token``), Orders v2 create and
capture, Payments v2 captures and refunds (with ``PayPal-Request-Id``
idempotency), Transaction Search (``/v1/reporting/transactions``, at most 31
days per query) and webhook signature verification. Webhooks go to
``webhook_url`` with PayPal's transmission headers, signed with an HMAC-SHA256
of ``transmission_id|transmission_time|webhook_id|crc32(body)``.

Routes under ``/test`` steer the account the way the PayPal sandbox's dashboard
would: fees, exchange rates, the clock, pending captures, reversals, disputes,
bank withdrawals, stand-alone fees, token expiry and webhook re-delivery.
Orders count as approved by the payer as soon as they are created.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qs

import httpx
from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse

from ledgerbridge.connectors.paypal.emulator_account import Account, PayPalProblem
from ledgerbridge.connectors.paypal.movements import stamp
from ledgerbridge.money import parse_minor
from ledgerbridge.sandbox.emulators import SandboxOptions

__all__ = ["AUTH_ALGO", "CLIENT_ID", "WEBHOOK_ID", "create_emulator", "sandbox_app",
           "webhook_signature"]

CLIENT_ID = "ledgerbridge-sandbox-client"
"""The client id the sandbox emulator accepts (the secret is the sandbox API key)."""
WEBHOOK_ID = "8PT597110X687430LKGSANDBOX"
"""The id of the emulator's one webhook subscription."""
AUTH_ALGO = "HMACSHA256"
MAX_WINDOW = dt.timedelta(days=31)
TOKEN_SECONDS = 32400
JsonBody = Annotated[dict[str, Any], Body()]
OptionalBody = Annotated[dict[str, Any] | None, Body()]


def webhook_signature(transmission_id: str, transmission_time: str, webhook_id: str,
                      body: bytes, secret: str) -> str:
    """The ``paypal-transmission-sig`` of a webhook body, as the emulator signs it."""
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}"
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _compact(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def _error(status: int, name: str, message: str, issue: str | None = None) -> JSONResponse:
    details = [{"issue": issue, "description": message}] if issue else []
    return JSONResponse({"name": name, "message": message, "debug_id": secrets.token_hex(7),
                         "details": details, "links": []}, status_code=status)


def _when(text: str | None, name: str) -> dt.datetime:
    if not text:
        raise PayPalProblem(400, "INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER",
                            f"{name} is required")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise PayPalProblem(400, "INVALID_REQUEST", "INVALID_PARAMETER_SYNTAX",
                            f"{name} is not an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise PayPalProblem(400, "INVALID_REQUEST", "INVALID_PARAMETER_SYNTAX",
                            f"{name} needs a time zone")
    return moment


@dataclass
class _State:
    """Everything one emulator holds; ``/test/reset`` starts it afresh."""

    seed: int
    webhook_url: str | None
    account: Account = field(init=False)
    tokens: dict[str, float] = field(init=False)
    config: dict[str, Any] = field(init=False)
    stats: dict[str, Any] = field(init=False)
    idempotent: dict[tuple[str, str], Any] = field(init=False)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget every order, token, setting and statistic."""
        self.account = Account(seed=self.seed)
        self.tokens = {}
        self.config = {"token_seconds": TOKEN_SECONDS, "send_webhooks": True,
                       "webhook_url": self.webhook_url}
        self.stats = {"tokens_issued": 0, "searches": [], "deliveries": []}
        self.idempotent = {}


def create_emulator(
    client_id: str,
    client_secret: str,
    *,
    webhook_url: str | None = None,
    webhook_secret: str = "whsec_sandbox",
    webhook_id: str = WEBHOOK_ID,
    seed: int = 0,
) -> FastAPI:
    """A PayPal emulator accepting these client credentials and sending webhooks."""
    app = FastAPI(title="ledgerbridge PayPal emulator")
    state = _State(seed, webhook_url)
    sender = httpx.Client(timeout=30)  # one client: building one costs an SSL context

    @app.exception_handler(PayPalProblem)
    async def problem(request: Request, exc: PayPalProblem) -> JSONResponse:
        return _error(exc.status, exc.name, exc.message, exc.issue)

    def bearer(authorization: str = Header(default="")) -> None:
        token = authorization.removeprefix("Bearer ").strip()
        if state.tokens.get(token, 0.0) <= time.time():
            raise PayPalProblem(401, "AUTHENTICATION_FAILURE", "INVALID_TOKEN",
                                "Authentication failed due to invalid authentication "
                                "credentials or a missing Authorization header.")

    def deliver(event: dict[str, Any]) -> int | None:
        url = state.config["webhook_url"]
        if url is None:
            return None
        body = _compact(event)
        transmission_id = str(uuid.uuid4())
        transmission_time = stamp(dt.datetime.now(dt.UTC))
        headers = {
            "content-type": "application/json",
            "paypal-transmission-id": transmission_id,
            "paypal-transmission-time": transmission_time,
            "paypal-transmission-sig": webhook_signature(
                transmission_id, transmission_time, webhook_id, body, webhook_secret),
            "paypal-cert-url": "https://api.paypal.com/v1/notifications/certs/CERT-sandbox",
            "paypal-auth-algo": AUTH_ALGO,
        }
        try:
            status = sender.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = None
        state.stats["deliveries"].append({"event_id": event["id"], "status": status})
        return status

    def act(work: Callable[[], Any], key: tuple[str, str] | None = None) -> Any:
        """Run ``work`` on the account once per request id, then send its webhooks."""
        with state.account.lock:
            if key is not None and key[1] and key in state.idempotent:
                return state.idempotent[key]
            seen = len(state.account.events)
            result = work()
            fresh = state.account.events[seen:]
            if key is not None and key[1]:
                state.idempotent[key] = result
        for event in fresh if state.config["send_webhooks"] else ():
            deliver(event)
        return result

    # -- OAuth2 ----------------------------------------------------------------------

    @app.post("/v1/oauth2/token")
    async def token(request: Request) -> JSONResponse:
        """Client credentials grant with HTTP basic client_id:secret."""
        form = parse_qs((await request.body()).decode())
        expected = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        given = request.headers.get("authorization", "").removeprefix("Basic ").strip()
        if not hmac.compare_digest(given, expected):
            return JSONResponse({"error": "invalid_client",
                                 "error_description": "Client Authentication failed"}, 401)
        if form.get("grant_type") != ["client_credentials"]:
            return JSONResponse({"error": "unsupported_grant_type",
                                 "error_description": "Grant Type is NULL"}, 400)
        value = "A21AA" + secrets.token_urlsafe(32)
        state.tokens[value] = time.time() + state.config["token_seconds"]
        state.stats["tokens_issued"] += 1
        return JSONResponse({"scope": "https://uri.paypal.com/services/reporting/search/read",
                             "access_token": value, "token_type": "Bearer",
                             "app_id": "APP-80W284485P519543T",
                             "expires_in": state.config["token_seconds"],
                             "nonce": secrets.token_hex(8)})

    authorized = [Depends(bearer)]

    # -- orders and payments -----------------------------------------------------------

    @app.post("/v2/checkout/orders", dependencies=authorized, status_code=201)
    def create_order(body: OptionalBody = None,
                     paypal_request_id: str = Header(default="")) -> dict[str, Any]:
        """Create an order (intent CAPTURE)."""
        return act(lambda: state.account.create_order(body or {}),
                   ("order", paypal_request_id))

    @app.get("/v2/checkout/orders/{order_id}", dependencies=authorized)
    def get_order(order_id: str) -> dict[str, Any]:
        """Show an order."""
        return state.account.find("order", order_id)

    @app.post("/v2/checkout/orders/{order_id}/capture", dependencies=authorized,
              status_code=201)
    def capture_order(order_id: str, paypal_request_id: str = Header(default="")
                      ) -> dict[str, Any]:
        """Capture the payment of an order."""
        return act(lambda: state.account.capture_order(order_id),
                   (f"capture:{order_id}", paypal_request_id))

    @app.get("/v2/payments/captures/{capture_id}", dependencies=authorized)
    def get_capture(capture_id: str) -> dict[str, Any]:
        """Show a captured payment."""
        return state.account.find("capture", capture_id)

    @app.post("/v2/payments/captures/{capture_id}/refund", dependencies=authorized,
              status_code=201)
    def refund(capture_id: str, body: OptionalBody = None,
               paypal_request_id: str = Header(default="")) -> dict[str, Any]:
        """Refund a captured payment in full (empty body) or in part (``amount``)."""
        return act(lambda: state.account.refund(capture_id, body or {}),
                   (f"refund:{capture_id}", paypal_request_id))

    @app.get("/v2/payments/refunds/{refund_id}", dependencies=authorized)
    def get_refund(refund_id: str) -> dict[str, Any]:
        """Show a refund."""
        return state.account.find("refund", refund_id)

    # -- Transaction Search -------------------------------------------------------------

    @app.get("/v1/reporting/transactions", dependencies=authorized)
    def transactions(
        start_date: str | None = None,
        end_date: str | None = None,
        fields: str = "transaction_info",
        page_size: int = Query(default=100, ge=1, le=500),
        page: int = Query(default=1, ge=1),
    ) -> dict[str, Any]:
        """Transactions initiated between start_date and end_date (at most 31 days)."""
        start, end = _when(start_date, "start_date"), _when(end_date, "end_date")
        if end < start or end - start > MAX_WINDOW:
            raise PayPalProblem(400, "INVALID_REQUEST", "INVALID_DATE_RANGE",
                                "Date range is greater than 31 days")
        state.stats["searches"].append({"start": start_date, "end": end_date, "page": page})
        with state.account.lock:
            rows = state.account.search(start, end)
        wanted = set(fields.split(","))
        if "all" not in wanted:
            rows = [{k: v for k, v in r.items() if k in wanted} for r in rows]
        total_pages = max(1, -(-len(rows) // page_size))
        links = [{"href": f"/v1/reporting/transactions?page={page}", "rel": "self",
                  "method": "GET"}]
        if page < total_pages:
            links.append({"href": f"/v1/reporting/transactions?page={page + 1}",
                          "rel": "next", "method": "GET"})
        return {
            "transaction_details": rows[(page - 1) * page_size:page * page_size],
            "account_number": "MERCHANT0001",
            "start_date": stamp(start), "end_date": stamp(end),
            "last_refreshed_datetime": stamp(state.account.now()),
            "page": page, "total_items": len(rows), "total_pages": total_pages,
            "links": links,
        }

    # -- webhooks -----------------------------------------------------------------------

    @app.post("/v1/notifications/verify-webhook-signature", dependencies=authorized)
    def verify(body: JsonBody) -> dict[str, str]:
        """Check a webhook's transmission headers and body against what was signed."""
        needed = ("auth_algo", "cert_url", "transmission_id", "transmission_sig",
                  "transmission_time", "webhook_id", "webhook_event")
        missing = [n for n in needed if not body.get(n)]
        if missing:
            raise PayPalProblem(400, "VALIDATION_ERROR", "MISSING_REQUIRED_FIELD",
                                f"missing {', '.join(missing)}")
        expected = webhook_signature(body["transmission_id"], body["transmission_time"],
                                     body["webhook_id"], _compact(body["webhook_event"]),
                                     webhook_secret)
        good = (body["auth_algo"] == AUTH_ALGO and body["webhook_id"] == webhook_id
                and hmac.compare_digest(str(body["transmission_sig"]), expected))
        return {"verification_status": "SUCCESS" if good else "FAILURE"}

    # -- test control ---------------------------------------------------------------------

    @app.put("/test/config")
    def configure(body: JsonBody) -> dict[str, Any]:
        """Change the account's settings (each key optional).

        Keys: fee_percent, fee_fixed, capture_status, rates, now, token_seconds,
        send_webhooks (false: events are only recorded; ``resend`` sends them) and
        webhook_url.
        """
        account, config = state.account, state.config
        with account.lock:
            if "fee_percent" in body:
                account.fee_percent = Decimal(str(body["fee_percent"]))
            if "fee_fixed" in body:
                account.fee_fixed = parse_minor(str(body["fee_fixed"]), account.currency)
            if "capture_status" in body:
                account.capture_status = body["capture_status"]
            account.rates.update({k: Decimal(str(v)) for k, v in body.get("rates", {}).items()})
            if "now" in body:
                account.now_fixed = _when(body["now"], "now") if body["now"] else None
            config["token_seconds"] = int(body.get("token_seconds", config["token_seconds"]))
            config["send_webhooks"] = bool(body.get("send_webhooks", config["send_webhooks"]))
            config["webhook_url"] = body.get("webhook_url", config["webhook_url"])
        return {"status": "ok"}

    @app.post("/test/reset")
    def reset() -> dict[str, str]:
        """Start afresh: a new empty account, no tokens, default settings."""
        state.reset()
        return {"status": "ok"}

    @app.post("/test/tokens/expire")
    def expire_tokens() -> dict[str, int]:
        """Expire every access token issued so far."""
        count = len(state.tokens)
        state.tokens.clear()
        return {"expired": count}

    @app.get("/test/stats")
    def read_stats() -> dict[str, Any]:
        """Tokens issued, searches made (their windows) and webhook deliveries."""
        return state.stats

    @app.post("/test/captures/{capture_id}/{outcome}")
    def settle(capture_id: str, outcome: str, body: OptionalBody = None
               ) -> dict[str, Any]:
        """``complete`` or ``deny`` a pending capture; ``reverse`` a completed one."""
        if outcome == "reverse":
            return act(lambda: state.account.reverse(capture_id, body or {}))
        if outcome in ("complete", "deny"):
            return act(lambda: state.account.settle_capture(capture_id, outcome))
        raise PayPalProblem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", outcome)

    @app.post("/test/disputes")
    def open_dispute(body: JsonBody) -> dict[str, Any]:
        """Open a dispute on ``capture_id`` (a CUSTOMER.DISPUTE.CREATED webhook)."""
        reason = body.get("reason", "MERCHANDISE_OR_SERVICE_NOT_RECEIVED")
        return act(lambda: state.account.open_dispute(body["capture_id"], reason))

    @app.post("/test/withdrawals")
    def withdraw(body: JsonBody) -> dict[str, Any]:
        """Withdraw ``amount`` to the bank (a ``fee`` is charged on top); ``status`` S or P."""
        currency = state.account.currency
        return act(lambda: state.account.withdraw(
            parse_minor(str(body["amount"]), currency),
            parse_minor(str(body.get("fee", "0")), currency), body.get("status", "S")))

    @app.post("/test/fees")
    def charge_fee(body: JsonBody) -> dict[str, Any]:
        """Charge a stand-alone fee of ``amount`` with event ``code`` (T01xx)."""
        currency = state.account.currency
        return act(lambda: state.account.charge_fee(
            parse_minor(str(body["amount"]), currency), body.get("code", "T0100")))

    @app.get("/test/webhooks")
    def events() -> list[dict[str, Any]]:
        """Every webhook event the account produced, oldest first."""
        return state.account.events

    @app.post("/test/webhooks/{event_id}/resend")
    def resend(event_id: str) -> dict[str, Any]:
        """Send an event again (a new transmission of the same event)."""
        event = next((e for e in state.account.events if e["id"] == event_id), None)
        if event is None:
            raise PayPalProblem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", event_id)
        return {"status": deliver(event)}

    @app.get("/test/transactions")
    def history() -> list[dict[str, Any]]:
        """The account's own record of every balance movement (for checking totals)."""
        with state.account.lock:
            return [{"id": t["id"], "code": t["code"], "status": t["status"],
                     "currency": t["currency"], "amount": t["amount"], "fee": t["fee"]}
                    for t in state.account.transactions]

    return app


def sandbox_app(options: SandboxOptions) -> FastAPI:
    """The emulator for ``ledgerbridge sandbox paypal``: client id ``CLIENT_ID``."""
    return create_emulator(CLIENT_ID, options.api_key, webhook_url=options.webhook_url,
                           webhook_secret=options.webhook_secret, seed=options.seed)
