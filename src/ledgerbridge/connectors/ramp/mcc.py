"""Merchant category codes (ISO 18245) grouped into the expense categories the chart knows.

The category is an account hint: the mapping's ``account_aliases`` turn "Meals" or
"Travel" into an account code, so a connection moves a whole category by remapping
one alias. Codes outside these groups get no hint and go to the ``expense`` role.
"""

from __future__ import annotations

__all__ = ["RESTAURANTS", "category"]

RESTAURANTS = "Meals"
"""The category whose card lines may carry a tip the receipt does not show."""

_RANGES: tuple[tuple[int, int, str], ...] = (
    (3000, 3350, "Travel"),  # airlines
    (3351, 3500, "Travel"),  # car rental
    (3501, 3999, "Travel"),  # hotels and lodging
    (4011, 4131, "Travel"),  # rail, commuter transport, taxis, bus lines
    (4411, 4411, "Travel"),  # cruise lines
    (4511, 4511, "Travel"),  # airlines, air carriers
    (4722, 4722, "Travel"),  # travel agencies
    (4784, 4784, "Travel"),  # tolls and bridge fees
    (7011, 7011, "Travel"),  # lodging
    (7512, 7512, "Travel"),  # car rental agencies
    (4814, 4816, "Software"),  # telecommunication, computer network services
    (5734, 5734, "Software"),  # computer software stores
    (5817, 5818, "Software"),  # digital goods: applications, large digital goods merchant
    (7372, 7372, "Software"),  # computer programming, data processing
    (4900, 4900, "Utilities"),
    (5044, 5045, "Office Supplies"),  # office equipment, computers
    (5111, 5111, "Office Supplies"),  # stationery and office supplies
    (5943, 5943, "Office Supplies"),
    (5811, 5814, RESTAURANTS),  # caterers, restaurants, bars, fast food
    (7311, 7311, "Advertising"),
    (8111, 8111, "Professional Fees"),  # legal services
    (8931, 8931, "Professional Fees"),  # accounting and bookkeeping
    (8999, 8999, "Professional Fees"),
    (6300, 6300, "Insurance"),
    (5960, 5960, "Insurance"),  # direct marketing: insurance services
)


def category(mcc: str | int | None) -> str | None:
    """The expense category of a merchant category code, or None when it has none here."""
    if mcc is None or not str(mcc).strip().isdigit():
        return None
    code = int(str(mcc).strip())
    return next((name for low, high, name in _RANGES if low <= code <= high), None)
