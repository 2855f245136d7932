"""The state of an emulated QuickBooks Online company: entities, tokens, faults to inject.

Entities are kept as QBO v3 JSON objects with ``Id``, ``SyncToken`` and ``MetaData``;
an update must carry the current SyncToken (else Stale Object Error, 5010). A write
answered once under a ``requestid`` is answered the same way again. Queries take
the small subset of Intuit's SQL dialect that integrations use (see :func:`parse_query`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ENTITIES", "Company", "QboFault", "Query", "parse_query", "stamp"]

ENTITIES = ("Account", "Customer", "Vendor", "Item", "Invoice", "Payment", "Bill",
            "BillPayment", "JournalEntry", "CreditMemo", "TaxCode", "TaxRate")
_MAX_RESULTS = 1000

_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<what>\*|COUNT\(\*\))\s+FROM\s+(?P<entity>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s*BY\s+(?P<order>[\w.]+)(?:\s+(?P<dir>ASC|DESC))?)?"
    r"(?:\s+STARTPOSITION\s+(?P<start>\d+))?(?:\s+MAXRESULTS\s+(?P<max>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL)
_CONDITION = re.compile(r"^\s*([\w.]+)\s*(=|>=|<=|>|<)\s*'((?:[^'\\]|\\.)*)'\s*$")


class QboFault(Exception):
    """An error QuickBooks answers with a ``Fault`` body."""

    def __init__(self, status: int, code: str, message: str, detail: str = "",
                 kind: str = "ValidationFault") -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.detail, self.kind = detail, kind

    def body(self) -> dict[str, Any]:
        """The JSON ``Fault`` body."""
        return {"Fault": {"Error": [{"Message": self.message, "Detail": self.detail,
                                     "code": self.code}], "type": self.kind},
                "time": stamp(dt.datetime.now(dt.UTC))}


def stamp(moment: dt.datetime) -> str:
    """A QBO timestamp (milliseconds and offset)."""
    return moment.isoformat(timespec="milliseconds")


def _moment(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise QboFault(400, "4000", "Error parsing query", f"bad date {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: entity, conditions ANDed, order, paging."""

    entity: str
    conditions: tuple[tuple[str, str, str], ...] = ()
    count: bool = False
    order: str | None = None
    descending: bool = False
    start: int = 1
    max_results: int = 100


def parse_query(text: str) -> Query:
    """Parse a query of Intuit's dialect, the subset integrations use.

    ``SELECT * FROM E [WHERE f op 'v' AND ...] [ORDERBY f] [STARTPOSITION n] [MAXRESULTS m]``
    """
    found = _QUERY.match(text)
    if found is None or found["entity"] not in ENTITIES:
        raise QboFault(400, "4000", "Error parsing query", f"QueryParserError: {text[:120]}")
    conditions = []
    for part in re.split(r"\s+AND\s+", found["where"] or "", flags=re.IGNORECASE):
        if not part.strip():
            continue
        condition = _CONDITION.match(part)
        if condition is None:
            raise QboFault(400, "4000", "Error parsing query", f"bad condition {part!r}")
        conditions.append((condition[1], condition[2], condition[3].replace("\\'", "'")))
    maximum = int(found["max"] or 100)
    if maximum > _MAX_RESULTS:
        raise QboFault(400, "4000", "Error parsing query", "MAXRESULTS is at most 1000")
    return Query(found["entity"], tuple(conditions), found["what"] != "*", found["order"],
                 (found["dir"] or "").upper() == "DESC", int(found["start"] or 1), maximum)


def _field(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for name in path.split("."):
        value = value.get(name) if isinstance(value, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    return value


_COMPARE = {"=": lambda a, b: a == b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
            ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b}


def _matches(record: dict[str, Any], conditions: tuple[tuple[str, str, str], ...]) -> bool:
    for path, op, wanted in conditions:
        have = _field(record, path)
        if have is None:
            return False
        if path.endswith("Time"):
            have, wanted_value = _moment(str(have)), _moment(wanted)
        else:
            have, wanted_value = str(have), wanted
        if not _COMPARE[op](have, wanted_value):
            return False
    return True


@dataclass
class Company:
    """One emulated company (realm), its OAuth client and what a test asked to go wrong."""

    realm_id: str
    client_id: str
    client_secret: str
    verifier_token: str
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in ENTITIES})
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    answered: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    throttled: int = 0
    per_minute: int | None = None  # Intuit allows 500 requests a minute per realm
    calls: deque[float] = field(default_factory=deque)  # monotonic times, the last minute
    admitted: int = 0  # API calls served since the start (or a reset)
    after_write: list[str] = field(default_factory=list)
    refreshes: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)
    _next_id: int = 100
    _last: dt.datetime = field(default_factory=lambda: dt.datetime(2000, 1, 1, tzinfo=dt.UTC))

    def reset(self) -> None:
        """Forget every entity, token and injected fault (a fresh company)."""
        with self.lock:
            for table in self.records.values():
                table.clear()
            for kept in (self.access_tokens, self.refresh_tokens, self.codes, self.answered):
                kept.clear()
            self.after_write.clear()
            self.throttled = self.refreshes = self.admitted = 0
            self.calls.clear()

    def over_limit(self) -> bool:
        """Count one API call; whether it exceeds ``per_minute`` (then it is not counted)."""
        now = time.monotonic()
        with self.lock:
            while self.calls and now - self.calls[0] >= 60:
                self.calls.popleft()
            if self.per_minute is not None and len(self.calls) >= self.per_minute:
                return True
            self.calls.append(now)
            self.admitted += 1
            return False

    # -- OAuth ----------------------------------------------------------------------

    def issue_code(self) -> str:
        """An authorization code, as Intuit's consent screen hands back."""
        code = "AB11" + secrets.token_hex(12)
        self.codes.add(code)
        return code

    def grant(self, form: dict[str, str]) -> dict[str, Any]:
        """Answer the token endpoint: a code or a refresh token for rotated tokens."""
        with self.lock:
            kind = form.get("grant_type")
            if kind == "authorization_code" and form.get("code") in self.codes:
                self.codes.discard(form["code"])
            elif kind == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
                self.refresh_tokens.discard(form["refresh_token"])  # rotated: old one spent
                self.refreshes += 1
            else:
                raise QboFault(400, "invalid_grant", "invalid_grant")
            return self._tokens()

    def _tokens(self) -> dict[str, Any]:
        access, refresh = "eyJ" + secrets.token_hex(20), "RT1-" + secrets.token_hex(16)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {"token_type": "bearer", "access_token": access, "refresh_token": refresh,
                "expires_in": 3600, "x_refresh_token_expires_in": 8726400}

    def expire_access_tokens(self) -> None:
        """Make every access token answer 401 (as an hour passing would)."""
        self.access_tokens.clear()

    # -- entities ---------------------------------------------------------------------

    def _stamp(self) -> str:
        now = max(dt.datetime.now(dt.UTC), self._last + dt.timedelta(milliseconds=1))
        self._last = now
        return stamp(now)

    def save(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create (no Id) or update (Id and the current SyncToken) one entity."""
        with self.lock:
            table = self.records[entity]
            when = self._stamp()
            if "Id" not in body:
                self._next_id += 1
                record = {**body, "Id": str(self._next_id), "SyncToken": "0",
                          "domain": "QBO", "sparse": False,
                          "MetaData": {"CreateTime": when, "LastUpdatedTime": when}}
            else:
                current = table.get(str(body["Id"]))
                if current is None:
                    raise QboFault(400, "610", "Object Not Found",
                                   f"Something you're trying to use has been made inactive "
                                   f"or deleted: {entity} {body['Id']}")
                if str(body.get("SyncToken")) != current["SyncToken"]:
                    raise QboFault(400, "5010", "Stale Object Error",
                                   f"Stale Object Error : You and {self.realm_id} were working "
                                   f"on this at the same time. {self.realm_id} finished before "
                                   f"you did, so your work was not saved.")
                base = current if body.get("sparse") else {
                    k: current[k] for k in ("Id", "domain", "MetaData")}
                record = {**base, **body, "sparse": False,
                          "SyncToken": str(int(current["SyncToken"]) + 1),
                          "MetaData": {**current["MetaData"], "LastUpdatedTime": when}}
            self._derive(entity, record)
            if entity == "BillPayment":
                self._settle_bills(table.get(record["Id"]), record, when)
            table[record["Id"]] = record
            return record

    def delete(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """Delete one transaction (``operation=delete``: its Id and current SyncToken)."""
        with self.lock:
            current = self.get(entity, str(body.get("Id")))
            if str(body.get("SyncToken")) != current["SyncToken"]:
                raise QboFault(400, "5010", "Stale Object Error",
                               f"Stale Object Error : {entity} {current['Id']} has changed")
            if entity == "BillPayment":
                self._settle_bills(current, None, self._stamp())
            del self.records[entity][current["Id"]]
            return {"status": "Deleted", "domain": "QBO", "Id": current["Id"]}

    def _settle_bills(self, old: dict[str, Any] | None, new: dict[str, Any] | None,
                      when: str) -> None:
        """Move the Balance of the bills a bill payment pays from ``old`` to ``new``."""
        change: dict[str, Any] = {}
        for payment, sign in ((old, 1), (new, -1)):
            for line in (payment or {}).get("Line", ()):
                for linked in line.get("LinkedTxn", ()):
                    if linked.get("TxnType") == "Bill":
                        if line.get("Amount", 0) <= 0:
                            raise QboFault(400, "2050", "Invalid amount", "Business "
                                           "Validation Error: a line amount must be positive")
                        bill = str(linked.get("TxnId"))
                        change[bill] = change.get(bill, 0) + sign * line.get("Amount", 0)
        for bill_id, delta in change.items():
            bill = self.get("Bill", bill_id)
            balance = bill["Balance"] + delta
            if balance < 0:
                raise QboFault(400, "6000", "A business validation error has occurred while "
                               "processing your request", f"Business Validation Error: the "
                               f"payment is more than the open balance of bill {bill_id}")
            bill["_balance"] = balance
        for bill_id in change:
            bill = self.records["Bill"][bill_id]
            bill["Balance"] = bill.pop("_balance")
            bill["MetaData"] = {**bill["MetaData"], "LastUpdatedTime": when}

    def _derive(self, entity: str, record: dict[str, Any]) -> None:
        """Fill totals QuickBooks computes itself."""
        if entity in ("Invoice", "Bill", "CreditMemo", "JournalEntry") and "TotalAmt" not in record:
            lines = [ln for ln in record.get("Line", ())
                     if ln.get("DetailType") != "SubTotalLineDetail"]
            if entity == "JournalEntry":
                lines = [ln for ln in lines if ln.get("JournalEntryLineDetail", {})
                         .get("PostingType") == "Debit"]
            record["TotalAmt"] = sum((ln.get("Amount", 0) for ln in lines), 0)
        if entity in ("Invoice", "Bill") and "Balance" not in record:
            record["Balance"] = record["TotalAmt"]

    def get(self, entity: str, entity_id: str) -> dict[str, Any]:
        """One entity by Id."""
        found = self.records.get(entity, {}).get(entity_id)
        if found is None:
            raise QboFault(400, "610", "Object Not Found", f"{entity} {entity_id}")
        return found

    def query(self, text: str) -> dict[str, Any]:
        """Answer a query as ``QueryResponse``."""
        query = parse_query(text)
        with self.lock:
            found = [r for r in self.records[query.entity].values()
                     if _matches(r, query.conditions)]
        if query.count:
            return {"totalCount": len(found)}
        order = query.order or "Id"
        found.sort(key=lambda r: (int(r["Id"]) if order == "Id" else str(_field(r, order))),
                   reverse=query.descending)
        page = found[query.start - 1:query.start - 1 + query.max_results]
        if not page:
            return {}
        return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}

    def changed_since(self, entities: list[str], since: dt.datetime) -> list[dict[str, Any]]:
        """CDC: each entity's objects changed after ``since`` (one QueryResponse each)."""
        answer = []
        with self.lock:
            for entity in entities:
                if entity not in ENTITIES:
                    raise QboFault(400, "4000", "Invalid entity", entity)
                changed = sorted((r for r in self.records[entity].values()
                                  if _moment(r["MetaData"]["LastUpdatedTime"]) > since),
                                 key=lambda r: r["MetaData"]["LastUpdatedTime"])
                answer.append({entity: changed, "startPosition": 1,
                               "maxResults": len(changed)} if changed else {})
        return answer
