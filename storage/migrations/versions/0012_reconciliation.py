"""reconciliation: services keep the panel's identity, plan, address and status; stored reports; plan map

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 05:30:00

The natural key of existing services is filled from what they already hold, per module type: cPanel's user
name is its remote id, a registrar's domain is its remote id (lower case), a VM's or a server's name is the
service's name. Only services with a remote id (opened on the panel) and not closed get one, and of several
live services claiming one key only the oldest keeps it, so the unique index can be built.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

LIVE_KEY = "natural_key IS NOT NULL AND status <> 'deleted'"
BY_NAME = ('vmmanager6', 'proxmox', 'dcimanager6')


def _where(condition: str) -> dict:
    return {'sqlite_where': sa.text(condition), 'postgresql_where': sa.text(condition)}


def upgrade() -> None:
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('natural_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('panel_plan', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('panel_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))

    by_name = ", ".join(f"'{t}'" for t in BY_NAME)
    op.execute(f"""
        UPDATE service SET natural_key = CASE
            (SELECT m.module_type FROM processing_module m WHERE m.id = service.module_id)
            WHEN 'namecheap' THEN lower(remote_id)
            WHEN 'cpanel' THEN remote_id
            ELSE CASE WHEN (SELECT m.module_type FROM processing_module m WHERE m.id = service.module_id)
                           IN ({by_name}) THEN name ELSE remote_id END
        END
        WHERE remote_id IS NOT NULL AND status <> 'deleted'
    """)
    op.execute(f"""
        UPDATE service SET natural_key = NULL
        WHERE {LIVE_KEY} AND EXISTS (
            SELECT 1 FROM service older WHERE older.module_id = service.module_id
            AND older.natural_key = service.natural_key AND older.status <> 'deleted' AND older.id < service.id)
    """)
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.create_index('uq_service_module_natural_key', ['module_id', 'natural_key'], unique=True,
                              **_where(LIVE_KEY))

    op.create_table('recon_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_by', sa.String(length=100), nullable=False),
    sa.Column('remote_total', sa.Integer(), nullable=False),
    sa.Column('panel_only', sa.Integer(), nullable=False),
    sa.Column('billing_only', sa.Integer(), nullable=False),
    sa.Column('different', sa.Integer(), nullable=False),
    sa.Column('open_rows', sa.Integer(), nullable=False),
    sa.Column('incomplete', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['processing_module.id'], name=op.f('fk_recon_report_module_id_processing_module'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_report'))
    )
    with op.batch_alter_table('recon_report', schema=None) as batch_op:
        batch_op.create_index('ix_recon_report_module_read', ['module_id', 'read_at'], unique=False)

    op.create_table('recon_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('remote_id', sa.String(length=100), nullable=True),
    sa.Column('billing_status', sa.String(length=16), nullable=True),
    sa.Column('panel_status', sa.String(length=16), nullable=True),
    sa.Column('billing_plan', sa.String(length=255), nullable=True),
    sa.Column('panel_plan', sa.String(length=100), nullable=True),
    sa.Column('billing_address', sa.String(length=255), nullable=True),
    sa.Column('panel_address', sa.String(length=255), nullable=True),
    sa.Column('billing_name', sa.String(length=255), nullable=True),
    sa.Column('panel_name', sa.String(length=255), nullable=True),
    sa.Column('differs', sa.String(length=64), nullable=True),
    sa.Column('resolved', sa.Text(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['recon_report.id'], name=op.f('fk_recon_row_report_id_recon_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_recon_row_service_id_service'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_row'))
    )
    with op.batch_alter_table('recon_row', schema=None) as batch_op:
        batch_op.create_index('ix_recon_row_report_group_key', ['report_id', 'group', 'key'], unique=False)
        batch_op.create_index('ix_recon_row_service', ['service_id'], unique=False)

    op.create_table('recon_plan_map',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('panel_plan', sa.String(length=100), nullable=False),
    sa.Column('tariff_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['processing_module.id'], name=op.f('fk_recon_plan_map_module_id_processing_module'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tariff_id'], ['tariff.id'], name=op.f('fk_recon_plan_map_tariff_id_tariff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_plan_map')),
    sa.UniqueConstraint('module_id', 'panel_plan', name='uq_recon_plan_map_module_plan')
    )


def downgrade() -> None:
    op.drop_table('recon_plan_map')
    op.drop_table('recon_row')
    op.drop_table('recon_report')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index('uq_service_module_natural_key', **_where(LIVE_KEY))
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('panel_status')
        batch_op.drop_column('address')
        batch_op.drop_column('panel_plan')
        batch_op.drop_column('natural_key')
