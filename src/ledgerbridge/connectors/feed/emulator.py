"""A local document feed that answers like the ``feed`` connector expects.

For tests and the sandbox: documents are kept in memory; ``POST /documents`` adds
one (or a new version of one), ``GET /documents`` lists them oldest first with
``updated_since``, ``limit`` and an opaque ``cursor``; a wrong token gets 401.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query

__all__ = ["create_emulator"]


def _stamp(document: dict[str, Any]) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(document["source"]["updated_at"])
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def create_emulator(token: str) -> FastAPI:
    """A feed emulator app accepting ``token`` as its bearer token."""
    app = FastAPI(title="ledgerbridge feed emulator")
    store: dict[tuple[str, str], dict[str, Any]] = {}

    def authorized(authorization: str = Header(default="")) -> None:
        if authorization != f"Bearer {token}":
            raise HTTPException(status_code=401, detail="invalid token")

    @app.post("/documents", dependencies=[Depends(authorized)], status_code=201)
    def add(document: dict[str, Any]) -> dict[str, str]:
        """Add a document or a new version of one (it needs source.updated_at)."""
        try:
            _stamp(document)
            key = (document["type"], document["source"]["external_id"])
        except (KeyError, TypeError, ValueError):
            raise HTTPException(422, "a document needs type, source.external_id and "
                                     "source.updated_at") from None
        store[key] = document
        return {"status": "stored"}

    @app.get("/documents", dependencies=[Depends(authorized)])
    def documents(
        updated_since: dt.datetime | None = None,
        limit: int = Query(default=100, ge=1, le=1000),
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Documents updated at or after ``updated_since``, oldest first, paged."""
        since = updated_since
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        items = sorted(
            (d for d in store.values() if since is None or _stamp(d) >= since),
            key=lambda d: (_stamp(d), d["source"]["external_id"]),
        )
        start = int(base64.urlsafe_b64decode(cursor.encode())) if cursor else 0
        page = items[start:start + limit]
        more = start + limit < len(items)
        next_cursor = base64.urlsafe_b64encode(str(start + limit).encode()).decode() \
            if more else None
        return {"documents": page, "next_cursor": next_cursor}

    return app
