"""Persistence: SQLAlchemy models, the engine/session factory and Alembic migrations.

Never imports Textual, the console (`tui`) or the domain services (`core`).
"""
