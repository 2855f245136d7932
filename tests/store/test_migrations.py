import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.store.migrate import alembic_config
from ledgerbridge.store.tables import metadata
from tests.conftest import PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_check"))
    engine = make_engine(PG_URL, connect_args={"options": "-csearch_path=migration_check"})
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA migration_check CASCADE"))
    admin.dispose()


def test_upgrading_an_empty_database_gives_the_models_schema(empty_engine):
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        tables = set(inspect(conn).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_upgrade_is_repeatable(empty_engine):
    upgrade(empty_engine)
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
