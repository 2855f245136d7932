"""A local HubSpot account speaking the CRM v3/v4 wire format, for tests and the sandbox.

API routes (Bearer private-app token, or an OAuth access token from
``POST /oauth/v1/token``): objects (deals, line items, companies, contacts) listed,
by id, batch read, PATCH; deal search with ``hs_lastmodifieddate`` filters, sorts, ``after``
paging and the 10,000-result cap; v4 associations; deal pipelines. Errors use
HubSpot's body ``{status, message, correlationId, category}``; a rate limit set by a
test answers 429.

Test-control routes under ``/_emulator`` create and change records (as a user in
HubSpot would), move a deal's stage, set rate limits, expire OAuth tokens and issue
refresh tokens. Changes made there are sent as signed webhooks to
``options.webhook_url``; changes made through the API are not (HubSpot does not
notify an app of its own writes).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse

from ledgerbridge.connectors.hubspot.portal import (
    ASSOCIATION_TYPES,
    OBJECT_TYPES,
    PIPELINES,
    PRIMARY_TYPE,
    SINGULAR,
    Portal,
    PortalError,
)
from ledgerbridge.connectors.hubspot.stamps import iso, millis
from ledgerbridge.sandbox.emulators import SandboxOptions

__all__ = ["SEARCH_CAP", "create_emulator", "sandbox_app"]

SEARCH_CAP = 10_000
"""HubSpot's limit on the results one search query can page through."""
_DATE_PROPERTIES = frozenset({"createdate", "hs_lastmodifieddate", "closedate"})
_MAX_SEARCH_LIMIT = 200
_MAX_BATCH = 100


def sandbox_app(options: SandboxOptions) -> FastAPI:
    """The emulator for ``ledgerbridge sandbox hubspot``.

    ``api_key`` is the private-app token; ``webhook_secret`` is the app's client
    secret, which signs webhooks and authenticates OAuth refreshes.
    """
    return create_emulator(options)


def _object_type(name: str) -> str:
    if name not in OBJECT_TYPES:
        raise PortalError(400, f"Unable to infer object type from: {name}", "VALIDATION_ERROR")
    return name


def _names(values: list[str] | None) -> list[str] | None:
    """Query lists arrive repeated or comma-separated; accept both."""
    if not values:
        return None
    return [n for v in values for n in v.split(",") if n]


def _comparable(name: str, value: str | None) -> Any:
    if value is None:
        return None
    if name in _DATE_PROPERTIES:
        return millis(value)
    try:
        return Decimal(value)
    except InvalidOperation:
        return value


_OPERATORS = {
    "EQ": lambda a, b: a == b, "NEQ": lambda a, b: a != b,
    "GT": lambda a, b: a is not None and a > b, "GTE": lambda a, b: a is not None and a >= b,
    "LT": lambda a, b: a is not None and a < b, "LTE": lambda a, b: a is not None and a <= b,
    "HAS_PROPERTY": lambda a, _: a is not None, "NOT_HAS_PROPERTY": lambda a, _: a is None,
}


def _matches(record: dict, groups: list[dict]) -> bool:
    """Filter groups are ORed; the filters inside one group are ANDed."""
    def passes(flt: dict) -> bool:
        name, operator = flt["propertyName"], flt["operator"]
        if operator not in _OPERATORS:
            raise PortalError(400, f"unsupported operator {operator}", "VALIDATION_ERROR")
        have = _comparable(name, record["properties"].get(name))
        want = _comparable(name, flt.get("value"))
        return _OPERATORS[operator](have, want)
    return not groups or any(all(passes(f) for f in g.get("filters", [])) for g in groups)


def _search(portal: Portal, object_type: str, body: dict, cap: int) -> dict:
    limit = int(body.get("limit") or 10)
    if not 0 < limit <= _MAX_SEARCH_LIMIT:
        raise PortalError(400, f"limit must be between 1 and {_MAX_SEARCH_LIMIT}",
                          "VALIDATION_ERROR")
    after = int(body.get("after") or 0)
    if after >= cap:
        raise PortalError(400, f"paging past {cap} results is not allowed; narrow the search",
                          "VALIDATION_ERROR")
    found = [r for r in portal.records[object_type].values()
             if _matches(r, body.get("filterGroups") or [])]
    found.sort(key=lambda r: int(r["id"]))
    for sort in reversed(body.get("sorts") or []):
        name = sort if isinstance(sort, str) else sort["propertyName"]
        descending = not isinstance(sort, str) and sort.get("direction") == "DESCENDING"
        found.sort(key=lambda r, n=name: (_comparable(n, r["properties"].get(n)) is None,
                                          _comparable(n, r["properties"].get(n)) or 0),
                   reverse=descending)
    end = min(after + limit, cap, len(found))
    answer: dict[str, Any] = {
        "total": len(found),
        "results": [portal.view(object_type, r, body.get("properties"))
                    for r in found[after:end]],
    }
    if end < len(found):
        answer["paging"] = {"next": {"after": str(end)}}
    return answer


def _association_rows(portal: Portal, from_type: str, from_id: str, to_type: str) -> list:
    """v4 rows; the primary company carries the "Primary" type besides the unlabeled one."""
    plain = {"category": "HUBSPOT_DEFINED", "typeId": ASSOCIATION_TYPES.get((from_type, to_type)),
             "label": None}
    primary = portal.primary(from_type, from_id, to_type)
    first = {"category": "HUBSPOT_DEFINED", "typeId": PRIMARY_TYPE, "label": "Primary"}
    return [{"toObjectId": int(to_id),
             "associationTypes": [first, plain] if to_id == primary else [plain]}
            for to_id in portal.associated(from_type, from_id, to_type)]


def _v3_associations(portal: Portal, from_type: str, from_id: str, to_type: str) -> list:
    """v3 entries; the primary company is listed also under the plain type name."""
    label = f"{SINGULAR[from_type]}_to_{SINGULAR[to_type]}"
    primary = portal.primary(from_type, from_id, to_type)
    found = []
    for to_id in portal.associated(from_type, from_id, to_type):
        if primary is None or to_id == primary:
            found.append({"id": to_id, "type": label})
        if primary is not None:
            found.append({"id": to_id, "type": f"{label}_unlabeled"})
    return found


def create_emulator(options: SandboxOptions, *, search_cap: int = SEARCH_CAP) -> FastAPI:
    """A HubSpot emulator app; ``search_cap`` lowers the search limit for tests."""
    app = FastAPI(title="ledgerbridge HubSpot emulator")
    portal = Portal(private_token=options.api_key, client_secret=options.webhook_secret,
                    webhook_url=options.webhook_url)
    app.state.portal = portal

    @app.exception_handler(PortalError)
    async def portal_error(_: Request, exc: PortalError) -> JSONResponse:
        headers = {"Retry-After": "1"} if exc.status_code == 429 else None
        return JSONResponse(exc.body, status_code=exc.status_code, headers=headers)

    def api(request: Request, authorization: Annotated[str, Header()] = "") -> None:
        with portal.lock:
            portal.requests.append((request.method, request.url.path))
            portal.authenticate(authorization)
            portal.throttle()

    crm = APIRouter(dependencies=[Depends(api)])

    # -- OAuth ----------------------------------------------------------------------

    @app.post("/oauth/v1/token")
    async def token(request: Request) -> dict[str, Any]:
        """Exchange a refresh token for an access token (and a new refresh token)."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        with portal.lock:
            return portal.refresh(form)

    # -- CRM objects ------------------------------------------------------------------

    @crm.get("/crm/v3/objects/{object_type}")
    def page(object_type: str, limit: int = 10, after: str | None = None,
             properties: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
        """Records in id order, ``limit`` (up to 100) at a time after ``after``."""
        object_type = _object_type(object_type)
        if not 0 < limit <= _MAX_BATCH:
            raise PortalError(400, f"limit must be between 1 and {_MAX_BATCH}",
                              "VALIDATION_ERROR")
        with portal.lock:
            found = sorted(portal.records[object_type].values(), key=lambda r: int(r["id"]))
            start = int(after or 0)
            answer: dict[str, Any] = {"results": [
                portal.view(object_type, r, _names(properties))
                for r in found[start:start + limit]]}
        if start + limit < len(found):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return answer

    @crm.get("/crm/v3/objects/{object_type}/{object_id}")
    def read(object_type: str, object_id: str,
             properties: Annotated[list[str] | None, Query()] = None,
             associations: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
        """One record, with the asked properties and v3 associations."""
        object_type = _object_type(object_type)
        with portal.lock:
            record = portal.record(object_type, object_id)
            view = portal.view(object_type, record, _names(properties))
            linked = {}
            for to_type in _names(associations) or []:
                found = _v3_associations(portal, object_type, object_id, _object_type(to_type))
                if found:
                    linked[to_type] = {"results": found}
        return {**view, "associations": linked} if linked else view

    @crm.patch("/crm/v3/objects/{object_type}/{object_id}")
    def patch(object_type: str, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Change a record's properties (deals: only properties that exist)."""
        object_type = _object_type(object_type)
        properties = body.get("properties") or {}
        with portal.lock:
            if object_type == "deals":
                portal.check_deal_properties(properties)
            portal.update(object_type, object_id, properties)
            record = portal.record(object_type, object_id)
            return portal.view(object_type, record, list(properties))

    @crm.post("/crm/v3/objects/{object_type}/batch/read")
    def batch_read(object_type: str, body: dict[str, Any]) -> JSONResponse:
        """Up to 100 records by id; missing ids are reported as errors (HTTP 207)."""
        object_type = _object_type(object_type)
        inputs = [str(i["id"]) for i in body.get("inputs", [])]
        if len(inputs) > _MAX_BATCH:
            raise PortalError(400, f"at most {_MAX_BATCH} inputs", "VALIDATION_ERROR")
        with portal.lock:
            store = portal.records[object_type]
            results = [portal.view(object_type, store[i], body.get("properties"))
                       for i in inputs if i in store]
            missing = [i for i in inputs if i not in store]
        now = iso(dt.datetime.now(dt.UTC))
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                  "startedAt": now, "completedAt": now}
        if missing:
            answer.update(numErrors=1, errors=[{"status": "error", "category": "OBJECT_NOT_FOUND",
                                                "message": "Could not get some records",
                                                "context": {"ids": missing}}])
        return JSONResponse(answer, status_code=207 if missing else 200)

    @crm.post("/crm/v3/objects/{object_type}/search")
    def search(object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """Search with filter groups, sorts, limit (up to 200) and ``after`` paging."""
        object_type = _object_type(object_type)
        with portal.lock:
            return _search(portal, object_type, body, search_cap)

    # -- associations and pipelines -----------------------------------------------------

    @crm.get("/crm/v4/objects/{from_type}/{object_id}/associations/{to_type}")
    def associations(from_type: str, object_id: str, to_type: str) -> dict[str, Any]:
        """The records of ``to_type`` linked to one record (v4)."""
        from_type, to_type = _object_type(from_type), _object_type(to_type)
        with portal.lock:
            portal.record(from_type, object_id)
            return {"results": _association_rows(portal, from_type, object_id, to_type)}

    @crm.post("/crm/v4/associations/{from_type}/{to_type}/batch/read")
    def association_batch(from_type: str, to_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """Linked records of many records at once (v4)."""
        from_type, to_type = _object_type(from_type), _object_type(to_type)
        with portal.lock:
            results = [{"from": {"id": str(i["id"])},
                        "to": _association_rows(portal, from_type, str(i["id"]), to_type)}
                       for i in body.get("inputs", [])
                       if str(i["id"]) in portal.records[from_type]]
        return {"status": "COMPLETE", "results": results}

    @crm.get("/crm/v3/pipelines/{object_type}")
    def pipelines(object_type: str) -> dict[str, Any]:
        """The deal pipelines and their stages (probability "1.0" is won)."""
        if object_type != "deals":
            raise PortalError(404, "resource not found")
        return {"results": list(PIPELINES)}

    app.include_router(crm)

    # -- test control -----------------------------------------------------------------------

    @app.post("/_emulator/objects/{object_type}", status_code=201)
    def control_create(object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create a record as a user would ({properties, associations}); sends x.creation."""
        object_type = _object_type(object_type)
        with portal.lock:
            record = portal.create(object_type, body.get("properties") or {},
                                   body.get("associations") or {})
            events = [portal.event(object_type, "creation", record["id"])]
        portal.send(events)
        return record

    @app.patch("/_emulator/objects/{object_type}/{object_id}")
    def control_update(object_type: str, object_id: str,
                       body: dict[str, Any]) -> dict[str, Any]:
        """Change a record as a user would; sends one x.propertyChange per change."""
        object_type = _object_type(object_type)
        properties = body.get("properties") or {}
        with portal.lock:
            changed = portal.update(object_type, object_id, properties)
            events = [portal.event(object_type, "propertyChange", object_id, n, properties[n])
                      for n in changed]
            record = portal.record(object_type, object_id)
        portal.send(events)
        return record

    @app.post("/_emulator/deals/{deal_id}/stage")
    def control_stage(deal_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Move a deal to another stage ({"stage": "closedwon"})."""
        return control_update("deals", deal_id, {"properties": {"dealstage": body["stage"]}})

    @app.post("/_emulator/rate-limit")
    def control_rate_limit(body: dict[str, Any]) -> dict[str, int]:
        """Answer the next ``count`` API requests with 429."""
        portal.rate_limited = int(body["count"])
        return {"count": portal.rate_limited}

    @app.post("/_emulator/oauth/grant")
    def control_grant() -> dict[str, str]:
        """Install the OAuth app: its client id and a first refresh token."""
        with portal.lock:
            return {"client_id": portal.client_id, "refresh_token": portal.grant()}

    @app.post("/_emulator/oauth/expire")
    def control_expire() -> dict[str, int]:
        """Expire every OAuth access token issued so far."""
        with portal.lock:
            portal.expire_tokens()
            return {"expired": len(portal.access_tokens)}

    @app.post("/_emulator/webhooks")
    def control_webhooks(body: dict[str, Any]) -> dict[str, str]:
        """Choose the signature version of outgoing webhooks ("v1", "v2" or "v3")."""
        portal.signature_version = body["signature_version"]
        return {"signature_version": portal.signature_version}

    @app.get("/_emulator/requests")
    def control_requests() -> list[list[str]]:
        """Every API request received so far, as [method, path]."""
        return [list(r) for r in portal.requests]

    return app
