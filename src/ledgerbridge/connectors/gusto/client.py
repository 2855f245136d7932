"""Calls to Gusto's v1 API for one company, with a bearer access token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from ledgerbridge.connectors.http import request

__all__ = ["GustoClient"]

_INCLUDE = "totals,employee_compensations"


class GustoClient:
    """One company's payrolls, employees and payroll reversals."""

    def __init__(self, base_url: str, access_token: str, company_uuid: str, *,
                 connection: str, page_size: int = 100, timeout: float = 30.0) -> None:
        self.base = f"{base_url.rstrip('/')}/v1/companies/{company_uuid}"
        self.connection = connection
        self.page_size = page_size
        self.http = httpx.Client(timeout=timeout, headers={
            "authorization": f"Bearer {access_token}", "accept": "application/json"})

    def _get(self, path: str, **params: Any) -> Any:
        return request(self.http, "GET", f"{self.base}{path}", connection=self.connection,
                       params={k: v for k, v in params.items() if v is not None}).json()

    def _pages(self, path: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        page = 1
        while True:
            found = self._get(path, page=page, per=self.page_size, **params)
            yield found
            if len(found) < self.page_size:
                return
            page += 1

    def payroll_pages(self, start_date: str | None = None) -> Iterator[list[dict[str, Any]]]:
        """Processed payrolls with totals and compensations, checked on or after a date."""
        return self._pages("/payrolls", processing_statuses="processed", include=_INCLUDE,
                           start_date=start_date)

    def payroll(self, payroll_uuid: str) -> dict[str, Any]:
        """One payroll with its totals and employee compensations."""
        return self._get(f"/payrolls/{payroll_uuid}", include=_INCLUDE)

    def employees(self) -> list[dict[str, Any]]:
        """Every employee of the company."""
        return [e for page in self._pages("/employees") for e in page]

    def reversals(self) -> list[dict[str, Any]]:
        """Approved payroll reversals."""
        return self._get("/payroll_reversals")
