"""check-in indexes: the photo rule's unique index holds only check-ins that carry a photo's hash
(partial), and the index on campaign_id alone goes (uq_campaign_checkins_once_a_day starts with it).
A check-in maintains two index entries fewer, and a student's check-ins in a campaign are found by
(campaign_id, user_id) even before the table's first statistics (bench/checkin_burst.py: the planner
had taken either campaign_id index and read every check-in of the campaign).

Revision ID: 0022_checkin_indexes
Revises: 0021_zone_filter_index
Create Date: 2026-11-27 09:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022_checkin_indexes'
down_revision = '0021_zone_filter_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign_checkins', schema=None) as batch_op:
        batch_op.drop_constraint('uq_campaign_checkins_photo_once', type_='unique')
        batch_op.drop_index('ix_campaign_checkins_campaign_id')
        batch_op.create_index('uq_campaign_checkins_photo_once', ['campaign_id', 'photo_sha256'], unique=True, postgresql_where=sa.text('photo_sha256 IS NOT NULL'), sqlite_where=sa.text('photo_sha256 IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('campaign_checkins', schema=None) as batch_op:
        batch_op.drop_index('uq_campaign_checkins_photo_once', postgresql_where=sa.text('photo_sha256 IS NOT NULL'), sqlite_where=sa.text('photo_sha256 IS NOT NULL'))
        batch_op.create_index('ix_campaign_checkins_campaign_id', ['campaign_id'], unique=False)
        batch_op.create_unique_constraint('uq_campaign_checkins_photo_once', ['campaign_id', 'photo_sha256'])
