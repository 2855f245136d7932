"""Opaque page cursors: the (updated_at, id) of the last record a page returned.

A cursor is URL-safe base64 of compact JSON. Paging by this key rather than by an
offset keeps pages stable while records are added: a record inserted meanwhile
after the cursor shows up on a later page, and none already read shows up twice.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from ledgerbridge.unified.errors import BadRequest

__all__ = ["Position", "decode", "encode"]


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where a page ended: the last record's change time (None if it has none) and id."""

    updated_at: dt.datetime | None
    id: str


def encode(position: Position) -> str:
    """The opaque cursor text for ``position``."""
    moment = None if position.updated_at is None else position.updated_at.isoformat()
    raw = json.dumps([moment, position.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> Position:
    """The position a cursor names; BadRequest when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, ident = json.loads(raw)
        if not isinstance(ident, str) or not (moment is None or isinstance(moment, str)):
            raise ValueError
        when = None if moment is None else dt.datetime.fromisoformat(moment)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(f"cursor {cursor[:60]!r} is not a cursor this API handed out; "
                         "start again without one") from None
    return Position(when, ident)
