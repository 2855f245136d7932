"""``/unified/v1``: the unified accounting API over the ledger, QuickBooks and Xero.

``?connection=NAME`` picks the adapter (default: the ledger). Lists take
``updated_since`` (ISO 8601), ``cursor`` (from ``next_cursor``) and ``limit``;
writes take a canonical document as the body, ``accept_gaps=true`` to go ahead
without fields the package cannot carry (they are reported), and an update needs
``If-Match`` with the version read. Every error is an RFC 7807 problem document.
Changes are announced to webhook subscribers after each write.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, BackgroundTasks, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ledgerbridge.documents import Document, DocumentError, parse_document
from ledgerbridge.unified.adapters import adapter_for
from ledgerbridge.unified.errors import (
    BadRequest,
    Forbidden,
    NotAuthorized,
    PreconditionRequired,
    UnifiedError,
)
from ledgerbridge.unified.ledger_adapter import LEDGER
from ledgerbridge.unified.model import KINDS, FieldGap, Page, Record
from ledgerbridge.unified.protocol import AccountingAdapter
from ledgerbridge.unified.webhooks import announce, deliver, subscribe, subscriptions, unsubscribe
from ledgerbridge.web import Auth
from ledgerbridge.web.users import Role, User

__all__ = ["install_unified_api"]

PREFIX = "/unified/v1"
_CACHE_SECONDS = 30.0
PROBLEM = "application/problem+json"


class Gaps(BaseModel):
    """What an adapter serves and, per document type, the fields it cannot carry."""

    connection: str
    system: str
    kinds: tuple[str, ...]
    gaps: dict[str, tuple[FieldGap, ...]]


class NewSubscription(BaseModel):
    """A webhook subscription to create; a secret is made when none is given."""

    url: str
    kinds: tuple[str, ...] = Field(min_length=1)
    secret: str | None = Field(default=None, min_length=16)


class SubscriptionOut(BaseModel):
    """A webhook subscription; ``secret`` only in the answer that created it."""

    id: int
    url: str
    kinds: tuple[str, ...]
    active: bool
    secret: str | None = None


def _problem(request: Request, exc: UnifiedError) -> JSONResponse:
    return JSONResponse(exc.problem(str(request.url.path)), status_code=exc.status,
                        media_type=PROBLEM)


def _moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"updated_since {text!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _limit(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f"limit {text!r} is not a whole number") from None


def _flag(text: str) -> bool:
    if text.lower() not in ("true", "false", "1", "0"):
        raise BadRequest(f"accept_gaps {text!r} is not true or false")
    return text.lower() in ("true", "1")


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise BadRequest(f"{kind!r} is not a kind of this API; the kinds are "
                         f"{', '.join(KINDS)}")
    return kind


async def _document(request: Request) -> Document:
    body = await request.body()
    try:
        return parse_document(body)
    except DocumentError as exc:
        raise BadRequest(str(exc), problems=[{"field": p, "reason": r}
                                             for p, r in exc.problems]) from None


class _Adapters:
    """Adapters by connection name, reused briefly so their token sessions are kept."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[str, tuple[float, AccountingAdapter]] = {}

    def get(self, connection: str | None) -> AccountingAdapter:
        name = connection or LEDGER
        hit = self._cache.get(name)
        if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
            return hit[1]
        adapter = adapter_for(self.engine, name)
        self._cache[name] = (time.monotonic(), adapter)
        return adapter


def _after_write(engine: Engine) -> Callable[[], None]:
    def announce_and_deliver() -> None:
        announce(engine)
        deliver(engine)
    return announce_and_deliver


def unified_router(engine: Engine, auth: Auth) -> APIRouter:
    """The unified API routes on one database, behind the API's bearer tokens."""
    router = APIRouter(prefix=PREFIX, tags=["unified"])
    adapters = _Adapters(engine)

    async def reader(request: Request) -> User:
        try:
            return await auth.api_user(request)
        except HTTPException as exc:
            raise NotAuthorized(f"{exc.detail}: send Authorization: Bearer <token> (make one "
                                "with `ledgerbridge users token`)") from None

    async def writer(request: Request) -> User:
        user = await reader(request)
        if not user.can(Role.ACCOUNTANT):
            raise Forbidden(f"writing needs the accountant role; {user.name} is a "
                            f"{user.role.value}")
        return user

    @router.get("/gaps", response_model=Gaps)
    async def gaps(request: Request, connection: str | None = None) -> Gaps:
        """The kinds an adapter serves and the fields it cannot carry."""
        await reader(request)
        adapter = await run_in_threadpool(adapters.get, connection)
        return Gaps(connection=adapter.connection, system=adapter.system,
                    kinds=adapter.kinds, gaps=adapter.gaps)

    @router.post("/webhooks", response_model=SubscriptionOut, status_code=201)
    async def add_webhook(request: Request, body: NewSubscription) -> SubscriptionOut:
        """Subscribe a URL to changes of some kinds; the secret is shown this once."""
        await writer(request)
        made = await run_in_threadpool(subscribe, engine, body.url, body.kinds,
                                       secret=body.secret)
        return SubscriptionOut(id=made.id, url=made.url, kinds=made.kinds, active=True,
                               secret=made.secret)

    @router.get("/webhooks", response_model=list[SubscriptionOut])
    async def list_webhooks(request: Request) -> list[SubscriptionOut]:
        """The subscriptions, without their secrets."""
        await reader(request)
        found = await run_in_threadpool(subscriptions, engine)
        return [SubscriptionOut(id=s.id, url=s.url, kinds=s.kinds, active=s.active)
                for s in found]

    @router.delete("/webhooks/{subscription_id}", status_code=204)
    async def remove_webhook(request: Request, subscription_id: int) -> Response:
        """Stop a subscription."""
        await writer(request)
        await run_in_threadpool(unsubscribe, engine, subscription_id)
        return Response(status_code=204)

    @router.get("/{kind}", response_model=Page)
    async def list_records(request: Request, kind: str, connection: str | None = None,
                           updated_since: str | None = None, cursor: str | None = None,
                           limit: str = "100") -> Page:
        """A page of records, oldest change first; follow ``next_cursor`` for more."""
        await reader(request)
        adapter = await run_in_threadpool(adapters.get, connection)
        return await run_in_threadpool(adapter.list, _kind(kind),
                                       updated_since=_moment(updated_since), cursor=cursor,
                                       limit=_limit(limit))

    @router.get("/{kind}/{record_id}", response_model=Record)
    async def get_record(request: Request, response: Response, kind: str, record_id: str,
                         connection: str | None = None) -> Record:
        """One record; its version is also the ``ETag``."""
        await reader(request)
        adapter = await run_in_threadpool(adapters.get, connection)
        record = await run_in_threadpool(adapter.get, _kind(kind), record_id)
        response.headers["ETag"] = f'"{record.version}"'
        return record

    @router.post("/{kind}", response_model=Record, status_code=201)
    async def create_record(request: Request, response: Response, kind: str,
                            tasks: BackgroundTasks, connection: str | None = None,
                            accept_gaps: str = "false") -> Record:
        """Create a record from a canonical document."""
        await writer(request)
        adapter = await run_in_threadpool(adapters.get, connection)
        document = await _document(request)
        record = await run_in_threadpool(lambda: adapter.create(
            _kind(kind), document, accept_gaps=_flag(accept_gaps)))
        response.headers["ETag"] = f'"{record.version}"'
        tasks.add_task(_after_write(engine))
        return record

    @router.put("/{kind}/{record_id}", response_model=Record)
    async def update_record(request: Request, response: Response, kind: str, record_id: str,
                            tasks: BackgroundTasks, connection: str | None = None,
                            accept_gaps: str = "false") -> Record:
        """Replace a record's content; ``If-Match`` must name the version read."""
        await writer(request)
        version = request.headers.get("if-match", "").strip().strip('"')
        if not version:
            raise PreconditionRequired(f"send If-Match with the version of {kind} {record_id} "
                                       "you read (its ETag), so no one's change is overwritten")
        adapter = await run_in_threadpool(adapters.get, connection)
        document = await _document(request)
        record = await run_in_threadpool(lambda: adapter.update(
            _kind(kind), record_id, document, version=version,
            accept_gaps=_flag(accept_gaps)))
        response.headers["ETag"] = f'"{record.version}"'
        tasks.add_task(_after_write(engine))
        return record

    return router


def install_unified_api(app: FastAPI, engine: Engine, auth: Auth) -> None:
    """Mount the unified API on ``app``, with its errors answered as problem documents."""
    app.include_router(unified_router(engine, auth))

    @app.exception_handler(UnifiedError)
    async def _unified_problem(request: Request, exc: UnifiedError) -> Any:
        return _problem(request, exc)
