"""Alembic environment: runs on the connection handed over by ledgerbridge.store.migrate."""

from alembic import context

from ledgerbridge.store.engine import make_engine
from ledgerbridge.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn):
    context.configure(connection=conn, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # the alembic command line: `alembic -x db=URL upgrade head`
    engine = make_engine(context.get_x_argument(as_dictionary=True).get("db"))
    with engine.connect() as conn:
        _run(conn)
