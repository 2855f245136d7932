"""Calls to Stripe's API for one connection: GET an object or walk a list.

Bodies are parsed with decimal numbers, never floats (Stripe sends exchange rates as
JSON numbers). Failures are sorted by ``connectors.http.request``: 429 and 5xx are
retried later, other 4xx are fatal.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from ledgerbridge.connectors.http import get_object

__all__ = ["StripeApi"]

Obj = dict[str, Any]
Params = Sequence[tuple[str, str | int]]
STRIPE_VERSION = "2024-06-20"


class StripeApi:
    """A client bound to one account's secret key and base URL."""

    def __init__(self, base_url: str, api_key: str, *, connection: str,
                 timeout: float = 30.0) -> None:
        self.connection = connection
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout,
            headers={"authorization": f"Bearer {api_key}", "stripe-version": STRIPE_VERSION})

    def get(self, path: str, params: Params = ()) -> Obj:
        """GET ``path`` and return the JSON object."""
        return get_object(self._client, path, connection=self.connection, params=list(params))

    def pages(self, path: str, params: Params = ()) -> Iterator[Obj]:
        """Each list object of ``path``, newest first, following ``has_more``."""
        after: list[tuple[str, str | int]] = []
        while True:
            page = self.get(path, [*params, *after])
            yield page
            if not page.get("has_more") or not page.get("data"):
                return
            after = [("starting_after", page["data"][-1]["id"])]

    def retrieve(self, resource: str, object_id: str) -> Obj:
        """One object, e.g. ``retrieve("balance_transactions", "txn_1")``."""
        return self.get(f"/v1/{resource}/{object_id}")

    def payout_transactions(self, payout_id: str) -> list[Obj]:
        """The balance transactions a payout settled (its own one included)."""
        return [item for page in self.pages("/v1/balance_transactions",
                                            [("payout", payout_id), ("limit", 100)])
                for item in page["data"]]
