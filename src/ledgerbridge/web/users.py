"""Dashboard users and API tokens: roles, argon2 password hashes, hashed tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, insert, select, update

from ledgerbridge.ledger import LedgerError
from ledgerbridge.store.tables import api_tokens, dashboard_users

__all__ = [
    "Role",
    "User",
    "UserError",
    "add_user",
    "authenticate",
    "create_token",
    "get_user",
    "list_users",
    "log_out",
    "user_for_token",
]

_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password")
MIN_PASSWORD = 8


class Role(StrEnum):
    """What a user may do: a viewer reads, an accountant also decides, an admin also manages."""

    VIEWER = "viewer"
    ACCOUNTANT = "accountant"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in viewer < accountant < admin."""
        return list(Role).index(self)


class UserError(LedgerError):
    """A user that cannot be added, or a token for no one."""


@dataclass(frozen=True, slots=True)
class User:
    """A dashboard user (never carries the password hash)."""

    id: int
    name: str
    role: Role

    def can(self, role: Role) -> bool:
        """Whether this user has ``role`` or a higher one."""
        return self.role.rank >= role.rank


def _user(row) -> User:  # noqa: ANN001 - a result row
    return User(row.id, row.name, Role(row.role))


def add_user(engine: Engine, name: str, password: str, role: Role) -> User:
    """Store a new user with an argon2 hash of ``password``."""
    if not name.strip():
        raise UserError("a user needs a name")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    with engine.begin() as conn:
        if conn.execute(select(dashboard_users.c.id).where(dashboard_users.c.name == name)).first():
            raise UserError(f"user {name!r} already exists")
        user_id = conn.execute(insert(dashboard_users).values(
            name=name, password_hash=_hasher.hash(password), role=Role(role).value,
        )).inserted_primary_key[0]
    return User(user_id, name, Role(role))


def list_users(conn: Connection) -> list[User]:
    """Every active user, by name."""
    query = select(dashboard_users).where(dashboard_users.c.active.is_(True)).order_by(
        dashboard_users.c.name)
    return [_user(r) for r in conn.execute(query)]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)  # SQLite


def get_user(conn: Connection, user_id: int, *, since: dt.datetime | None = None
             ) -> User | None:
    """The active user with this id, or None.

    With ``since`` (a session's login time), also None when the user logged out after it.
    """
    row = conn.execute(select(dashboard_users).where(
        dashboard_users.c.id == user_id, dashboard_users.c.active.is_(True))).first()
    if row is None:
        return None
    if since is not None and row.logged_out_at is not None and (
            since <= _aware(row.logged_out_at)):
        return None
    return _user(row)


def log_out(engine: Engine, user_id: int) -> None:
    """End every session the user has now, on every device."""
    with engine.begin() as conn:
        conn.execute(update(dashboard_users).where(dashboard_users.c.id == user_id)
                     .values(logged_out_at=dt.datetime.now(dt.UTC)))


def authenticate(engine: Engine, name: str, password: str) -> User | None:
    """The user whose name and password these are, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(dashboard_users).where(
            dashboard_users.c.name == name, dashboard_users.c.active.is_(True))).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(update(dashboard_users).where(dashboard_users.c.id == row.id)
                         .values(password_hash=_hasher.hash(password)))
    return _user(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, name: str, label: str = "") -> str:
    """A new API token for user ``name``; only its hash is stored, so show it once."""
    token = "lb_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        user_id = conn.execute(select(dashboard_users.c.id).where(
            dashboard_users.c.name == name, dashboard_users.c.active.is_(True))).scalar()
        if user_id is None:
            raise UserError(f"no user {name!r}")
        conn.execute(insert(api_tokens).values(user_id=user_id, label=label,
                                               token_hash=_token_hash(token)))
    return token


def user_for_token(engine: Engine, token: str) -> User | None:
    """The active user an API token belongs to, or None; records when it was used."""
    digest = _token_hash(token)
    with engine.begin() as conn:
        row = conn.execute(
            select(dashboard_users).join(api_tokens, api_tokens.c.user_id == dashboard_users.c.id)
            .where(api_tokens.c.token_hash == digest, dashboard_users.c.active.is_(True))).first()
        if row is not None:
            conn.execute(update(api_tokens).where(api_tokens.c.token_hash == digest)
                         .values(last_used_at=dt.datetime.now(dt.UTC)))
    return None if row is None else _user(row)
