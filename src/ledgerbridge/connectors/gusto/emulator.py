"""A local Gusto company speaking the v1 payroll API's wire format, for tests and the sandbox.

API routes (``Authorization: Bearer <access token>``): the company's payrolls
(``processing_statuses``, ``include=totals,employee_compensations``, ``start_date``
and ``end_date`` on the check date, ``page``/``per`` paging), one payroll, employees,
departments, approved payroll reversals, contractors and contractor payments
(``start_date`` and ``end_date`` on the payment date, grouped by contractor, and
one payment). Errors use Gusto's body ``{"errors": [{"error_key", "category",
"message"}]}``.

The access token is ``options.api_key`` (a fixed token), or one the OAuth2 server
issued (``issuer``: ``GET /oauth/authorize`` and ``POST /oauth/token``, see
``tokens.py``) while it is unexpired; anything else gets 401.

Test-control routes under ``/_emulator`` hire employees, onboard contractors, run
regular and off-cycle payrolls, reverse one, pay contractors and cancel a payment,
as a user in Gusto would; they can also expire the access tokens or revoke the
refresh tokens. Each change is sent as a signed webhook event
(``payroll.processed``, ``payroll.reversed``, ``contractor_payment.created``,
``contractor_payment.cancelled``) to ``options.webhook_url``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from ledgerbridge.connectors.gusto.company import CompanyState, GustoError
from ledgerbridge.connectors.gusto.signature import sign
from ledgerbridge.connectors.gusto.tokens import TokenError, TokenIssuer
from ledgerbridge.sandbox.emulators import SandboxOptions

__all__ = ["COMPANY_UUID", "SANDBOX_CLIENT_ID", "create_emulator", "sandbox_app"]

COMPANY_UUID = "c0a8e3f2-5b1d-4e9a-9f3c-2d7b6a1e4f50"
"""The emulated company's uuid."""
SANDBOX_CLIENT_ID = "gusto-sandbox-client"
"""The sandbox's OAuth application (its client secret is the sandbox ``api_key``)."""
_MAX_PER = 100


def sandbox_app(options: SandboxOptions) -> FastAPI:
    """The emulator for ``ledgerbridge sandbox gusto``.

    ``api_key`` is a fixed access token, and the client secret of the OAuth
    application ``SANDBOX_CLIENT_ID``; ``webhook_secret`` is the webhook
    subscription's verification token, which signs the events.
    """
    return create_emulator(options, issuer=TokenIssuer(SANDBOX_CLIENT_ID, options.api_key))


def _error(status: int, message: str) -> JSONResponse:
    key = "base" if status != 404 else "not_found"
    return JSONResponse({"errors": [{"error_key": key, "category": "invalid_request",
                                     "message": message}]}, status_code=status)


def _date(value: Any, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise GustoError(422, f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _amount(value: Any, name: str) -> Decimal:
    if not isinstance(value, str):
        raise GustoError(422, f"{name} must be a decimal string such as \"1234.56\"")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise GustoError(422, f"{name} {value!r} is not a decimal amount") from None


def create_emulator(options: SandboxOptions, company: CompanyState | None = None, *,
                    issuer: TokenIssuer | None = None) -> FastAPI:
    """The emulator app over ``company`` (a fresh one with three employees by default).

    ``issuer`` is the OAuth2 server whose unexpired access tokens are accepted too.
    """
    state = company or _sample_company(options.seed)
    app = FastAPI(title="Gusto emulator")
    sender = httpx.Client(timeout=30)

    @app.exception_handler(GustoError)
    def _gusto_error(request: Request, exc: GustoError) -> JSONResponse:
        if isinstance(exc, TokenError):
            return JSONResponse({"error": exc.error}, status_code=exc.status)
        return _error(exc.status, exc.message)

    def authorized(authorization: Annotated[str | None, Header()] = None) -> None:
        token = (authorization or "").removeprefix("Bearer ")
        if authorization == f"Bearer {options.api_key}" or (issuer and issuer.valid(token)):
            return
        raise GustoError(401, "The access token is missing, expired or invalid")

    def oauth() -> TokenIssuer:
        if issuer is None:
            raise GustoError(404, "this emulator has no OAuth application")
        return issuer

    def own(company_uuid: str) -> None:
        if company_uuid != state.uuid:
            raise GustoError(404, f"no company {company_uuid}")

    def notify(event_type: str, entity_uuid: str, entity_type: str = "Payroll") -> None:
        if not options.webhook_url:
            return
        event = {"uuid": state.new_uuid("event"), "event_type": event_type,
                 "resource_type": "Company", "resource_uuid": state.uuid,
                 "entity_type": entity_type, "entity_uuid": entity_uuid,
                 "timestamp": int(dt.datetime.now(dt.UTC).timestamp())}
        body = json.dumps(event).encode()
        sender.post(options.webhook_url, content=body, headers={
            "content-type": "application/json",
            "x-gusto-signature": sign(body, options.webhook_secret)})

    api = [Depends(authorized)]

    @app.get("/oauth/authorize", include_in_schema=False)
    def authorize(client_id: str, redirect_uri: str, state: str = "",
                  response_type: str = "code") -> RedirectResponse:
        """The consent page: the admin agrees at once; back to ``redirect_uri`` with a code."""
        if response_type != "code":
            raise GustoError(422, f"response_type {response_type!r} is not code")
        code = oauth().authorize(client_id)
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    @app.post("/oauth/token", include_in_schema=False)
    async def token(request: Request) -> dict[str, Any]:
        """Trade a code or a refresh token (client credentials in the form)."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        return oauth().token(form)

    @app.get("/v1/companies/{company_uuid}/payrolls", dependencies=api)
    def payrolls(company_uuid: str,
                 processing_statuses: str | None = None,
                 include: str | None = None,
                 start_date: str | None = None,
                 end_date: str | None = None,
                 page: Annotated[int, Query(ge=1)] = 1,
                 per: Annotated[int, Query(ge=1, le=_MAX_PER)] = 25) -> JSONResponse:
        """Processed payrolls by check date, oldest first, a page at a time."""
        own(company_uuid)
        if processing_statuses not in (None, "processed", "unprocessed", "processed,unprocessed",
                                       "unprocessed,processed"):
            raise GustoError(422, f"processing_statuses {processing_statuses!r} is invalid")
        low = _date(start_date, "start_date") if start_date else None
        high = _date(end_date, "end_date") if end_date else None
        wanted = set((include or "").split(","))
        found = sorted(state.payrolls.values(), key=lambda p: (p["check_date"], p["uuid"]))
        if processing_statuses == "unprocessed":
            found = []
        found = [p for p in found
                 if (low is None or dt.date.fromisoformat(p["check_date"]) >= low)
                 and (high is None or dt.date.fromisoformat(p["check_date"]) <= high)]
        chunk = found[(page - 1) * per: page * per]
        body = [_shown(p, wanted) for p in chunk]
        headers = {"x-total-count": str(len(found)), "x-total-pages":
                   str(max(1, -(-len(found) // per))), "x-page": str(page)}
        return JSONResponse(body, headers=headers)

    @app.get("/v1/companies/{company_uuid}/payrolls/{payroll_uuid}", dependencies=api)
    def payroll(company_uuid: str, payroll_uuid: str) -> dict[str, Any]:
        """One payroll with its totals and employee compensations."""
        own(company_uuid)
        found = state.payrolls.get(payroll_uuid)
        if found is None:
            raise GustoError(404, f"no payroll {payroll_uuid}")
        return found

    @app.get("/v1/companies/{company_uuid}/employees", dependencies=api)
    def employees(company_uuid: str, page: Annotated[int, Query(ge=1)] = 1,
                  per: Annotated[int, Query(ge=1, le=_MAX_PER)] = 25) -> list[dict[str, Any]]:
        """The company's employees, with their department."""
        own(company_uuid)
        every = [e.wire(state.department_uuid(e.department)) for e in state.employees.values()]
        return every[(page - 1) * per: page * per]

    @app.get("/v1/companies/{company_uuid}/departments", dependencies=api)
    def departments(company_uuid: str) -> list[dict[str, Any]]:
        """The company's departments and their employees."""
        own(company_uuid)
        return state.departments()

    @app.get("/v1/companies/{company_uuid}/payroll_reversals", dependencies=api)
    def reversals(company_uuid: str) -> list[dict[str, Any]]:
        """Approved payroll reversals."""
        own(company_uuid)
        return list(state.reversals)

    @app.get("/v1/companies/{company_uuid}/contractors", dependencies=api)
    def contractors(company_uuid: str, page: Annotated[int, Query(ge=1)] = 1,
                    per: Annotated[int, Query(ge=1, le=_MAX_PER)] = 25) -> list[dict[str, Any]]:
        """The company's contractors, with their department."""
        own(company_uuid)
        every = [c.wire(state.uuid, state.department_uuid(c.department))
                 for c in state.contractors.values()]
        return every[(page - 1) * per: page * per]

    @app.get("/v1/companies/{company_uuid}/contractor_payments", dependencies=api)
    def contractor_payments(company_uuid: str, start_date: str, end_date: str,
                            contractor_uuid: str | None = None) -> dict[str, Any]:
        """Payments dated ``start_date``..``end_date``, grouped by contractor, with totals."""
        own(company_uuid)
        low, high = _date(start_date, "start_date"), _date(end_date, "end_date")
        if high < low:
            raise GustoError(422, "end_date is before start_date")
        found = sorted((p for p in state.contractor_payments.values()
                        if low <= dt.date.fromisoformat(p["date"]) <= high
                        and contractor_uuid in (None, p["contractor_uuid"])),
                       key=lambda p: (p["date"], p["uuid"]))
        grouped: dict[str, list[dict[str, Any]]] = {}
        for payment in found:
            grouped.setdefault(payment["contractor_uuid"], []).append(payment)
        return {
            "total": {"wages": _sum(found, "wage_total"),
                      "reimbursements": _sum(found, "reimbursement")},
            "contractor_payments": [
                {"contractor_uuid": who, "wage_total": _sum(paid, "wage_total"),
                 "reimbursement_total": _sum(paid, "reimbursement"), "payments": paid}
                for who, paid in grouped.items()],
        }

    @app.get("/v1/companies/{company_uuid}/contractor_payments/{payment_uuid}",
             dependencies=api)
    @app.get("/v1/companies/{company_uuid}/contractor_payment/{payment_uuid}",
             dependencies=api, include_in_schema=False)
    def contractor_payment(company_uuid: str, payment_uuid: str) -> dict[str, Any]:
        """One contractor payment (a cancelled one is gone: 404).

        Current API versions name it ``contractor_payments/{id}``; older ones
        ``contractor_payment/{id}``, which is still answered.
        """
        own(company_uuid)
        found = state.contractor_payments.get(payment_uuid)
        if found is None:
            raise GustoError(404, f"no contractor payment {payment_uuid}")
        return found

    # -- test controls: what a user does in Gusto ------------------------------------

    @app.post("/_emulator/contractors")
    def onboard(body: dict[str, Any]) -> dict[str, Any]:
        """Onboard a contractor: names, ``department``, ``hourly_rate``, ``payment_method``."""
        rate = body.get("hourly_rate")
        record = state.add_contractor(
            str(body.get("first_name", "")), str(body.get("last_name", "")),
            body.get("department"), business_name=body.get("business_name"),
            hourly_rate=None if rate is None else str(_amount(rate, "hourly_rate")),
            payment_method=str(body.get("payment_method", "Direct Deposit")))
        return record.wire(state.uuid, state.department_uuid(record.department))

    @app.post("/_emulator/contractor_payments")
    def pay(body: dict[str, Any]) -> dict[str, Any]:
        """Pay a contractor on ``date``: ``wage``, ``bonus``, ``hours``, ``reimbursement``."""
        made = state.pay_contractor(
            str(body.get("contractor_uuid")), _date(body.get("date"), "date"),
            payment_method=body.get("payment_method"),
            **{k: str(_amount(body[k], k)) for k in ("wage", "bonus", "hours", "reimbursement")
               if k in body})
        notify("contractor_payment.created", made["uuid"], "ContractorPayment")
        return made

    @app.post("/_emulator/contractor_payments/{payment_uuid}/cancel")
    def cancel(payment_uuid: str) -> dict[str, Any]:
        """Cancel a contractor payment (it is deleted); sends ``contractor_payment.cancelled``."""
        state.cancel_contractor_payment(payment_uuid)
        notify("contractor_payment.cancelled", payment_uuid, "ContractorPayment")
        return {"uuid": payment_uuid, "cancelled": True}

    @app.post("/_emulator/oauth/expire")
    def expire() -> dict[str, Any]:
        """Expire every access token the OAuth server issued."""
        oauth().expire_access()
        return {"expired": True}

    @app.post("/_emulator/oauth/revoke")
    def revoke() -> dict[str, Any]:
        """Revoke every refresh token (the application was disconnected)."""
        oauth().revoke_refresh()
        return {"revoked": True}

    @app.post("/_emulator/employees")
    def hire(body: dict[str, Any]) -> dict[str, Any]:
        """Hire an employee: names, department, ``gross`` per period, benefits."""
        record = state.add_employee(
            str(body.get("first_name", "")), str(body.get("last_name", "")),
            body.get("department"), str(_amount(body.get("gross"), "gross")),
            k401_percent=str(body.get("k401_percent", "0")),
            medical=bool(body.get("medical", False)),
            garnishment=str(body.get("garnishment", "0")))
        return record.wire(state.department_uuid(record.department))

    @app.post("/_emulator/payrolls")
    def run(body: dict[str, Any]) -> dict[str, Any]:
        """Run a payroll over ``start_date``..``end_date``, paid on ``check_date``.

        Off-cycle: ``off_cycle_reason`` and ``gross`` (employee uuid -> amount).
        """
        gross = body.get("gross")
        paid = ({u: _amount(v, f"gross of {u}") for u, v in gross.items()}
                if isinstance(gross, dict) else None)
        made = state.run_payroll(_date(body.get("start_date"), "start_date"),
                                 _date(body.get("end_date"), "end_date"),
                                 _date(body.get("check_date"), "check_date"),
                                 off_cycle_reason=body.get("off_cycle_reason"), gross=paid)
        notify("payroll.processed", made["uuid"])
        return made

    @app.post("/_emulator/payrolls/{payroll_uuid}/reverse")
    def reverse(payroll_uuid: str, body: dict[str, Any]) -> dict[str, Any]:
        """Reverse a processed payroll."""
        made = state.reverse(payroll_uuid, str(body.get("reason", "")))
        notify("payroll.reversed", payroll_uuid)
        return made

    return app


def _sum(payments: list[dict[str, Any]], key: str) -> str:
    return str(sum((Decimal(p[key]) for p in payments), Decimal("0.00")))


def _shown(payroll: dict[str, Any], include: set[str]) -> dict[str, Any]:
    """A payroll as the list shows it: totals and compensations only when included."""
    return {k: v for k, v in payroll.items()
            if (k != "totals" or "totals" in include)
            and (k != "employee_compensations" or "employee_compensations" in include)}


def _sample_company(seed: int) -> CompanyState:
    """A small company: engineering and sales, one on 401(k) and medical insurance."""
    company = CompanyState(COMPANY_UUID, seed=seed)
    company.add_employee("Ada", "Lovelace", "Engineering", "5200.00", k401_percent="5",
                         medical=True)
    company.add_employee("Grace", "Hopper", "Engineering", "4800.00")
    company.add_employee("Dale", "Carnegie", "Sales", "3900.00", k401_percent="4")
    return company
