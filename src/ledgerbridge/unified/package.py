"""What adapters of outside packages share: error translation and paging by position."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from ledgerbridge.sync.errors import FatalError, RetriableError, SyncError
from ledgerbridge.unified.cursor import Position, decode, encode
from ledgerbridge.unified.errors import (
    AuthorizationExpired,
    NotFound,
    PackageError,
    PackageUnavailable,
)
from ledgerbridge.unified.model import Page, Record

__all__ = ["calling", "page_of", "start_of"]

T = TypeVar("T")

_EXPIRED = ("invalid_grant", "not authorized yet")


@contextmanager
def calling(connection: str, system: str, what: str) -> Iterator[None]:
    """Translate a connector failure inside the block into a problem naming the connection."""
    try:
        yield
    except FatalError as exc:
        text = str(exc)
        if any(sign in text for sign in _EXPIRED):
            raise AuthorizationExpired(
                f"connection {connection!r} ({system}) can no longer reach the package: its "
                "OAuth refresh token was refused (expired or revoked). Authorize the connection "
                "again: send the user to the package's consent screen and store the code it "
                f"returns with connector.authorize(code) for {connection!r}",
                connection=connection, system=system) from None
        if "Object Not Found" in text or "HTTP 404" in text:
            raise NotFound(f"{what} is not in {system} (connection {connection!r})",
                           connection=connection) from None
        raise PackageError(f"{what}: {system} refused it: {exc.reason}",
                           connection=connection) from None
    except RetriableError as exc:
        raise PackageUnavailable(f"{what}: {system} is not answering now ({exc.reason}); try "
                                 "again later", connection=connection) from None
    except SyncError as exc:
        raise PackageError(f"{what}: {exc.reason}", connection=connection) from None


def start_of(cursor: str | None, updated_since: dt.datetime | None
             ) -> tuple[Position | None, dt.datetime | None]:
    """The position a page starts after, and the earliest change time worth asking for."""
    position = None if cursor is None else decode(cursor)
    since = updated_since
    if position is not None and position.updated_at is not None:
        since = position.updated_at if since is None else max(since, position.updated_at)
    return position, since


def page_of(raws: Sequence[T], *, position: Position | None, limit: int,
            key: Callable[[T], Position], record: Callable[[T], Record | None]) -> Page:
    """A page of the raw records after ``position`` in ``key`` order.

    A raw record that makes no record (a QuickBooks payment of nothing) is skipped,
    but the cursor still moves past it.
    """
    ordered = sorted(raws, key=lambda raw: _rank(key(raw)))
    after = [r for r in ordered if position is None or _rank(key(r)) > _rank(position)]
    taken = after[:limit]
    items = tuple(r for r in (record(raw) for raw in taken) if r is not None)
    more = len(after) > limit
    return Page(items=items, next_cursor=encode(key(taken[-1])) if more else None)


_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def _rank(position: Position) -> tuple[dt.datetime, tuple[int, Any]]:
    """Sort key of a position: change time, then id (numeric ids in number order)."""
    return (position.updated_at or _EARLIEST, _id_key(position.id))


def _id_key(ident: str) -> tuple[int, Any]:
    """Numeric ids in number order, others as text."""
    return (0, int(ident)) if ident.isdigit() else (1, ident)
