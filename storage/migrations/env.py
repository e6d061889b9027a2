"""Alembic environment: runs on the connection handed over by `procmod.storage.migrate`."""

from __future__ import annotations

from alembic import context

from procmod.storage.models import Base
from procmod.storage.text_search import is_text_search_object

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
    # FTS5 tables and trigram indexes live outside the models (migration 0008): autogenerate leaves them be.
    include_object=lambda obj, name, type_, reflected, compare_to: not is_text_search_object(name, type_),
)
with context.begin_transaction():
    context.run_migrations()
