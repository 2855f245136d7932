"""Fixtures: SQLite-only books for tests whose subject is not the storage."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.store import make_engine
from tests.pilot.books import piloted


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """URL of an empty, migrated SQLite database."""
    path = tmp_path / "ledger.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_ledger(sqlite_url: str) -> Iterator[Ledger]:
    """A USD ledger with the standard chart, on SQLite only."""
    engine = make_engine(sqlite_url)
    yield Ledger.create(engine, name="Test Co", currency="USD", chart=standard_chart())
    engine.dispose()


@pytest.fixture(scope="module")
def shadow_book(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[str, Ledger]]:
    """The generated quarter run in shadow mode, shared by tests that only read it."""
    path = tmp_path_factory.mktemp("pilot") / "ledger.db"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    live = Ledger.create(engine, name="Test Co", currency="USD", chart=standard_chart())
    yield f"sqlite:///{path}", piloted(live)[1]
    engine.dispose()
