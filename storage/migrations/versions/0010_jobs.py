"""jobs: service operations, batches, the failure queue

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OPEN = "state IN ('queued', 'running')"
FAILED = "state IN ('failed', 'interrupted') AND dismissed_at IS NULL AND kind <> 'batch'"


def _where(condition: str) -> dict:
    return {'sqlite_where': sa.text(condition), 'postgresql_where': sa.text(condition)}


def upgrade() -> None:
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'succeeded', 'failed', 'interrupted', 'cancelled', name='job_state', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('sealed', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('outcome', sa.String(length=1000), nullable=True),
    sa.Column('error_kind', sa.String(length=50), nullable=True),
    sa.Column('hint', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=64), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('worker', sa.String(length=100), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dismissed_by', sa.String(length=100), nullable=True),
    sa.Column('dismiss_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['job.id'], name=op.f('fk_job_batch_id_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['processing_module.id'], name=op.f('fk_job_module_id_processing_module'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_job_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('uq_job_one_open_per_service', ['service_id'], unique=True,
                              **_where(OPEN + " AND service_id IS NOT NULL"))
        batch_op.create_index('ix_job_open', ['state', 'id'], unique=False, **_where(OPEN))
        batch_op.create_index('ix_job_service_created', ['service_id', 'created_at'], unique=False)
        batch_op.create_index('ix_job_batch_state', ['batch_id', 'state'], unique=False,
                              **_where('batch_id IS NOT NULL'))
        batch_op.create_index('ix_job_failed', ['finished_at'], unique=False, **_where(FAILED))

    op.create_table('task_run_dismissal',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['task_run.id'], name=op.f('fk_task_run_dismissal_run_id_task_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_task_run_dismissal'))
    )

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attention', sa.String(length=300), nullable=True))

    with op.batch_alter_table('api_call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_api_call_job_id_job'), 'job', ['job_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_api_call_job', ['job_id'], unique=False, **_where('job_id IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('api_call', schema=None) as batch_op:
        batch_op.drop_index('ix_api_call_job', **_where('job_id IS NOT NULL'))
        batch_op.drop_constraint(batch_op.f('fk_api_call_job_id_job'), type_='foreignkey')
        batch_op.drop_column('job_id')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('attention')
    op.drop_table('task_run_dismissal')
    op.drop_table('job')
