"""Storage: SQLAlchemy Core tables, engines and Alembic migrations."""

from ledgerbridge.store.engine import DEFAULT_URL, database_url, make_engine
from ledgerbridge.store.migrate import upgrade

__all__ = ["DEFAULT_URL", "database_url", "make_engine", "upgrade"]
