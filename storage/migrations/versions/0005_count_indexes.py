"""indexes behind the modules list's per-row counts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Active services per module: a range on (module_id, status) instead of every service of the module.
    op.create_index('ix_service_module_status', 'service', ['module_id', 'status'], unique=False)
    # Unread notifications per module: a partial index holding the unread entries only.
    op.create_index('ix_notification_unread_module', 'notification', ['module_id'], unique=False,
                    sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_notification_unread_module', table_name='notification')
    op.drop_index('ix_service_module_status', table_name='service')
