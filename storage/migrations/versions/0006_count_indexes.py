"""indexes behind the modules list's per-row counts and the unread notifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Active services per module: a range on (module_id, status) instead of every service of the module.
    op.create_index('ix_service_module_status', 'service', ['module_id', 'status'], unique=False)
    # Unread notifications, newest first and per module: partial indexes holding the unread entries only.
    # The full (read_at, created_at) index they replace made an analyzed SQLite count a module's unread
    # entries by walking all unread ones (3 s for a page of modules at 100,000 notifications).
    unread = {'sqlite_where': sa.text('read_at IS NULL'), 'postgresql_where': sa.text('read_at IS NULL')}
    op.create_index('ix_notification_unread_created', 'notification', ['created_at'], unique=False, **unread)
    op.create_index('ix_notification_unread_module', 'notification', ['module_id', 'created_at'], unique=False,
                    **unread)
    op.drop_index('ix_notification_read_created', table_name='notification')


def downgrade() -> None:
    op.create_index('ix_notification_read_created', 'notification', ['read_at', 'created_at'], unique=False)
    op.drop_index('ix_notification_unread_module', table_name='notification')
    op.drop_index('ix_notification_unread_created', table_name='notification')
    op.drop_index('ix_service_module_status', table_name='service')
