"""A local Plaid for tests and the sandbox, speaking Plaid's wire format over real HTTP.

Plaid's endpoints: ``POST /transactions/sync`` (opaque cursors, ``added`` /
``modified`` / ``removed`` since the cursor in ascending order of last change,
``count`` 1 to 500, ``has_more`` and ``next_cursor``, and
``TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION`` when the Item changes between two
pages of one pagination), ``/webhook_verification_key/get`` (the JWK of the EC
P-256 key webhooks are signed with), ``/accounts/get``, ``/item/webhook/update``,
``/sandbox/public_token/create`` with ``/item/public_token/exchange``,
``/sandbox/transactions/create`` and ``/sandbox/item/fire_webhook``. Credentials
are accepted in the body (``client_id``, ``secret``) or as the ``PLAID-CLIENT-ID``
and ``PLAID-SECRET`` headers; failures have Plaid's error shape and statuses.

Every change POSTs a ``SYNC_UPDATES_AVAILABLE`` webhook, signed with a
``Plaid-Verification`` JWT, to the Item's webhook URL (``options.webhook_url`` by
default). Controls that Plaid has no endpoint for live under ``/_emulator``: add a
pending or posted transaction, change, post or remove one, add an account, list the
Item's transactions, rotate the signing key, change the Item in the middle of the
next pagination, and the record of webhooks sent.

Amounts are kept and written as exact decimals: JSON numbers, as Plaid sends them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request, Response
from jwt.algorithms import ECAlgorithm

from ledgerbridge.connectors.plaid.verification import ALGORITHM
from ledgerbridge.money import MoneyError, currency_exponent

__all__ = ["CLIENT_ID", "PlaidError", "Sandbox", "credentials", "dumps", "sandbox_app"]

CLIENT_ID = "ledgerbridge-sandbox"
"""The client id the emulator accepts, unless ``api_key`` is ``"<client_id>:<secret>"``."""
MAX_COUNT = 500
DEFAULT_COUNT = 100
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789"
_SYNC_FIELDS = frozenset({"client_id", "secret", "access_token", "cursor", "count", "options"})
_WEBHOOK_CODES = {
    "SYNC_UPDATES_AVAILABLE": "TRANSACTIONS", "DEFAULT_UPDATE": "TRANSACTIONS",
    "INITIAL_UPDATE": "TRANSACTIONS", "HISTORICAL_UPDATE": "TRANSACTIONS",
    "NEW_ACCOUNTS_AVAILABLE": "ITEM", "LOGIN_REPAIRED": "ITEM", "ERROR": "ITEM",
}
_DOCS = "https://plaid.com/docs/errors/"
_DECIMAL_MARK = re.compile(r'"@@decimal:(-?[0-9]+(?:\.[0-9]+)?)@@"')


class PlaidError(Exception):
    """An error answered in Plaid's shape."""

    def __init__(self, status: int, error_type: str, error_code: str, message: str) -> None:
        self.status, self.error_type, self.error_code = status, error_type, error_code
        self.message = message
        super().__init__(message)

    def body(self, request_id: str) -> dict[str, Any]:
        """Plaid's error object."""
        return {
            "error_type": self.error_type, "error_code": self.error_code,
            "error_code_reason": None, "error_message": self.message,
            "display_message": None, "request_id": request_id, "causes": [],
            "status": self.status, "documentation_url": _DOCS + self.error_type.lower(),
            "suggested_action": None,
        }


def _invalid(field_name: str, reason: str) -> PlaidError:
    return PlaidError(400, "INVALID_REQUEST", "INVALID_FIELD", f"{field_name} {reason}")


def dumps(obj: Any, *, indent: int | None = None) -> bytes:
    """JSON with every ``Decimal`` written as an exact JSON number."""

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"@@decimal:{format(value, 'f')}@@"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [mark(v) for v in value]
        return value

    return _DECIMAL_MARK.sub(r"\1", json.dumps(mark(obj), indent=indent)).encode()


def credentials(api_key: str) -> tuple[str, str]:
    """The (client_id, secret) pair the emulator accepts for ``api_key``."""
    if ":" in api_key:
        client_id, secret = api_key.split(":", 1)
        return client_id, secret
    return CLIENT_ID, api_key


@dataclass
class _Item:
    """One Item: its accounts, current transactions and the log of changes."""

    item_id: str
    access_token: str
    webhook: str | None
    accounts: list[dict[str, Any]] = field(default_factory=list)
    current: dict[str, dict[str, Any]] = field(default_factory=dict)
    gone: dict[str, str] = field(default_factory=dict)  # removed id -> account id
    created: dict[str, int] = field(default_factory=dict)  # id -> change number it appeared
    last: dict[str, int] = field(default_factory=dict)  # id -> change number of its last change
    head: int = 0
    during_pagination: list[Callable[[], None]] = field(default_factory=list)

    def change(self, txn_id: str) -> None:
        self.head += 1
        self.last[txn_id] = self.head
        self.created.setdefault(txn_id, self.head)

    def account(self, account_id: Any) -> dict[str, Any]:
        for account in self.accounts:
            if account["account_id"] == account_id:
                return account
        raise _invalid("account_id", f"{account_id!r} is not an account of this Item")

    def updates_since(self, position: int) -> list[tuple[str, dict[str, Any]]]:
        """Net changes after ``position``, oldest last change first."""
        found = []
        for txn_id, changed in sorted(self.last.items(), key=lambda kv: kv[1]):
            if changed <= position:
                continue
            existed = self.created[txn_id] <= position
            if txn_id in self.current:
                found.append(("modified" if existed else "added", self.current[txn_id]))
            elif existed:
                found.append(("removed", {"transaction_id": txn_id,
                                          "account_id": self.gone[txn_id]}))
        return found


class Sandbox:
    """The emulator's state: Items, signing keys and what was sent."""

    def __init__(self, api_key: str, webhook_url: str | None, webhook_secret: str,
                 seed: int) -> None:
        self.client_id, self.secret = credentials(api_key)
        self.webhook_url = webhook_url
        self._random = random.Random(seed)
        self._key_seed = f"{webhook_secret}:{seed}"
        self.keys: dict[str, dict[str, Any]] = {}
        self._signing: tuple[str, ec.EllipticCurvePrivateKey] | None = None
        self.rotate_key()
        self.items: dict[str, _Item] = {}
        self.public_tokens: dict[str, _Item] = {}
        self.deliveries: list[dict[str, Any]] = []
        self.key_requests = 0
        self.sync_requests = 0
        self.default = self.new_item(webhook_url)

    # -- ids and keys -------------------------------------------------------------

    def plaid_id(self) -> str:
        """A Plaid-style 37-character id."""
        return "".join(self._random.choice(_ID_ALPHABET) for _ in range(37))

    def uuid(self) -> str:
        """A random UUID (repeatable under the seed)."""
        hex_ = f"{self._random.getrandbits(128):032x}"
        return f"{hex_[:8]}-{hex_[8:12]}-4{hex_[13:16]}-a{hex_[17:20]}-{hex_[20:]}"

    def request_id(self) -> str:
        """A request id like Plaid's."""
        return "".join(self._random.choice(_ID_ALPHABET) for _ in range(15))

    def rotate_key(self) -> str:
        """Sign webhooks with a new key from now on; the old one is marked expired."""
        now = int(time.time())
        if self._signing is not None:
            self.keys[self._signing[0]]["expired_at"] = now
        generation = len(self.keys)
        digest = hashlib.sha256(f"{self._key_seed}:{generation}".encode()).digest()
        private = ec.derive_private_key(int.from_bytes(digest) % (_P256_ORDER - 1) + 1,
                                        ec.SECP256R1())
        kid = hashlib.sha256(b"kid" + digest).hexdigest()[:32]
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
        self.keys[kid] = {"alg": ALGORITHM, "created_at": now, "crv": jwk["crv"],
                          "expired_at": None, "kid": kid, "kty": jwk["kty"], "use": "sig",
                          "x": jwk["x"], "y": jwk["y"]}
        self._signing = (kid, private)
        return kid

    @property
    def signing_kid(self) -> str:
        """The kid of the key webhooks are signed with now."""
        assert self._signing is not None
        return self._signing[0]

    def sign(self, body: bytes, *, iat: int | None = None) -> str:
        """The ``Plaid-Verification`` JWT for ``body``."""
        assert self._signing is not None
        kid, private = self._signing
        claims = {"iat": int(time.time()) if iat is None else iat,
                  "request_body_sha256": hashlib.sha256(body).hexdigest()}
        return jwt.encode(claims, private, algorithm=ALGORITHM, headers={"kid": kid})

    # -- Items and accounts -------------------------------------------------------------

    def new_item(self, webhook: str | None) -> _Item:
        """An Item with a checking and a savings account in USD."""
        item = _Item(self.plaid_id(), f"access-sandbox-{self.uuid()}", webhook)
        self.add_account(item, name="Plaid Checking", subtype="checking", mask="0000")
        self.add_account(item, name="Plaid Saving", subtype="savings", mask="1111")
        self.items[item.access_token] = item
        return item

    def add_account(self, item: _Item, *, name: str, subtype: str = "checking",
                    type_: str = "depository", mask: str | None = None,
                    iso_currency_code: str | None = "USD",
                    unofficial_currency_code: str | None = None) -> dict[str, Any]:
        """Open an account on ``item``."""
        if iso_currency_code:
            try:
                currency_exponent(iso_currency_code)
            except MoneyError as exc:
                raise _invalid("iso_currency_code", str(exc)) from None
            unofficial_currency_code = None
        account = {
            "account_id": self.plaid_id(), "mask": mask or f"{len(item.accounts):04d}",
            "name": name, "official_name": f"{name} Account", "type": type_,
            "subtype": subtype, "persistent_account_id": self.plaid_id(),
            "iso_currency_code": iso_currency_code or None,
            "unofficial_currency_code": unofficial_currency_code,
        }
        item.accounts.append(account)
        return account

    def account_view(self, item: _Item, account: dict[str, Any]) -> dict[str, Any]:
        """An account as Plaid shows it, with balances from its transactions."""
        spent = sum((t["amount"] for t in item.current.values()
                     if t["account_id"] == account["account_id"]), Decimal(0))
        current = Decimal("1000") - spent
        view = {k: v for k, v in account.items()
                if k not in ("iso_currency_code", "unofficial_currency_code")}
        view["balances"] = {
            "available": current, "current": current, "limit": None,
            "iso_currency_code": account["iso_currency_code"],
            "unofficial_currency_code": account["unofficial_currency_code"],
        }
        return view

    def item_view(self, item: _Item) -> dict[str, Any]:
        """The Item object."""
        return {
            "item_id": item.item_id, "webhook": item.webhook, "error": None,
            "available_products": ["balance"], "billed_products": ["transactions"],
            "products": ["transactions"], "consent_expiration_time": None,
            "update_type": "background", "institution_id": "ins_109508",
            "institution_name": "First Platypus Bank",
        }

    def item(self, access_token: Any) -> _Item:
        """The Item of an access token."""
        if not isinstance(access_token, str) or not access_token:
            raise PlaidError(400, "INVALID_REQUEST", "MISSING_FIELDS",
                             "the following required fields are missing: access_token")
        found = self.items.get(access_token)
        if found is None:
            raise PlaidError(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
                             "provided access token is in an invalid format or not found")
        return found

    # -- transactions -----------------------------------------------------------------

    def add_transaction(self, item: _Item, spec: dict[str, Any]) -> dict[str, Any]:
        """Add a transaction (pending or posted) from a loose description of it."""
        account = item.account(spec.get("account_id", item.accounts[0]["account_id"]))
        txn_id = spec.get("transaction_id") or self.plaid_id()
        if txn_id in item.current or txn_id in item.gone:
            raise _invalid("transaction_id", f"{txn_id!r} is already used")
        iso = spec.get("iso_currency_code", account["iso_currency_code"])
        unofficial = spec.get("unofficial_currency_code",
                              None if iso else account["unofficial_currency_code"])
        amount = _decimal(spec.get("amount"), "amount")
        date = _date_text(spec.get("date") or dt.date.today().isoformat(), "date")
        authorized = spec.get("authorized_date", date)
        name = str(spec.get("name") or spec.get("description") or "Transaction")
        income = amount < 0
        txn = {
            "account_id": account["account_id"], "account_owner": None, "amount": amount,
            "iso_currency_code": iso or None, "unofficial_currency_code": unofficial or None,
            "authorized_date": _date_text(authorized, "authorized_date") if authorized else None,
            "authorized_datetime": None, "category": None, "category_id": None,
            "check_number": None, "counterparties": spec.get("counterparties") or [],
            "date": date, "datetime": None,
            "location": {k: None for k in ("address", "city", "region", "postal_code",
                                           "country", "lat", "lon", "store_number")},
            "logo_url": None, "merchant_entity_id": None,
            "merchant_name": spec.get("merchant_name"),
            "name": name, "original_description": spec.get("original_description", name.upper()),
            "payment_channel": spec.get("payment_channel", "other"),
            "payment_meta": {k: None for k in ("by_order_of", "payee", "payer", "payment_method",
                                               "payment_processor", "ppd_id", "reason",
                                               "reference_number")},
            "pending": bool(spec.get("pending", False)),
            "pending_transaction_id": spec.get("pending_transaction_id"),
            "personal_finance_category": spec.get("personal_finance_category") or (
                {"primary": "INCOME", "detailed": "INCOME_OTHER_INCOME",
                 "confidence_level": "LOW"} if income else
                {"primary": "GENERAL_MERCHANDISE",
                 "detailed": "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
                 "confidence_level": "LOW"}),
            "transaction_code": None, "transaction_id": txn_id,
            "transaction_type": "special" if spec.get("payment_channel", "other") == "other"
            else "place",
            "website": None,
        }
        item.current[txn_id] = txn
        item.change(txn_id)
        return txn

    def modify_transaction(self, item: _Item, txn_id: Any, changes: dict[str, Any]
                           ) -> dict[str, Any]:
        """Change fields of a current transaction (a pending tip, an enriched name ...)."""
        txn = self._current(item, txn_id)
        allowed = {"amount", "date", "authorized_date", "name", "merchant_name",
                   "original_description", "counterparties", "personal_finance_category",
                   "payment_channel"}
        unknown = set(changes) - allowed
        if unknown:
            raise PlaidError(400, "INVALID_REQUEST", "UNKNOWN_FIELDS",
                             "the following fields are not recognized: "
                             + ", ".join(sorted(unknown)))
        updated = dict(txn)
        for name, value in changes.items():
            if name == "amount":
                value = _decimal(value, "amount")
            elif name in ("date", "authorized_date") and value is not None:
                value = _date_text(value, name)
            updated[name] = value
        item.current[txn["transaction_id"]] = updated
        item.change(txn["transaction_id"])
        return updated

    def post_transaction(self, item: _Item, txn_id: Any, changes: dict[str, Any], *,
                         link: bool = True) -> dict[str, Any]:
        """A pending transaction posts: it is removed and a posted one added in its place."""
        pending = self._current(item, txn_id)
        if not pending["pending"]:
            raise _invalid("transaction_id", f"{txn_id!r} is not pending")
        self.remove_transaction(item, txn_id)
        spec = {k: pending[k] for k in ("account_id", "amount", "iso_currency_code",
                                        "unofficial_currency_code", "authorized_date", "name",
                                        "merchant_name", "original_description",
                                        "counterparties", "personal_finance_category",
                                        "payment_channel")}
        spec.update(changes)
        spec.setdefault("date", pending["date"])
        spec["pending"] = False
        spec["pending_transaction_id"] = txn_id if link else None
        return self.add_transaction(item, spec)

    def remove_transaction(self, item: _Item, txn_id: Any) -> None:
        """Remove a current transaction."""
        txn = self._current(item, txn_id)
        del item.current[txn["transaction_id"]]
        item.gone[txn["transaction_id"]] = txn["account_id"]
        item.change(txn["transaction_id"])

    def _current(self, item: _Item, txn_id: Any) -> dict[str, Any]:
        txn = item.current.get(txn_id) if isinstance(txn_id, str) else None
        if txn is None:
            raise _invalid("transaction_id", f"{txn_id!r} is not a current transaction")
        return txn

    # -- /transactions/sync -------------------------------------------------------------

    def cursor(self, item: _Item, start: int, end: int, offset: int) -> str:
        """An opaque cursor: where the last answer ended, or the next page of one."""
        text = json.dumps([item.item_id, start, end, offset], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def _position(self, item: _Item, cursor: Any) -> tuple[int, int, int]:
        if cursor is None or cursor == "":
            return 0, item.head, 0
        if not isinstance(cursor, str) or len(cursor) > 256:
            raise _invalid("cursor", "is not a valid cursor")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            item_id, start, end, offset = json.loads(raw)
        except (ValueError, TypeError):
            raise _invalid("cursor", "is not a valid cursor") from None
        if item_id != item.item_id or not all(isinstance(n, int) and n >= 0
                                              for n in (start, end, offset)):
            raise _invalid("cursor", "does not belong to this Item")
        if offset == 0:  # the end of an earlier answer: start a new pagination there
            return end, item.head, 0
        if end != item.head:
            raise PlaidError(400, "TRANSACTIONS_ERROR",
                             "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
                             "Underlying transaction data changed since last page was "
                             "fetched. Please restart pagination from last update.")
        return start, end, offset

    def sync(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer ``/transactions/sync``."""
        unknown = set(body) - _SYNC_FIELDS
        if unknown:
            raise PlaidError(400, "INVALID_REQUEST", "UNKNOWN_FIELDS",
                             f"the following fields are not recognized by this endpoint: "
                             f"{', '.join(sorted(unknown))}")
        item = self.item(body.get("access_token"))
        self.sync_requests += 1
        count = body.get("count", DEFAULT_COUNT)
        if isinstance(count, bool) or not isinstance(count, int) \
                or not 1 <= count <= MAX_COUNT:
            raise _invalid("count", f"must be an integer from 1 to {MAX_COUNT}")
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise _invalid("options", "must be an object")
        start, end, offset = self._position(item, body.get("cursor"))
        updates = item.updates_since(start)
        page = updates[offset:offset + count]
        more = offset + count < len(updates)
        original = bool(options.get("include_original_description"))
        answer: dict[str, list[Any]] = {"added": [], "modified": [], "removed": []}
        for kind, txn in page:
            if kind != "removed" and not original:
                txn = {**txn, "original_description": None}
            answer[kind].append(txn)
        touched = {t["account_id"] for _, t in page}
        accounts = [self.account_view(item, a) for a in item.accounts
                    if a["account_id"] in touched or not page]
        next_cursor = (self.cursor(item, start, end, offset + count) if more
                       else self.cursor(item, end, end, 0))
        if more:  # a change queued by a test lands between this page and the next
            while item.during_pagination:
                item.during_pagination.pop(0)()
        return {**answer, "accounts": accounts, "has_more": more, "next_cursor": next_cursor,
                "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE"}

    # -- webhooks -------------------------------------------------------------------

    def webhook(self, item: _Item, code: str, webhook_type: str | None = None
                ) -> tuple[str, bytes] | None:
        """The (url, body) of a webhook for ``item``, or None without a webhook URL."""
        if not item.webhook:
            return None
        payload: dict[str, Any] = {"environment": "sandbox",
                                   "webhook_code": code,
                                   "webhook_type": webhook_type or _WEBHOOK_CODES[code],
                                   "item_id": item.item_id}
        if code == "SYNC_UPDATES_AVAILABLE":
            payload.update(initial_update_complete=True, historical_update_complete=True)
        elif code == "ERROR":
            payload["error"] = None
        return item.webhook, json.dumps(payload, indent=2).encode()

    async def deliver(self, target: tuple[str, bytes] | None) -> None:
        """POST a signed webhook; the outcome is kept in ``deliveries``."""
        if target is None:
            return
        url, body = target
        headers = {"content-type": "application/json", "plaid-verification": self.sign(body)}
        record: dict[str, Any] = {"url": url, "headers": headers, "body": body.decode()}
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                response = await client.post(url, content=body, headers=headers)
            record["status"] = response.status_code
        except httpx.HTTPError as exc:
            record["status"] = None
            record["error"] = type(exc).__name__
        self.deliveries.append(record)
        del self.deliveries[:-200]


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise _invalid(name, "must be a number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _invalid(name, "must be a number") from None
    if not number.is_finite():
        raise _invalid(name, "must be a finite number")
    return number


def _date_text(value: Any, name: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise _invalid(name, "must be a date as YYYY-MM-DD") from None


def _fields(body: dict[str, Any], names: tuple[str, ...]) -> None:
    missing = [n for n in names if body.get(n) in (None, "", [])]
    if missing:
        raise PlaidError(400, "INVALID_REQUEST", "MISSING_FIELDS",
                         f"the following required fields are missing: {', '.join(missing)}")


def sandbox_app(options: Any) -> FastAPI:
    """The Plaid emulator app for ``SandboxOptions`` (api_key is the secret)."""
    state = Sandbox(options.api_key, options.webhook_url, options.webhook_secret, options.seed)
    app = FastAPI(title="ledgerbridge Plaid emulator")
    app.state.plaid = state

    def answer(data: dict[str, Any], status: int = 200) -> Response:
        return Response(dumps({**data, "request_id": state.request_id()}), status_code=status,
                        media_type="application/json")

    async def body_of(request: Request, *, auth: bool = True) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"{}", parse_float=Decimal)
        except ValueError:
            raise PlaidError(400, "INVALID_REQUEST", "INVALID_BODY",
                             "body could not be parsed as JSON") from None
        if not isinstance(body, dict):
            raise PlaidError(400, "INVALID_REQUEST", "INVALID_BODY", "body must be an object")
        if auth:
            client_id = body.get("client_id") or request.headers.get("plaid-client-id")
            secret = body.get("secret") or request.headers.get("plaid-secret")
            if not client_id or not secret:
                missing = [n for n, v in (("client_id", client_id), ("secret", secret))
                           if not v]
                raise PlaidError(400, "INVALID_REQUEST", "MISSING_FIELDS",
                                 f"the following required fields are missing: "
                                 f"{', '.join(missing)}")
            if (client_id, secret) != (state.client_id, state.secret):
                raise PlaidError(400, "INVALID_INPUT", "INVALID_API_KEYS",
                                 "invalid client_id or secret provided")
        return body

    @app.exception_handler(PlaidError)
    async def plaid_error(_request: Request, exc: PlaidError) -> Response:
        return Response(dumps(exc.body(state.request_id())), status_code=exc.status,
                        media_type="application/json")

    # -- Plaid's endpoints ---------------------------------------------------------------

    @app.post("/transactions/sync")
    async def transactions_sync(request: Request) -> Response:
        """Changes to the Item's transactions since the cursor."""
        return answer(state.sync(await body_of(request)))

    @app.post("/webhook_verification_key/get")
    async def verification_key(request: Request) -> Response:
        """The public key (JWK) that signed a webhook."""
        body = await body_of(request)
        _fields(body, ("key_id",))
        state.key_requests += 1
        key = state.keys.get(body["key_id"])
        if key is None:
            raise PlaidError(400, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
                             "invalid key_id provided")
        return answer({"key": key})

    @app.post("/accounts/get")
    async def accounts_get(request: Request) -> Response:
        """The Item's accounts."""
        item = state.item((await body_of(request)).get("access_token"))
        return answer({"accounts": [state.account_view(item, a) for a in item.accounts],
                       "item": state.item_view(item)})

    @app.post("/item/webhook/update")
    async def webhook_update(request: Request) -> Response:
        """Set the Item's webhook URL."""
        body = await body_of(request)
        item = state.item(body.get("access_token"))
        item.webhook = body.get("webhook") or None
        return answer({"item": state.item_view(item)})

    @app.post("/sandbox/public_token/create")
    async def public_token_create(request: Request) -> Response:
        """A new Item, returned as a public token to exchange."""
        body = await body_of(request)
        _fields(body, ("institution_id", "initial_products"))
        opts = body.get("options") or {}
        item = state.new_item(opts.get("webhook") or state.webhook_url)
        token = f"public-sandbox-{state.uuid()}"
        state.public_tokens[token] = item
        return answer({"public_token": token})

    @app.post("/item/public_token/exchange")
    async def public_token_exchange(request: Request) -> Response:
        """The access token of a public token's Item."""
        body = await body_of(request)
        _fields(body, ("public_token",))
        item = state.public_tokens.pop(body["public_token"], None)
        if item is None:
            raise PlaidError(400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN",
                             "provided public token is expired or not found")
        return answer({"access_token": item.access_token, "item_id": item.item_id})

    @app.post("/sandbox/transactions/create")
    async def sandbox_transactions_create(request: Request) -> Response:
        """Add posted transactions to the Item, as Plaid's sandbox does."""
        body = await body_of(request)
        item = state.item(body.get("access_token"))
        _fields(body, ("transactions",))
        for spec in body["transactions"]:
            if not isinstance(spec, dict):
                raise _invalid("transactions", "must be a list of objects")
            _fields(spec, ("date_transacted", "date_posted", "amount", "description"))
            account = item.account(spec.get("account_id") or item.accounts[0]["account_id"])
            state.add_transaction(item, {
                "account_id": account["account_id"], "amount": spec["amount"],
                "date": spec["date_posted"], "authorized_date": spec["date_transacted"],
                "name": spec["description"],
                "iso_currency_code": spec.get("iso_currency_code") or account["iso_currency_code"],
            })
        await state.deliver(state.webhook(item, "SYNC_UPDATES_AVAILABLE"))
        return answer({})

    @app.post("/sandbox/item/fire_webhook")
    async def fire_webhook(request: Request) -> Response:
        """Send a webhook of the Item now."""
        body = await body_of(request)
        item = state.item(body.get("access_token"))
        code = body.get("webhook_code")
        if code not in _WEBHOOK_CODES:
            raise _invalid("webhook_code", f"must be one of {', '.join(sorted(_WEBHOOK_CODES))}")
        await state.deliver(state.webhook(item, code, body.get("webhook_type")))
        return answer({"webhook_fired": True})

    # -- controls Plaid has no endpoint for ---------------------------------------------

    async def changed(item: _Item, webhook: Any) -> None:
        if webhook is not False:
            await state.deliver(state.webhook(item, "SYNC_UPDATES_AVAILABLE"))

    @app.post("/_emulator/accounts/create")
    async def account_create(request: Request) -> Response:
        """Open an account (any currency) on the Item."""
        body = await body_of(request)
        item = state.item(body.get("access_token"))
        account = state.add_account(
            item, name=str(body.get("name") or "Account"),
            subtype=str(body.get("subtype") or "checking"),
            type_=str(body.get("type") or "depository"),
            iso_currency_code=body.get("iso_currency_code"),
            unofficial_currency_code=body.get("unofficial_currency_code"))
        return answer({"account": state.account_view(item, account)})

    @app.post("/_emulator/transactions/add")
    async def transaction_add(request: Request) -> Response:
        """Add one transaction: ``amount`` (positive is money out), ``pending``, ``date`` ..."""
        body = await body_of(request)
        item = state.item(body.pop("access_token", None))
        webhook = body.pop("webhook", True)
        for name in ("client_id", "secret"):
            body.pop(name, None)
        _fields(body, ("amount",))
        txn = state.add_transaction(item, body)
        await changed(item, webhook)
        return answer({"transaction": txn})

    @app.post("/_emulator/transactions/modify")
    async def transaction_modify(request: Request) -> Response:
        """Change a transaction's fields (``amount``, ``name``, ``merchant_name`` ...)."""
        body = await body_of(request)
        item = state.item(body.get("access_token"))
        txn = state.modify_transaction(item, body.get("transaction_id"),
                                       dict(body.get("changes") or {}))
        await changed(item, body.get("webhook"))
        return answer({"transaction": txn})

    @app.post("/_emulator/transactions/post")
    async def transaction_post(request: Request) -> Response:
        """Post a pending transaction (``link``: name it as the posted one's pending id)."""
        body = await body_of(request)
        item = state.item(body.get("access_token"))
        txn = state.post_transaction(item, body.get("transaction_id"),
                                     dict(body.get("changes") or {}),
                                     link=body.get("link", True) is not False)
        await changed(item, body.get("webhook"))
        return answer({"transaction": txn})

    @app.post("/_emulator/transactions/remove")
    async def transaction_remove(request: Request) -> Response:
        """Remove a transaction (a pending one that dropped, a reversal by the bank)."""
        body = await body_of(request)
        item = state.item(body.get("access_token"))
        state.remove_transaction(item, body.get("transaction_id"))
        await changed(item, body.get("webhook"))
        return answer({})

    @app.post("/_emulator/transactions/list")
    async def transaction_list(request: Request) -> Response:
        """Every current transaction of the Item, and the ids of removed ones."""
        item = state.item((await body_of(request)).get("access_token"))
        return answer({"transactions": list(item.current.values()),
                       "removed": sorted(item.gone)})

    @app.post("/_emulator/pagination/mutate")
    async def pagination_mutate(request: Request) -> Response:
        """Add these transactions right after the next page that has more after it."""
        body = await body_of(request)
        item = state.item(body.get("access_token"))
        for spec in body.get("transactions") or []:
            item.during_pagination.append(
                lambda spec=dict(spec): state.add_transaction(item, spec))
        return answer({"queued": len(item.during_pagination)})

    @app.post("/_emulator/webhook_key/rotate")
    async def key_rotate(request: Request) -> Response:
        """Sign webhooks with a new key; the old one is marked expired."""
        await body_of(request)
        return answer({"key_id": state.rotate_key()})

    @app.get("/_emulator/state")
    async def sandbox_state() -> Response:
        """The default Item's tokens, webhooks sent and counts of calls."""
        return answer({
            "default_item": {"item_id": state.default.item_id,
                             "access_token": state.default.access_token,
                             "accounts": [a["account_id"] for a in state.default.accounts]},
            "client_id": state.client_id, "webhook_key_id": state.signing_kid,
            "webhook_key_requests": state.key_requests,
            "sync_requests": state.sync_requests, "webhooks": state.deliveries,
        })

    return app
