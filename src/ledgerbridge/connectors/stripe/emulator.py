"""A local Stripe API for tests, benchmarks and the sandbox, speaking Stripe's wire format.

The endpoints ledgerbridge uses, over real HTTP: ``POST /v1/charges``,
``/v1/payment_intents`` (and ``/confirm``), ``/v1/refunds``, ``/v1/payouts``,
``/v1/disputes/{id}/close``; ``GET`` of each object and list, ``/v1/balance`` and
``/v1/events``. API keys are accepted as Bearer or basic auth; ``Idempotency-Key``
replays the first answer (``Idempotent-Replayed: true``) or refuses other parameters.
Events the webhook endpoint subscribes to are POSTed to ``webhook_url`` signed with
``Stripe-Signature``. Test controls Stripe does through its dashboard live under
``/_emulator``: open and close disputes, settle payouts, run an automatic payout,
add a Stripe fee, set pricing, seed a large history and re-deliver an event.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request, Response

from ledgerbridge.connectors.stripe.account import Account, Obj, Pricing, StripeError
from ledgerbridge.connectors.stripe.signature import sign
from ledgerbridge.connectors.stripe.wire import decode_form, dumps, expand, integer, list_page
from ledgerbridge.sandbox.emulators import SandboxOptions

__all__ = ["WEBHOOK_EVENTS", "create_emulator", "sandbox_app"]

log = logging.getLogger(__name__)

WEBHOOK_EVENTS = frozenset({"charge.succeeded", "charge.refunded", "charge.dispute.created",
                            "charge.dispute.closed", "payout.paid", "payout.failed"})
"""The events the emulated webhook endpoint is subscribed to."""

KINDS = {"charges": "charge", "refunds": "refund", "balance_transactions": "balance_transaction",
         "disputes": "dispute", "payouts": "payout", "payment_intents": "payment_intent",
         "events": "event"}
FILTERS = {"charge": ("payment_intent", "customer"), "refund": ("charge", "payment_intent"),
           "balance_transaction": ("type", "source", "currency"),
           "dispute": ("charge", "payment_intent"), "payout": ("status",), "event": ("type",),
           "payment_intent": ("customer",)}

Handler = Callable[[Obj], Obj]


def _json(obj: Obj, status: int = 200, **headers: str) -> Response:
    return Response(dumps(obj), status_code=status, media_type="application/json",
                    headers=headers)


def _required(params: Obj, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise StripeError(400, f"Missing required param: {name}.", param=name,
                          code="parameter_missing")
    return value


def _flag(params: Obj, name: str) -> bool:
    return str(params.get(name, "false")).lower() == "true"


class _Webhooks:
    """Signs and POSTs subscribed events to the webhook URL, as Stripe's endpoint would.

    Deliveries are made before the API call that caused them answers, one at a time,
    so a caller knows its webhooks have been received when its call returns.
    """

    def __init__(self, url: str | None, secret: str) -> None:
        self.url, self.secret = url, secret
        self._client = httpx.Client(timeout=30.0)

    def __call__(self, event: Obj) -> None:
        if event["type"] in WEBHOOK_EVENTS:
            self.deliver(event)

    def deliver(self, event: Obj) -> int | None:
        """POST one event; the receiver's status, or None when it cannot be reached."""
        if self.url is None:
            return None
        body = dumps(event)
        headers = {"content-type": "application/json", "stripe-signature": sign(body, self.secret)}
        try:
            return self._client.post(self.url, content=body, headers=headers).status_code
        except httpx.HTTPError as exc:
            log.warning("webhook %s to %s failed: %s", event["id"], self.url, exc)
            return None


class _Idempotency:
    """First answers by (API key, Idempotency-Key), with the request that produced them."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[tuple, int, bytes]] = {}

    def lookup(self, scope: str, key: str, fingerprint: tuple) -> tuple[int, bytes] | None:
        """The first answer under ``key``, or None; a 400 if the parameters differ."""
        found = self._seen.get(f"{scope}|{key}")
        if found is None:
            return None
        if found[0] != fingerprint:
            raise StripeError(400, "Keys for idempotent requests can only be used with the "
                              "same parameters they were first used with. Try using a key "
                              f"other than '{key}' if you meant to execute a different "
                              "request.", type_="idempotency_error")
        return found[1], found[2]

    def remember(self, scope: str, key: str, fingerprint: tuple, status: int,
                 body: bytes) -> None:
        """Keep the answer given under ``key``."""
        self._seen[f"{scope}|{key}"] = (fingerprint, status, body)


def create_emulator(options: SandboxOptions, account: Account | None = None) -> FastAPI:
    """A Stripe emulator app for ``options`` (over ``account``, e.g. one seeded in-process)."""
    account = account or Account(seed=options.seed)
    webhooks = _Webhooks(options.webhook_url, options.webhook_secret)
    account.on_event = webhooks
    idempotency = _Idempotency()
    app = FastAPI(title="ledgerbridge Stripe emulator")
    app.state.account = account

    def authorized(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                credential = base64.b64decode(credential).decode().partition(":")[0]
            except ValueError:
                credential = ""
        elif scheme.lower() != "bearer":
            raise StripeError(401, "You did not provide an API key. You need to provide your "
                              "API key in the Authorization header, using Bearer auth.")
        if credential != options.api_key:
            shown = (f"{credential[:8]}{'*' * (len(credential) - 12)}{credential[-4:]}"
                     if len(credential) >= 20 else "*" * len(credential))
            raise StripeError(401, f"Invalid API Key provided: {shown}",
                              code="api_key_invalid")

    def answer(request: Request, handler: Handler, params: Obj) -> Response:
        try:
            authorized(request)
            return _json(handler(params))
        except StripeError as exc:
            return _json(exc.body(), exc.status)

    def route_get(path: str, handler: Handler) -> None:
        async def endpoint(request: Request) -> Response:
            params = {**decode_form(request.query_params.multi_items()), **request.path_params}
            return answer(request, handler, params)
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)

    def route_post(path: str, handler: Handler) -> None:
        async def endpoint(request: Request) -> Response:
            pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
            params = {**decode_form(pairs), **request.path_params}
            key = request.headers.get("idempotency-key")
            if key is None:
                return answer(request, handler, params)
            fingerprint = (request.url.path, tuple(sorted(pairs)))
            scope = request.headers.get("authorization", "")
            try:
                authorized(request)
                replay = idempotency.lookup(scope, key, fingerprint)
            except StripeError as exc:
                return _json(exc.body(), exc.status)
            if replay is not None:
                return Response(replay[1], status_code=replay[0], media_type="application/json",
                                headers={"idempotent-replayed": "true",
                                         "idempotency-key": key})
            response = answer(request, handler, params)
            if response.status_code < 500:
                idempotency.remember(scope, key, fingerprint, response.status_code, response.body)
            return response
        app.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)

    def expanded(obj: Obj, params: Obj) -> Obj:
        paths = params.get("expand") or []
        return expand(obj, [paths] if isinstance(paths, str) else paths, account.find)

    def retrieve(kind: str) -> Handler:
        return lambda p: expanded(account.get(kind, p["id"]), p)

    def listing(path: str, kind: str) -> Handler:
        def handler(params: Obj) -> Obj:
            if kind == "balance_transaction" and params.get("payout"):
                items, created, position = account.payout_transactions(params["payout"]), \
                    None, None
            else:
                items, created, position = account.sequence(kind)
            wanted = {f: params[f] for f in FILTERS[kind] if params.get(f) is not None}
            if wanted:
                items = [o for o in items if all(o.get(f) == v for f, v in wanted.items())]
                created = position = None
            return expanded(list_page(items, params, path, created=created,
                                      position=position), params)
        return handler

    for resource, kind in KINDS.items():
        route_get(f"/v1/{resource}", listing(f"/v1/{resource}", kind))
        route_get(f"/v1/{resource}/{{id}}", retrieve(kind))

    def create_charge(p: Obj) -> Obj:
        return expanded(account.create_charge(
            integer(p, "amount") or 0, _required(p, "currency"),
            description=p.get("description"), metadata=p.get("metadata"),
            customer=p.get("customer")), p)

    def create_intent(p: Obj) -> Obj:
        return expanded(account.create_payment_intent(
            integer(p, "amount") or 0, _required(p, "currency"), confirm=_flag(p, "confirm"),
            metadata=p.get("metadata"), description=p.get("description"),
            customer=p.get("customer")), p)

    def create_refund(p: Obj) -> Obj:
        charge = p.get("charge")
        if charge is None:
            charge = account.charge_of_intent(_required(p, "payment_intent"))
        return expanded(account.create_refund(charge, integer(p, "amount"),
                                              reason=p.get("reason"),
                                              metadata=p.get("metadata")), p)

    def balance(p: Obj) -> Obj:
        amount = account.available()
        return {"object": "balance", "livemode": False,
                "available": [{"amount": amount, "currency": account.settlement,
                               "source_types": {"card": amount}}],
                "pending": [{"amount": 0, "currency": account.settlement,
                             "source_types": {"card": 0}}],
                "connect_reserved": [{"amount": 0, "currency": account.settlement}]}

    route_post("/v1/charges", create_charge)
    route_post("/v1/payment_intents", create_intent)
    route_post("/v1/payment_intents/{id}/confirm",
               lambda p: expanded(account.confirm_payment_intent(p["id"]), p))
    route_post("/v1/refunds", create_refund)
    route_post("/v1/payouts", lambda p: account.create_payout(integer(p, "amount"),
                                                              description=p.get("description")
                                                              or "STRIPE PAYOUT"))
    route_post("/v1/disputes/{id}/close", lambda p: account.close_dispute(p["id"], won=False))
    route_get("/v1/balance", balance)
    _control_routes(route_post, account, webhooks)
    return app


def _control_routes(route_post: Callable[[str, Handler], None], account: Account,
                    webhooks: _Webhooks) -> None:
    """Test controls for what Stripe does on its own: disputes, bank answers, fees ..."""

    def outcome(p: Obj, good: str, bad: str) -> bool:
        value = p.get("outcome", good)
        if value not in (good, bad):
            raise StripeError(400, f"outcome must be {good} or {bad}", param="outcome")
        return value == good

    def pricing(p: Obj) -> Obj:
        current = account.pricing
        account.pricing = Pricing(
            integer(p, "percent_bp", default=current.percent_bp, low=0) or 0,
            integer(p, "fixed", default=current.fixed, low=0) or 0,
            integer(p, "dispute_fee", default=current.dispute_fee, low=0) or 0)
        return {"percent_bp": account.pricing.percent_bp, "fixed": account.pricing.fixed,
                "dispute_fee": account.pricing.dispute_fee}

    def seed(p: Obj) -> Obj:
        count = integer(p, "transactions", low=1) or 1
        account.seed(count, start=integer(p, "start", default=account.now()) or 0)
        return {"transactions": len(account.sequence("balance_transaction")[0])}

    def redeliver(p: Obj) -> Obj:
        return {"status": webhooks.deliver(account.get("event", p["id"]))}

    route_post("/_emulator/disputes", lambda p: account.open_dispute(
        _required(p, "charge"), p.get("reason") or "fraudulent"))
    route_post("/_emulator/disputes/{id}/close", lambda p: account.close_dispute(
        p["id"], won=outcome(p, "won", "lost")))
    route_post("/_emulator/payouts/{id}/settle", lambda p: account.settle_payout(
        p["id"], paid=outcome(p, "paid", "failed")))
    route_post("/_emulator/payouts/automatic", lambda p: account.run_automatic_payout(
        paid=outcome(p, "paid", "failed")))
    route_post("/_emulator/fees", lambda p: account.add_fee(
        integer(p, "amount", low=1) or 1, p.get("description") or "Billing - Usage Fee"))
    route_post("/_emulator/pricing", pricing)
    route_post("/_emulator/seed", seed)
    route_post("/_emulator/events/{id}/deliver", redeliver)


def sandbox_app(options: SandboxOptions) -> FastAPI:
    """The emulator as ``ledgerbridge sandbox stripe`` serves it."""
    return create_emulator(options)
