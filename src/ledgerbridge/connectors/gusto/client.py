"""Calls to Gusto's v1 API for one company, with a bearer access token.

The token is either fixed (``access_token``, used as given) or the connection's
OAuth2 token (``connectors.oauth``): refreshed shortly before it expires, and once
more when Gusto answers 401, the call then repeated with the new token.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

import httpx

from ledgerbridge.connectors.http import request
from ledgerbridge.connectors.oauth import OAuthSession
from ledgerbridge.sync.errors import FatalError

__all__ = ["GustoClient", "OAuthBearer"]

_INCLUDE = "totals,employee_compensations"


class OAuthBearer(httpx.Auth):
    """A connection's OAuth access token on each request; a 401 refreshes it once."""

    def __init__(self, session: OAuthSession, connection: str) -> None:
        self.session = session
        self.connection = connection

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        """Send with the current token; after a 401, once more with a refreshed one."""
        token = self._token(self.session.access_token)
        request.headers["authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            fresh = self._token(lambda: self.session.refresh(token))
            request.headers["authorization"] = f"Bearer {fresh}"
            yield request

    def _token(self, get: Callable[[], str]) -> str:
        try:
            return get()
        except FatalError as exc:
            if "invalid_grant" not in exc.reason:
                raise
            raise FatalError(
                "Gusto refused the refresh token (invalid_grant: already used, or the "
                "application was disconnected); authorize again with `ledgerbridge "
                f"connections authorize {self.connection}`", connection=self.connection,
            ) from None


class GustoClient:
    """One company's payrolls, employees, contractors and their payments."""

    def __init__(self, base_url: str, company_uuid: str, *, connection: str,
                 auth: httpx.Auth | str, page_size: int = 100, timeout: float = 30.0) -> None:
        """``auth``: an :class:`OAuthBearer`, or a fixed access token."""
        self.base = f"{base_url.rstrip('/')}/v1/companies/{company_uuid}"
        self.connection = connection
        self.page_size = page_size
        headers = {"accept": "application/json"}
        if isinstance(auth, str):
            headers["authorization"] = f"Bearer {auth}"
        self.http = httpx.Client(timeout=timeout, headers=headers,
                                 auth=None if isinstance(auth, str) else auth)

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

    def contractors(self) -> list[dict[str, Any]]:
        """Every contractor of the company."""
        return [c for page in self._pages("/contractors") for c in page]

    def contractor_payments(self, start_date: str, end_date: str) -> list[dict[str, Any]]:
        """Contractor payments dated ``start_date``..``end_date``, oldest first."""
        summary = self._get("/contractor_payments", start_date=start_date, end_date=end_date)
        found = [p for group in summary.get("contractor_payments") or []
                 for p in group.get("payments") or []]
        return sorted(found, key=lambda p: (p["date"], p["uuid"]))

    def contractor_payment(self, payment_uuid: str) -> dict[str, Any] | None:
        """One contractor payment; None when Gusto has none (a cancelled one is deleted)."""
        try:
            return self._get(f"/contractor_payments/{payment_uuid}")
        except FatalError as exc:
            if ": HTTP 404:" in exc.reason:  # the wording of connectors.http.request
                return None
            raise
