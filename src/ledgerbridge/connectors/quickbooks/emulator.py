"""A local QuickBooks Online company speaking the v3 JSON API, for tests and the sandbox.

API routes: ``GET /connect/oauth2`` (the consent page: redirects 302 to the
``redirect_uri`` with ``code``, ``state`` and ``realmId``, as a user's "Connect"
does); ``POST /oauth2/v1/tokens/bearer`` (authorization_code grants, checked
against the consent's ``redirect_uri`` and PKCE challenge, and refresh_token grants,
HTTP Basic client credentials, refresh tokens rotated on every use);
``/v3/company/{realm}/query`` (GET ``?query=`` or POST text), ``/cdc``, read by id,
create/update of the entities in :data:`ENTITIES` with SyncToken concurrency and
``requestid`` idempotency, and ``?operation=delete``. A BillPayment moves the
``Balance`` of the bills its lines link to (and gives it back when deleted).
Errors are Intuit ``Fault`` bodies; throttling is 429.

Every change is sent to ``options.webhook_url`` as an ``eventNotifications`` body
signed with ``intuit-signature`` (base64 HMAC-SHA256 under the verifier token).
Test-control routes under ``/_emulator`` change records as a user would, issue
authorization codes, reset the company, expire access tokens and inject faults: throttling, and a
write that is saved and then times out or fails (an uncertain outcome).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Header, Query, Request
from fastapi.responses import RedirectResponse, Response

from ledgerbridge.connectors import oauth
from ledgerbridge.connectors.quickbooks.company import ENTITIES, Company, QboFault, stamp
from ledgerbridge.connectors.quickbooks.wire import dumps, loads, sign
from ledgerbridge.sandbox.emulators import SandboxOptions

__all__ = ["CLIENT_ID", "REALM_ID", "SCOPE", "create_emulator", "sandbox_app"]

CLIENT_ID = "ABsandboxClientId"
REALM_ID = "9130357000000001"
SCOPE = "com.intuit.quickbooks.accounting"
_BY_PATH = {name.lower(): name for name in ENTITIES}


def sandbox_app(options: SandboxOptions) -> FastAPI:
    """The emulator for ``ledgerbridge sandbox quickbooks``.

    ``api_key`` is the app's client secret (client id :data:`CLIENT_ID`), and
    ``webhook_secret`` its webhook verifier token.
    """
    return create_emulator(options)


def _json(body: Any, status: int = 200) -> Response:
    return Response(dumps(body), status_code=status, media_type="application/json")


def create_emulator(options: SandboxOptions, *, realm_id: str = REALM_ID,
                    write_timeout: float = 2.0, per_minute: int | None = None,
                    code_seconds: float = 300) -> FastAPI:
    """The emulator app; ``app.state.company`` is the company behind it.

    ``per_minute`` limits API calls per rolling minute as Intuit does (429 with
    fault 3001 beyond it); None: no limit. A code from the consent page expires
    after ``code_seconds``.
    """
    company = Company(realm_id, CLIENT_ID, options.api_key, options.webhook_secret,
                      per_minute=per_minute)
    app = FastAPI(title="QuickBooks Online emulator")
    app.state.company = company
    consents: dict[str, tuple[str, str | None, float]] = {}
    """Code -> (redirect_uri, PKCE challenge, expiry) of each consent given on the page."""

    @app.exception_handler(QboFault)
    async def _fault(_request: Request, exc: QboFault) -> Response:
        if exc.code == "invalid_grant":
            return _json({"error": "invalid_grant"}, exc.status)
        return _json(exc.body(), exc.status)

    def notify(changes: list[tuple[str, dict[str, Any], str]]) -> None:
        if not options.webhook_url or not changes:
            return
        entities = [{"name": entity, "id": record["Id"], "operation": operation,
                     "lastUpdated": record.get("MetaData", {}).get("LastUpdatedTime")
                     or stamp(_now())}
                    for entity, record, operation in changes]
        body = dumps({"eventNotifications": [{"realmId": realm_id,
                                              "dataChangeEvent": {"entities": entities}}]})
        httpx.post(options.webhook_url, content=body, timeout=30,
                  headers={"content-type": "application/json",
                           "intuit-signature": sign(body.encode(), company.verifier_token)})

    def authorize(realm: str, authorization: str | None) -> None:
        if realm != realm_id:
            raise QboFault(403, "3100", "ApplicationAuthorizationFailed",
                           f"realm {realm} is not authorized", "AUTHORIZATION")
        token = (authorization or "").removeprefix("Bearer ").strip()
        if token not in company.access_tokens:
            raise QboFault(401, "3200", "message=AuthenticationFailed; errorCode=003200; "
                           "statusCode=401", "", "AUTHENTICATION")
        with company.lock:
            if company.throttled > 0 or company.over_limit():
                company.throttled = max(0, company.throttled - 1)
                raise QboFault(429, "3001", "message=ThrottleExceeded; errorCode=003001; "
                               "statusCode=429", "The request limit was reached.  Try again "
                               "later", "SERVICE")

    @app.get("/connect/oauth2")
    async def consent(client_id: str, redirect_uri: str, state: str, scope: str,
                      response_type: str = "code", code_challenge: str | None = None,
                      code_challenge_method: str = "S256") -> Response:
        if client_id != company.client_id:
            return _json({"error": "invalid_client", "error_description":
                          f"unknown client_id {client_id}"}, 400)
        if response_type != "code" or SCOPE not in scope.split() or (
                code_challenge is not None and code_challenge_method != "S256"):
            return _json({"error": "invalid_request", "error_description":
                          f"need response_type=code and scope {SCOPE}"}, 400)
        code = company.issue_code()
        consents[code] = (redirect_uri, code_challenge, time.monotonic() + code_seconds)
        query = urlencode({"code": code, "state": state, "realmId": realm_id})
        return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)

    @app.post("/oauth2/v1/tokens/bearer")
    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        auth = httpx.BasicAuth(company.client_id, company.client_secret)
        expected = next(auth.auth_flow(httpx.Request("POST", "/"))).headers["authorization"]
        if request.headers.get("authorization") != expected:
            return _json({"error": "invalid_client"}, 401)
        if form.get("grant_type") == "authorization_code" and form.get("code") in consents:
            redirect_uri, challenge, expiry = consents.pop(form["code"])
            verifier = form.get("code_verifier")
            proven = challenge is None or (verifier is not None
                                           and oauth.code_challenge(verifier) == challenge)
            if time.monotonic() > expiry or form.get("redirect_uri") != redirect_uri or not proven:
                company.codes.discard(form["code"])  # a code is tried once
                return _json({"error": "invalid_grant"}, 400)
        return _json(company.grant(form))

    @app.api_route("/v3/company/{realm}/query", methods=["GET", "POST"])
    async def query(realm: str, request: Request,
                    authorization: Annotated[str | None, Header()] = None) -> Response:
        authorize(realm, authorization)
        text = request.query_params.get("query") or (await request.body()).decode()
        return _json({"QueryResponse": company.query(text), "time": stamp(_now())})

    @app.get("/v3/company/{realm}/cdc")
    async def cdc(realm: str, entities: str, changed_since: Annotated[str, Query(
                  alias="changedSince")], authorization: Annotated[str | None, Header()] = None
                  ) -> Response:
        authorize(realm, authorization)
        since = dt.datetime.fromisoformat(changed_since)
        since = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
        answers = company.changed_since(entities.split(","), since)
        return _json({"CDCResponse": [{"QueryResponse": answers}], "time": stamp(_now())})

    @app.get("/v3/company/{realm}/{entity}/{entity_id}")
    async def read(realm: str, entity: str, entity_id: str,
                   authorization: Annotated[str | None, Header()] = None) -> Response:
        authorize(realm, authorization)
        name = _entity(entity)
        return _json({name: company.get(name, entity_id), "time": stamp(_now())})

    @app.post("/v3/company/{realm}/{entity}")
    async def save(realm: str, entity: str, request: Request,
                   authorization: Annotated[str | None, Header()] = None) -> Response:
        authorize(realm, authorization)
        name = _entity(entity)
        request_id = request.query_params.get("requestid")
        body = loads(await request.body())
        with company.lock:
            if request_id and request_id in company.answered:
                status, answered = company.answered[request_id]
                return _json(answered, status)
            if request.query_params.get("operation") == "delete":
                operation, record = "Delete", company.delete(name, body)
            else:
                operation = "Update" if "Id" in body else "Create"
                record = company.save(name, body)
            answer = {name: record, "time": stamp(_now())}
            if request_id:
                company.answered[request_id] = (200, answer)
            failure = company.after_write.pop(0) if company.after_write else None
        notify([(name, record, operation)])
        if failure == "timeout":
            await asyncio.sleep(write_timeout)
        elif failure == "error":
            return _json(QboFault(503, "10000", "An application error has occurred while "
                                  "processing your request", "", "SystemFault").body(), 503)
        return _json(answer)

    # -- test control ------------------------------------------------------------------

    @app.post("/_emulator/entities/{entity}")
    async def user_save(entity: str, request: Request) -> Response:
        body = loads(await request.body())
        name = _entity(entity)
        record = company.save(name, body)
        notify([(name, record, "Update" if "Id" in body else "Create")])
        return _json(record)

    @app.post("/_emulator/reset")
    async def reset() -> Response:
        company.reset()
        return _json({"reset": True})

    @app.post("/_emulator/codes")
    async def code() -> Response:
        return _json({"code": company.issue_code(), "realmId": realm_id})

    @app.post("/_emulator/expire")
    async def expire() -> Response:
        company.expire_access_tokens()
        return _json({"expired": True})

    @app.post("/_emulator/faults")
    async def faults(request: Request) -> Response:
        wanted = loads(await request.body())
        with company.lock:
            company.throttled = int(wanted.get("throttle", company.throttled))
            company.after_write.extend(wanted.get("after_write", ()))
        return _json({"throttle": company.throttled, "after_write": company.after_write})

    return app


def _entity(path: str) -> str:
    name = _BY_PATH.get(path.lower())
    if name is None:
        raise QboFault(400, "4000", "Unsupported entity", path)
    return name


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
