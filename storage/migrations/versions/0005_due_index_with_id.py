"""due index ends with the task id

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:05:00.000000
"""

from __future__ import annotations

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The claim orders due tasks by (next_run_at, id). Without the id in the index PostgreSQL sorted every
    # due task on each claim (all of them, when thousands share one fire time); with it the claim walks the
    # index and stops after its batch. (SQLite's indexes already end with the rowid, which is the id.)
    with op.batch_alter_table('background_task', schema=None) as batch_op:
        batch_op.drop_index('ix_background_task_due')
        batch_op.create_index('ix_background_task_due', ['enabled', 'next_run_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('background_task', schema=None) as batch_op:
        batch_op.drop_index('ix_background_task_due')
        batch_op.create_index('ix_background_task_due', ['enabled', 'next_run_at'], unique=False)
