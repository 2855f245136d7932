"""Reading Shopify money: decimal strings, shop money preferred over presentment money."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledgerbridge.money import format_minor, parse_minor

__all__ = ["Json", "load", "presentment_minor", "shop_minor", "spread", "text"]

Json = Mapping[str, Any]
"""A Shopify object as decoded JSON."""


def load(body: bytes) -> Any:
    """Decode a Shopify body; numbers with a fraction become Decimal, never float."""
    return json.loads(body, parse_float=Decimal)


def _amount(obj: Json, key: str, side: str) -> Any:
    money = (obj.get(f"{key}_set") or {}).get(side) or {}
    return money.get("amount", obj.get(key) if side == "shop_money" else None)


def shop_minor(obj: Json, key: str, currency: str) -> int:
    """``obj[key]`` in shop-currency minor units (``key_set.shop_money`` first); 0 if absent."""
    value = _amount(obj, key, "shop_money")
    return 0 if value in (None, "") else parse_minor(str(value), currency)


def presentment_minor(obj: Json, key: str, currency: str) -> int | None:
    """``key_set.presentment_money`` in minor units, or None when Shopify gave none."""
    value = _amount(obj, key, "presentment_money")
    return None if value in (None, "") else parse_minor(str(value), currency)


def text(minor: int, currency: str) -> str:
    """Minor units as the decimal text canonical documents take."""
    return format_minor(minor, currency)


def spread(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` over ``weights`` in proportion; the parts add up to ``total`` exactly.

    Each part is the rounded cumulative share less the parts before it, so rounding
    never loses or invents a minor unit. Zero weights share equally.
    """
    if not weights:
        return []
    equal = not any(weights)
    base = len(weights) if equal else sum(weights)
    cumulative = done = 0
    parts = []
    for weight in weights:
        cumulative += 1 if equal else weight
        upto = (total * cumulative * 2 + base) // (2 * base)
        parts.append(upto - done)
        done = upto
    return parts
