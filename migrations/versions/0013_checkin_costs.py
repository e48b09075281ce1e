"""check-ins have a cost: a photo's weight counts once per campaign (its content hash), and a school
may void a student's check-ins (kept, audited, counted nowhere)

Revision ID: 0013_checkin_costs
Revises: 0012_outbox_jobs
Create Date: 2026-11-26 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.db_types  # noqa: F401  (custom column types)


revision = '0013_checkin_costs'
down_revision = '0012_outbox_jobs'
branch_labels = None
depends_on = None


def upgrade():
    # Check-ins made before this revision keep the points they were given: no hash is back-filled,
    # so their photos may still count once on a later check-in.
    with op.batch_alter_table('campaign_checkins') as batch_op:
        batch_op.add_column(sa.Column('photo_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('voided_at', app.db_types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('voided_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_campaign_checkins_voided_by_id_users', 'users', ['voided_by_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_unique_constraint('uq_campaign_checkins_photo_once', ['campaign_id', 'photo_sha256'])


def downgrade():
    with op.batch_alter_table('campaign_checkins') as batch_op:
        batch_op.drop_constraint('uq_campaign_checkins_photo_once', type_='unique')
        batch_op.drop_constraint('fk_campaign_checkins_voided_by_id_users', type_='foreignkey')
        batch_op.drop_column('voided_by_id')
        batch_op.drop_column('voided_reason')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('photo_sha256')
