"""A local Salesforce org speaking the REST API, for tests and the sandbox.

Served routes, as Salesforce answers them:

- ``POST /services/oauth2/token``: ``grant_type=client_credentials`` or
  ``refresh_token``; bad credentials get 400 ``{error, error_description}``.
- ``GET /services/data/vXX.X/query?q=SOQL`` (the subset in ``_soql``) in batches:
  ``done: false`` and ``nextRecordsUrl`` -> ``GET .../query/01g...-2000``. The batch
  size is the emulator's, or smaller with ``Sforce-Query-Options: batchSize=N``.
- ``GET``/``PATCH /services/data/vXX.X/sobjects/{type}/{id}`` (PATCH answers 204).

A bearer token that expired gets 401 INVALID_SESSION_ID; past the API request
limit every data call gets 403 REQUEST_LIMIT_EXCEEDED. Test-control routes under
``/_emulator`` create and change records, close opportunities, pin the clock,
expire sessions and set the remaining API calls.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import random
import re
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response

from ledgerbridge.connectors.exact_json import dumps, loads
from ledgerbridge.connectors.salesforce._org import Org, OrgError, render_value
from ledgerbridge.connectors.salesforce._soql import run
from ledgerbridge.sandbox.emulators import SandboxOptions

__all__ = ["create_emulator", "sandbox_app"]

_VERSION = re.compile(r"^v\d+\.\d$")
_BATCH_OPTION = re.compile(r"batchSize=(\d+)")


def _json(value: Any, status: int = 200) -> Response:
    return Response(dumps(value), status_code=status, media_type="application/json")


def _error(exc: OrgError) -> Response:
    return _json([{"message": exc.message, "errorCode": exc.code, "fields": []}], exc.status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = loads(await request.body() or b"{}")
    except ValueError:
        raise OrgError(400, "JSON_PARSER_ERROR", "The request body is not JSON") from None
    if not isinstance(data, dict):
        raise OrgError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    return data


class _Api:
    """Sessions, query cursors and the request budget of one emulated org."""

    def __init__(self, org: Org, *, client_id: str, client_secret: str,
                 refresh_token: str | None, batch_size: int, remaining: int | None) -> None:
        self.org = org
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.batch_size = batch_size
        self.sessions: set[str] = set()
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self.remaining = remaining
        self._locators = itertools.count(1)

    def token(self, form: dict[str, str], instance_url: str) -> Response:
        """The OAuth token answer for a client-credentials or refresh-token form."""
        grant = form.get("grant_type")
        if grant not in ("client_credentials", "refresh_token"):
            return _json({"error": "unsupported_grant_type",
                          "error_description": "grant type not supported"}, 400)
        if form.get("client_id") != self.client_id \
                or form.get("client_secret") != self.client_secret:
            return _json({"error": "invalid_client",
                          "error_description": "invalid client credentials"}, 400)
        if grant == "refresh_token" and (self.refresh_token is None
                                         or form.get("refresh_token") != self.refresh_token):
            return _json({"error": "invalid_grant",
                          "error_description": "expired access/refresh token"}, 400)
        session = "00D5g000000EMUL!" + secrets.token_urlsafe(24)
        self.sessions.add(session)
        issued_at = str(int(dt.datetime.now(dt.UTC).timestamp() * 1000))
        identity = f"{instance_url}/id/00D5g000000EMULAAA/0055g000000EMULAAA"
        signature = hmac.new(self.client_secret.encode(), (identity + issued_at).encode(),
                             hashlib.sha256).digest()
        return _json({"access_token": session, "instance_url": instance_url, "id": identity,
                      "token_type": "Bearer", "issued_at": issued_at,
                      "signature": base64.b64encode(signature).decode()})

    def authorize(self, request: Request) -> None:
        """Refuse an unknown session, and any call past the request limit."""
        scheme, _, session = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or session not in self.sessions:
            raise OrgError(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if self.remaining is not None:
            if self.remaining <= 0:
                raise OrgError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.remaining -= 1

    def size(self, request: Request) -> int:
        """The batch size: the org's, or smaller if the request asks for it."""
        asked = _BATCH_OPTION.search(request.headers.get("sforce-query-options", ""))
        return min(self.batch_size, int(asked.group(1))) if asked else self.batch_size

    def batch(self, request: Request, version: str, records: list[dict[str, Any]],
              locator: str | None = None, start: int = 0) -> dict[str, Any]:
        """The batch of ``records`` from ``start``; the query locator is kept until the end."""
        end = start + self.size(request)
        answer: dict[str, Any] = {"totalSize": len(records), "done": end >= len(records),
                                  "records": records[start:end]}
        if answer["done"]:
            self.cursors.pop(locator or "", None)
        else:
            locator = locator or f"01g5g{next(self._locators):010d}"
            self.cursors[locator] = records
            answer["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{end}"
        return answer


def create_emulator(*, client_id: str = "ledgerbridge", client_secret: str = "emulator-secret",
                    refresh_token: str | None = None, org: Org | None = None,
                    batch_size: int = 2000, request_limit: int | None = None) -> FastAPI:
    """An emulated org accepting these OAuth client credentials (and refresh token).

    ``request_limit`` is how many data calls it answers before REQUEST_LIMIT_EXCEEDED
    (None: no limit).
    """
    app = FastAPI(title="ledgerbridge Salesforce emulator")
    api = _Api(org or Org(), client_id=client_id, client_secret=client_secret,
               refresh_token=refresh_token, batch_size=batch_size, remaining=request_limit)
    app.state.api = api

    @app.exception_handler(OrgError)
    async def refused(request: Request, exc: OrgError) -> Response:
        return _error(exc)

    def data_call(request: Request, version: str) -> None:
        if not _VERSION.match(version):
            raise OrgError(404, "NOT_FOUND", "The requested resource does not exist")
        api.authorize(request)

    @app.post("/services/oauth2/token")
    async def token(request: Request) -> Response:
        """Issue an access token for client credentials or a refresh token."""
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        return api.token(form, str(request.base_url).rstrip("/"))

    @app.get("/services/data/{version}/query")
    def query(request: Request, version: str, q: str = "") -> Response:
        """Run a SOQL query; the first batch, with nextRecordsUrl if there is more."""
        data_call(request, version)
        return _json(api.batch(request, version, run(api.org, q, version)))

    @app.get("/services/data/{version}/query/{locator}-{start}")
    def query_more(request: Request, version: str, locator: str, start: int) -> Response:
        """The next batch of an earlier query."""
        data_call(request, version)
        if locator not in api.cursors:
            raise OrgError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return _json(api.batch(request, version, api.cursors[locator], locator, start))

    @app.get("/services/data/{version}/sobjects/{sobject}/{record_id}")
    def get_record(request: Request, version: str, sobject: str, record_id: str) -> Response:
        """A record with all its fields."""
        data_call(request, version)
        record = api.org.get(sobject, record_id)
        attributes = {"type": sobject,
                      "url": f"/services/data/{version}/sobjects/{sobject}/{record_id}"}
        return _json({"attributes": attributes,
                      **{k: render_value(v) for k, v in record.items()}})

    @app.patch("/services/data/{version}/sobjects/{sobject}/{record_id}", status_code=204)
    async def patch_record(request: Request, version: str, sobject: str,
                           record_id: str) -> Response:
        """Update fields of a record; 204 with no body."""
        data_call(request, version)
        api.org.update(sobject, record_id, await _body(request))
        return Response(status_code=204)

    _control_routes(app, api)
    return app


def _control_routes(app: FastAPI, api: _Api) -> None:
    """Test-control routes: what a person would do in the Salesforce UI."""

    @app.post("/_emulator/records/{sobject}", status_code=201)
    async def create(request: Request, sobject: str) -> Response:
        """Create a record; answers its id."""
        record = api.org.create(sobject, await _body(request))
        return _json({"id": record["Id"], "success": True, "errors": []}, 201)

    @app.patch("/_emulator/records/{sobject}/{record_id}")
    async def change(request: Request, sobject: str, record_id: str) -> Response:
        """Change fields of a record (its SystemModstamp advances)."""
        record = api.org.update(sobject, record_id, await _body(request))
        return _json({k: render_value(v) for k, v in record.items()})

    @app.post("/_emulator/opportunities/{record_id}/close")
    async def close(request: Request, record_id: str) -> Response:
        """Close an opportunity: ``{"won": true}`` or ``{"won": false}``."""
        record = api.org.close(record_id, won=bool((await _body(request)).get("won", True)))
        return _json({k: render_value(v) for k, v in record.items()})

    @app.post("/_emulator/clock")
    async def clock(request: Request) -> Response:
        """Pin the clock to ``{"now": ISO datetime}``, or let it run with ``null``."""
        now = (await _body(request)).get("now")
        api.org.frozen_at = None if now is None else dt.datetime.fromisoformat(now)
        return _json({"now": now})

    @app.post("/_emulator/sessions/expire")
    def expire() -> Response:
        """End every session: the next data call gets INVALID_SESSION_ID."""
        api.sessions.clear()
        return _json({"expired": True})

    @app.post("/_emulator/limits")
    async def limits(request: Request) -> Response:
        """Allow ``{"remaining": N}`` more data calls (``null``: no limit)."""
        api.remaining = (await _body(request)).get("remaining")
        return _json({"remaining": api.remaining})


def _seed(org: Org, seed: int) -> None:
    """A few accounts, products and opportunities, some won, reproducible from ``seed``."""
    rng = random.Random(seed)
    owner = org.create("User", {"Name": "Dana Seller", "Email": "dana@example.com"})
    products = [org.create("Product2", {"Name": name, "ProductCode": code})
                for name, code in (("Platform licence", "LIC"), ("Onboarding", "ONB"),
                                   ("Support plan", "SUP"))]
    for n, name in enumerate(("Acme Corp", "Globex", "Initech", "Umbrella"), start=1):
        account = org.create("Account", {"Name": name, "BillingCity": "Springfield",
                                         "BillingCountry": "US"})
        opportunity = org.create("Opportunity", {
            "Name": f"{name} - FY27", "AccountId": account["Id"], "OwnerId": owner["Id"],
            "StageName": "Negotiation/Review", "CloseDate": f"2026-12-{n:02d}",
            "Payment_Terms__c": "Net 30"})
        for product in rng.sample(products, 2):
            org.create("OpportunityLineItem", {
                "OpportunityId": opportunity["Id"], "Product2Id": product["Id"],
                "Name": product["Name"], "Quantity": Decimal(rng.randint(1, 5)),
                "UnitPrice": Decimal(rng.randint(100, 2000)) + Decimal("0.50")})
        if n % 2:
            org.close(opportunity["Id"], won=True)


def sandbox_app(options: SandboxOptions) -> FastAPI:
    """The sandbox org: client secret ``options.api_key``, sample data from ``options.seed``."""
    org = Org()
    _seed(org, options.seed)
    return create_emulator(client_id="ledgerbridge", client_secret=options.api_key, org=org,
                           refresh_token="sandbox-refresh-token")
