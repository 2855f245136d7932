"""A local Shopify Admin REST API (version 2024-10) for tests and the sandbox.

It answers like Shopify where the connector depends on it: ``X-Shopify-Access-Token``
authentication, cursor pages in the ``Link`` header (``page_info`` requests take no
other filter than ``limit`` and ``fields``), the leaky-bucket call limit
(``X-Shopify-Shop-Api-Call-Limit``; 429 with ``Retry-After`` when the bucket is
full), and signed webhooks (orders/create, orders/updated, refunds/create) POSTed to
the sandbox's webhook URL. Test-control routes under ``/_control`` create orders,
edit and refund them and pay out the Shopify Payments balance.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from ledgerbridge.connectors.shopify.emulated_shop import EmulatedShop
from ledgerbridge.connectors.shopify.webhooks import signature
from ledgerbridge.sandbox.emulators import SandboxOptions

__all__ = ["API_VERSION", "SHOP_DOMAIN", "create_emulator", "sandbox_app"]

API_VERSION = "2024-10"
SHOP_DOMAIN = "ledgerbridge-sandbox.myshopify.com"
_PAGE_PARAMS = frozenset({"page_info", "limit", "fields"})


class ShopifyError(Exception):
    """An error answered the way Shopify does: ``{"errors": ...}`` with a status."""

    def __init__(self, status: int, errors: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(errors))
        self.status, self.errors, self.headers = status, errors, headers or {}


class LeakyBucket:
    """Shopify's REST call limit: ``size`` calls, leaking ``rate`` per second."""

    def __init__(self, size: int, rate: float, clock: Callable[[], float]) -> None:
        self.size, self.rate, self.clock = size, rate, clock
        self.level = 0.0
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> str:
        """Count one call; the limit header value, or ShopifyError 429 when full."""
        with self._lock:
            now = self.clock()
            self.level = max(0.0, self.level - (now - self._at) * self.rate)
            self._at = now
            if self.level + 1 > self.size:
                wait = math.ceil((self.level + 1 - self.size) / self.rate * 10) / 10
                raise ShopifyError(429, "Exceeded 2 calls per second for api client. Reduce "
                                        "request rates to resume uninterrupted service.",
                                   {"Retry-After": f"{wait:.1f}",
                                    "X-Shopify-Shop-Api-Call-Limit": f"{self.size}/{self.size}"})
            self.level += 1
            return f"{math.ceil(self.level)}/{self.size}"


def _page_token(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, sort_keys=True).encode()).decode().rstrip("=")


def _read_token(token: str) -> dict:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise ShopifyError(400, {"page_info": "Invalid value."}) from None


def _public(obj: Any) -> Any:
    """Shopify's view of a stored object (without the emulator's private keys)."""
    if isinstance(obj, dict):
        return {k: _public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [_public(v) for v in obj]
    return obj


class _Pager:
    """Cursor pagination the way Shopify does it: opaque page_info, Link header."""

    def __init__(self, request: Request) -> None:
        self.request = request
        params = dict(request.query_params)
        try:
            self.limit = min(int(params.get("limit", 50)), 250)
        except ValueError:
            raise ShopifyError(400, {"limit": "Invalid value."}) from None
        token = params.get("page_info")
        if token is not None and set(params) - _PAGE_PARAMS:
            raise ShopifyError(400, {"page_info": "Invalid value. page_info may only be "
                                                   "combined with limit and fields."})
        self.state = _read_token(token) if token is not None else None
        self.filters = self.state["filters"] if self.state else {
            k: v for k, v in params.items() if k not in _PAGE_PARAMS}

    def page(self, items: list[dict], key: Callable[[dict], list]) -> tuple[list[dict], str]:
        """The page of ``items`` (already filtered and sorted) and its Link header."""
        keys = [key(i) for i in items]
        if self.state is None:
            start = 0
        elif self.state["direction"] == "next":
            start = next((n for n, k in enumerate(keys) if k > self.state["key"]), len(items))
        else:
            end = next((n for n, k in enumerate(keys) if k >= self.state["key"]), len(items))
            start = max(0, end - self.limit)
        chosen = items[start:start + self.limit]
        links = []
        base = str(self.request.url).split("?")[0]
        if start > 0 and chosen:
            links.append((self._link(base, key(chosen[0]), "previous"), "previous"))
        if start + self.limit < len(items):
            links.append((self._link(base, key(chosen[-1]), "next"), "next"))
        return chosen, ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links)

    def _link(self, base: str, at: list, direction: str) -> str:
        token = _page_token({"filters": self.filters, "key": at, "direction": direction})
        return f"{base}?limit={self.limit}&page_info={token}"


def create_emulator(options: SandboxOptions, *, bucket_size: int = 40, leak_rate: float = 2.0,
                    clock: Callable[[], float] = time.monotonic,
                    shop: EmulatedShop | None = None) -> FastAPI:
    """A Shopify emulator app for ``options`` (token = ``api_key``, webhook signing secret).

    ``shop`` is the shop's state when the caller made it (another start date ...).
    """
    app = FastAPI(title="ledgerbridge Shopify emulator")
    shop = shop or EmulatedShop(seed=options.seed)
    bucket = LeakyBucket(bucket_size, leak_rate, clock)
    deliveries: list[dict[str, Any]] = []
    lock = threading.Lock()
    sender = httpx.Client(timeout=10.0)  # one client: building one costs more than a call
    app.state.shop = shop

    @app.exception_handler(ShopifyError)
    def _error(request: Request, exc: ShopifyError) -> JSONResponse:
        return JSONResponse({"errors": exc.errors}, status_code=exc.status, headers=exc.headers)

    def admin(request: Request,
              x_shopify_access_token: str = Header(default="")) -> None:
        if request.path_params.get("version") != API_VERSION:
            raise ShopifyError(404, "Not Found")
        if x_shopify_access_token != options.api_key:
            raise ShopifyError(401, "[API] Invalid API key or access token (unrecognized login "
                                    "or wrong password)")
        request.state.call_limit = bucket.take()

    api = APIRouter(prefix="/admin/api/{version}", dependencies=[Depends(admin)])

    def answer(request: Request, body: dict, link: str = "") -> JSONResponse:
        headers = {"X-Shopify-Shop-Api-Call-Limit": request.state.call_limit,
                   "X-Shopify-API-Version": API_VERSION}
        if link:
            headers["Link"] = link
        return JSONResponse(_public(body), headers=headers)

    def order_of(order_id: int) -> dict:
        order = shop.orders.get(order_id)
        if order is None:
            raise ShopifyError(404, "Not Found")
        return order

    @api.get("/orders.json")
    def orders(request: Request) -> JSONResponse:
        """Orders matching status and updated_at/created_at filters, one cursor page."""
        pager = _Pager(request)
        f = pager.filters
        status = f.get("status", "open")
        found = [o for o in shop.orders.values()
                 if (status == "any" or (status == "cancelled") == bool(o["cancelled_at"]))
                 and all(_after(o, k, f) for k in ("updated_at", "created_at", "processed_at"))]
        field, _, direction = f.get("order", "id asc").partition(" ")
        if field not in ("id", "updated_at", "created_at", "processed_at"):
            raise ShopifyError(400, {"order": "Invalid value."})

        sign = -1 if direction == "desc" else 1

        def key(o: dict) -> list:
            return [sign * (_epoch(o[field]) if field != "id" else o["id"]), sign * o["id"]]
        found.sort(key=key)
        page, link = pager.page(found, key)
        return answer(request, {"orders": page}, link)

    @api.get("/orders/{order_id}.json")
    def order(request: Request, order_id: int) -> JSONResponse:
        """One order."""
        return answer(request, {"order": order_of(order_id)})

    @api.get("/orders/{order_id}/refunds.json")
    def refunds(request: Request, order_id: int) -> JSONResponse:
        """An order's refunds."""
        return answer(request, {"refunds": order_of(order_id)["refunds"]})

    @api.get("/orders/{order_id}/transactions.json")
    def transactions(request: Request, order_id: int) -> JSONResponse:
        """An order's transactions."""
        order_of(order_id)
        return answer(request, {"transactions": shop.transactions[order_id]})

    @api.get("/shopify_payments/payouts.json")
    def payouts(request: Request) -> JSONResponse:
        """Payouts, newest first, filtered by date_min, date_max and status."""
        pager = _Pager(request)
        f = pager.filters
        found = [p for p in shop.payouts
                 if p["date"] >= f.get("date_min", "") and p["date"] <= f.get("date_max", "9")
                 and f.get("status", p["status"]) == p["status"]]
        found.sort(key=lambda p: (p["date"], p["id"]), reverse=True)
        page, link = pager.page(found, lambda p: [-int(p["date"].replace("-", "")), -p["id"]])
        return answer(request, {"payouts": page}, link)

    @api.get("/shopify_payments/payouts/{payout_id}.json")
    def payout(request: Request, payout_id: int) -> JSONResponse:
        """One payout."""
        for item in shop.payouts:
            if item["id"] == payout_id:
                return answer(request, {"payout": item})
        raise ShopifyError(404, "Not Found")

    @api.get("/shopify_payments/balance/transactions.json")
    def balance(request: Request) -> JSONResponse:
        """Balance transactions, optionally of one payout, newest first."""
        pager = _Pager(request)
        wanted = pager.filters.get("payout_id")
        found = [t for t in reversed(shop.balance)
                 if wanted is None or str(t["payout_id"]) == wanted]
        page, link = pager.page(found, lambda t: [-shop.balance.index(t)])
        return answer(request, {"transactions": page}, link)

    app.include_router(api)

    # -- webhooks and test control ---------------------------------------------------------

    def send(topic: str, obj: dict) -> None:
        body = json.dumps(_public(obj)).encode()
        headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic,
                   "X-Shopify-Hmac-Sha256": signature(body, options.webhook_secret),
                   "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                   "X-Shopify-Shop-Domain": SHOP_DOMAIN, "X-Shopify-API-Version": API_VERSION,
                   "X-Shopify-Triggered-At": obj.get("updated_at") or obj.get("created_at", "")}
        deliveries.append({"topic": topic, "body": body, "headers": headers})
        deliver(len(deliveries) - 1)

    def deliver(index: int) -> int | None:
        if options.webhook_url is None:
            return None
        sent = deliveries[index]
        response = sender.post(options.webhook_url, content=sent["body"],
                               headers=sent["headers"])
        sent["status"] = response.status_code
        return response.status_code

    control = APIRouter(prefix="/_control")

    @control.post("/orders", status_code=201)
    def create_order(spec: dict[str, Any]) -> dict:
        """Create an order (see EmulatedShop.create_order) and send orders/create."""
        with lock:
            created = shop.create_order(spec)
            send("orders/create", created)
        return _public({"order": created})

    @control.post("/orders/{order_id}/edit")
    def edit_order(order_id: int, spec: dict[str, Any]) -> dict:
        """Edit a paid order (see EmulatedShop.edit_order); sends orders/updated."""
        with lock:
            edited = shop.edit_order(order_of(order_id)["id"], spec)
            send("orders/updated", edited)
        return _public({"order": edited})

    @control.post("/orders/{order_id}/refunds", status_code=201)
    def create_refund(order_id: int, spec: dict[str, Any]) -> dict:
        """Refund part of an order; sends refunds/create and orders/updated."""
        with lock:
            refund = shop.refund(order_of(order_id)["id"], spec)
            send("refunds/create", refund)
            send("orders/updated", shop.orders[order_id])
        return _public({"refund": refund})

    @control.post("/payouts", status_code=201)
    def create_payout() -> dict:
        """Pay out the Shopify Payments balance."""
        with lock:
            return {"payout": shop.payout()}

    @control.post("/clock")
    def advance(days: int = 1) -> dict:
        """Move the shop's clock on by whole days (orders and payouts on later dates)."""
        with lock:
            shop.advance(days)
            return {"now": shop.now()}

    @control.get("/webhooks")
    def webhooks() -> list[dict]:
        """Webhooks sent so far: topic, headers and the status the receiver answered."""
        return [{"topic": d["topic"], "headers": d["headers"], "status": d.get("status"),
                 "body": d["body"].decode()} for d in deliveries]

    @control.post("/webhooks/{index}/redeliver")
    def redeliver(index: int) -> dict:
        """Send a webhook again, unchanged (Shopify retries the same way)."""
        return {"status": deliver(index)}

    app.include_router(control)
    return app


def _epoch(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp).timestamp()


def _after(order: dict, field: str, filters: dict[str, str]) -> bool:
    low, high = filters.get(f"{field}_min"), filters.get(f"{field}_max")
    at = _epoch(order[field])
    return (low is None or at >= _epoch(low)) and (high is None or at <= _epoch(high))


def sandbox_app(options: SandboxOptions) -> FastAPI:
    """The emulator as ``ledgerbridge sandbox shopify`` serves it."""
    return create_emulator(options)
