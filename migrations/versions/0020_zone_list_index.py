"""zone list index: the public zone list's default order (updated_at, id) among published zones, so
page 1 reads 20 index entries instead of sorting every published zone (bench/growth.py).

Revision ID: 0020_zone_list_index
Revises: 0019_consents
Create Date: 2026-11-25 20:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0020_zone_list_index'
down_revision = '0019_consents'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.create_index('ix_zones_public_updated', ['updated_at', 'id'], unique=False, postgresql_where=sa.text('published_at IS NOT NULL'), sqlite_where=sa.text('published_at IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.drop_index('ix_zones_public_updated', postgresql_where=sa.text('published_at IS NOT NULL'), sqlite_where=sa.text('published_at IS NOT NULL'))
