"""Stripe's wire format on the emulator side: form bodies, JSON, lists and expansion.

Requests are form-encoded with bracket notation (``metadata[invoice]=INV-1``,
``expand[]=data.source``, ``expand[0]=...``, ``created[gte]=...``). Lists are
``{object: "list", data, has_more, url}``, newest first, paged with ``limit``
(1..100), ``starting_after`` or ``ending_before`` and filtered by ``created``.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.stripe.account import StripeError

__all__ = ["decode_form", "dumps", "expand", "integer", "list_page"]

Obj = dict[str, Any]
_CREATED_BOUNDS = ("gte", "gt", "lte", "lt")


def decode_form(pairs: Iterable[tuple[str, str]]) -> Obj:
    """Nest form pairs the way Stripe reads them: ``a[b][]=x`` -> ``{"a": {"b": ["x"]}}``."""
    root: Obj = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head, *(p.rstrip("]") for p in rest.split("[") if rest)] if rest else [head]
        node: Any = root
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            if following is None:
                if part == "" and isinstance(node, list):
                    node.append(value)
                else:
                    node[part] = value
                break
            child = node.get(part) if isinstance(node, dict) else None
            if child is None:
                child = [] if following == "" else {}
                node[part] = child
            node = child
    return _lists(root)


def _lists(node: Any) -> Any:
    """Dicts keyed 0, 1, 2 ... (``expand[0]=...``) become lists."""
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    elif isinstance(node, list):
        return [_lists(v) for v in node]
    return node


def _number(value: Any) -> float:
    if isinstance(value, Decimal):
        return float(value)  # Stripe sends exchange rates as JSON numbers
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(obj: Any) -> bytes:
    """JSON bytes as Stripe sends them."""
    return json.dumps(obj, default=_number, separators=(",", ":")).encode()


def integer(params: Obj, name: str, *, default: int | None = None, low: int | None = None,
            high: int | None = None) -> int | None:
    """An integer parameter, refused the way Stripe refuses it."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise StripeError(400, f"Invalid integer: {raw}", param=name,
                          code="parameter_invalid_integer") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise StripeError(400, f"This value must be between {low} and {high}.", param=name,
                          code="parameter_invalid_integer")
    return value


def _created_range(params: Obj) -> tuple[int | None, int | None]:
    """``created`` (exact) or ``created[gte|gt|lte|lt]`` as inclusive bounds."""
    created = params.get("created")
    if created is None:
        return None, None
    if not isinstance(created, dict):
        exact = integer(params, "created")
        return exact, exact
    unknown = set(created) - set(_CREATED_BOUNDS)
    if unknown:
        raise StripeError(400, f"Received unknown parameter: created[{unknown.pop()}]",
                          param="created", code="parameter_unknown")
    bound = {k: integer(created, k) for k in _CREATED_BOUNDS}
    low = max((v for v in (bound["gte"], bound["gt"] and bound["gt"] + 1) if v is not None),
              default=None)
    high = min((v for v in (bound["lte"], bound["lt"] and bound["lt"] - 1) if v is not None),
               default=None)
    return low, high


def list_page(items: list[Obj], params: Obj, url: str, *,
              created: list[int] | None = None, position: dict[str, int] | None = None) -> Obj:
    """A page of ``items`` (oldest first) as a Stripe list object, newest first."""
    limit = integer(params, "limit", low=1, high=100) or 10
    stamps = created if created is not None else [o["created"] for o in items]
    where = position if position is not None else {o["id"]: i for i, o in enumerate(items)}
    low, high = _created_range(params)
    lo = 0 if low is None else bisect.bisect_left(stamps, low)
    hi = len(items) if high is None else bisect.bisect_right(stamps, high)
    after, before = params.get("starting_after"), params.get("ending_before")
    for name, cursor in (("starting_after", after), ("ending_before", before)):
        if cursor is not None and cursor not in where:
            raise StripeError(400, f"No such object: '{cursor}'", param=name,
                              code="resource_missing")
    if before is not None:
        lo = max(lo, where[before] + 1)
        top = min(hi, lo + limit)
        chosen, more = items[lo:top], top < hi
    else:
        if after is not None:
            hi = min(hi, where[after])
        bottom = max(lo, hi - limit)
        chosen, more = items[bottom:hi], bottom > lo
    return {"object": "list", "data": chosen[::-1], "has_more": more, "url": url}


def expand(obj: Obj, paths: Iterable[str], find: Callable[[str], Obj | None]) -> Obj:
    """A copy of ``obj`` with the dotted ``paths`` (``data.source``) replaced by objects."""
    for path in paths:
        obj = _expand(obj, path.split("."), find)
    return obj


def _expand(node: Any, parts: list[str], find: Callable[[str], Obj | None]) -> Any:
    if not parts or not isinstance(node, dict):
        return node
    name, rest = parts[0], parts[1:]
    value = node.get(name)
    if isinstance(value, str) and (target := find(value)) is not None:
        value = target
    if isinstance(value, list):
        value = [_expand(v, rest, find) for v in value]
    else:
        value = _expand(value, rest, find)
    return {**node, name: value}
