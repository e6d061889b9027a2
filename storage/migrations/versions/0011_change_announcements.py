"""announce writes to other consoles: PostgreSQL NOTIFY on the tables a console shows

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:00:00

Statement-level triggers, so a bulk write is one notification, not one per row; NOTIFY is delivered on
commit and PostgreSQL folds identical ones within a transaction. Connections that set
`procmod.batch_announcements = on` (headless workers) announce once a second instead. SQLite needs nothing: a watcher reads
`PRAGMA data_version` (core/changes.py). task_run announces only its results, not the lease heartbeats.
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

#: Table → the columns whose updates are announced (None: every update).
ANNOUNCED = {
    'processing_module': None,
    'notification': None,
    'task_run': ('result', 'finished_at', 'message'),
    'background_task': ('schedule', 'enabled', 'name'),
    'service': None,
    'tariff': None,
    'tariff_module': None,
    'datacenter': None,
    'department': None,
}


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        CREATE FUNCTION procmod_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- Headless workers batch their announcements (one NOTIFY a second, core/changes.py): a NOTIFY
            -- in every transaction would serialize their commits on PostgreSQL's notification queue lock.
            IF current_setting('procmod.batch_announcements', true) = 'on' THEN
                RETURN NULL;
            END IF;
            PERFORM pg_notify('procmod_change', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
    """)
    for table, columns in ANNOUNCED.items():
        update = 'UPDATE' if columns is None else 'UPDATE OF ' + ', '.join(columns)
        op.execute(f'CREATE TRIGGER procmod_announce_{table} AFTER INSERT OR DELETE OR {update} ON {table} '
                   'FOR EACH STATEMENT EXECUTE FUNCTION procmod_announce_change()')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in ANNOUNCED:
        op.execute(f'DROP TRIGGER IF EXISTS procmod_announce_{table} ON {table}')
    op.execute('DROP FUNCTION IF EXISTS procmod_announce_change()')
