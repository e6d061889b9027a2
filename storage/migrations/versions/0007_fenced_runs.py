"""runs retried after an interrupt; tasks disabled by the scheduler with a reason

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task_run') as batch:
        # The run this one retries (an interrupted run whose lease expired is retried once).
        batch.add_column(sa.Column('retry_of', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_task_run_retry_of_task_run', 'task_run', ['retry_of'], ['id'],
                                 ondelete='SET NULL')
    with op.batch_alter_table('background_task') as batch:
        # An interrupted run waiting for its retry: the next claim of the task records it as the retry.
        batch.add_column(sa.Column('retry_pending', sa.Integer(), nullable=True))
        # Why the scheduler disabled the task (a stored schedule that never fires); NULL when it did not.
        batch.add_column(sa.Column('disabled_reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('background_task') as batch:
        batch.drop_column('disabled_reason')
        batch.drop_column('retry_pending')
    with op.batch_alter_table('task_run') as batch:
        batch.drop_constraint('fk_task_run_retry_of_task_run', type_='foreignkey')
        batch.drop_column('retry_of')
