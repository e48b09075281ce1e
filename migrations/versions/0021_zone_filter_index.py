"""zone filter index: the public zone list filtered by type (and level) counts its total from index
entries alone (an index-only scan) instead of visiting each matching zone's row (bench/growth.py).

Revision ID: 0021_zone_filter_index
Revises: 0020_zone_list_index
Create Date: 2026-11-27 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0021_zone_filter_index'
down_revision = '0020_zone_list_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.create_index('ix_zones_public_type_level', ['type', 'level'], unique=False, postgresql_where=sa.text('published_at IS NOT NULL'), sqlite_where=sa.text('published_at IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.drop_index('ix_zones_public_type_level', postgresql_where=sa.text('published_at IS NOT NULL'), sqlite_where=sa.text('published_at IS NOT NULL'))
