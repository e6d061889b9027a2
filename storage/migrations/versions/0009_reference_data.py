"""reference data: the product-type catalogue, data center and department fields, tariff plan fields,
a sort priority per tariff link, and case-insensitive unique names

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: The catalogue as it ships (DOMAIN.md §2). A copy, not an import: a migration keeps the data of its day.
PRODUCT_TYPES = (
    ('vds', 'VPS'),
    ('vhost', 'Shared hosting'),
    ('dedic', 'Dedicated server'),
    ('domain', 'Domains'),
    ('certificate', 'SSL certificates'),
    ('soft', 'Licenses'),
    ('backup', 'Backup storage'),
)


def upgrade() -> None:
    # The catalogue: only the codes not there yet (a database seeded before this revision keeps its rows).
    product_type = sa.table('product_type', sa.column('code', sa.String), sa.column('name', sa.String))
    present = set(op.get_bind().execute(sa.select(product_type.c.code)).scalars())
    missing = [{'code': code, 'name': name} for code, name in PRODUCT_TYPES if code not in present]
    if missing:
        op.bulk_insert(product_type, missing)

    op.add_column('datacenter', sa.Column('code', sa.String(length=32), nullable=True))
    op.add_column('datacenter', sa.Column('location', sa.String(length=200), nullable=True))
    op.add_column('department', sa.Column('email', sa.String(length=254), nullable=True))
    op.add_column('department', sa.Column('notify_email', sa.String(length=254), nullable=True))
    op.add_column('department', sa.Column('description', sa.String(length=500), nullable=True))
    op.add_column('tariff', sa.Column('period', sa.String(length=16), nullable=False, server_default='month'))
    op.add_column('tariff', sa.Column('description', sa.Text(), nullable=True))
    op.add_column('tariff_module', sa.Column('sort_priority', sa.Integer(), nullable=False, server_default='100'))

    # Names are unique whatever their case: "frankfurt" is refused beside "Frankfurt", by the database too,
    # so two operators adding one name at once cannot both win.
    op.create_index('uq_datacenter_name_lower', 'datacenter', [sa.text('lower(name)')], unique=True)
    op.create_index('uq_datacenter_code_lower', 'datacenter', [sa.text('lower(code)')], unique=True)
    op.create_index('uq_department_name_lower', 'department', [sa.text('lower(name)')], unique=True)
    # The tariff filter's index (lower(name)) becomes unique: one index serves the filter and the rule.
    op.drop_index('ix_tariff_name_lower', table_name='tariff')
    op.create_index('ix_tariff_name_lower', 'tariff', [sa.text('lower(name)')], unique=True)


def downgrade() -> None:
    op.drop_index('ix_tariff_name_lower', table_name='tariff')
    op.create_index('ix_tariff_name_lower', 'tariff', [sa.text('lower(name)')], unique=False)
    op.drop_index('uq_department_name_lower', table_name='department')
    op.drop_index('uq_datacenter_code_lower', table_name='datacenter')
    op.drop_index('uq_datacenter_name_lower', table_name='datacenter')
    with op.batch_alter_table('tariff_module') as batch:
        batch.drop_column('sort_priority')
    with op.batch_alter_table('tariff') as batch:
        batch.drop_column('description')
        batch.drop_column('period')
    with op.batch_alter_table('department') as batch:
        batch.drop_column('description')
        batch.drop_column('notify_email')
        batch.drop_column('email')
    with op.batch_alter_table('datacenter') as batch:
        batch.drop_column('location')
        batch.drop_column('code')
