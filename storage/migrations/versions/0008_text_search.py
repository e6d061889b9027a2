"""text-search indexes behind the lists' filters: SQLite FTS5 (trigram) tables, PostgreSQL pg_trgm GIN

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:40:00
"""

from __future__ import annotations

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# (table, column): the lists filter by "the name contains". Written out here (not imported) so that this
# migration stays what it was when later code changes; procmod.storage.text_search names the same objects.
COLUMNS = [('service', 'name'), ('tariff', 'name'), ('processing_module', 'name'),
           ('notification', 'description'), ('background_task', 'name')]


def _sqlite_create(table: str, column: str) -> list[str]:
    f = f'{table}_{column}_fts'
    return [
        f"CREATE VIRTUAL TABLE {f} USING fts5({column}, content='{table}', content_rowid='id', tokenize='trigram')",
        f"INSERT INTO {f}({f}) VALUES ('rebuild')",
        f"CREATE TRIGGER {f}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {f}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"CREATE TRIGGER {f}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {f}({f}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        f"CREATE TRIGGER {f}_update AFTER UPDATE OF {column} ON {table} BEGIN "
        f"INSERT INTO {f}({f}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
        f"INSERT INTO {f}(rowid, {column}) VALUES (new.id, new.{column}); END",
    ]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for table, column in COLUMNS:
            for statement in _sqlite_create(table, column):
                op.execute(statement)
    elif bind.dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for table, column in COLUMNS:
            op.execute(f'CREATE INDEX IF NOT EXISTS ix_{table}_{column}_trgm ON {table} '
                       f'USING gin ({column} gin_trgm_ops)')


def downgrade() -> None:
    bind = op.get_bind()
    for table, column in COLUMNS:
        if bind.dialect.name == 'sqlite':
            f = f'{table}_{column}_fts'
            for event in ('insert', 'delete', 'update'):
                op.execute(f'DROP TRIGGER IF EXISTS {f}_{event}')
            op.execute(f'DROP TABLE IF EXISTS {f}')
        elif bind.dialect.name == 'postgresql':
            op.execute(f'DROP INDEX IF EXISTS ix_{table}_{column}_trgm')
