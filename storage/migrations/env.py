"""Alembic environment: runs on the connection handed over by `procmod.storage.migrate`."""

from __future__ import annotations

from alembic import context

from procmod.storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI directly
    from procmod.storage.engine import make_engine

    connection = make_engine(config.get_main_option("sqlalchemy.url") or None).connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
