"""Alembic environment: run migrations on the connection huiqi passes in (or open one from the URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from huiqi.ledger.database import make_engine
from huiqi.ledger.tables import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if given is not None:
    run(given)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        run(connection)
    engine.dispose()
