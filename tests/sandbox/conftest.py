"""Fixtures: the SQLite-only ledger of the pilot tests."""

from tests.pilot.conftest import sqlite_ledger, sqlite_url

__all__ = ["sqlite_ledger", "sqlite_url"]
