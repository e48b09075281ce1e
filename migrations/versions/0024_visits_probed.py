"""visits probed: a base's closed days are recorded in visit_closures (one row per base and day), so a
day can be closed before it has slots and slots created later for it are skipped. Days already closed
(their slots marked closed) are carried over, with the reason of their first closed slot.

Revision ID: 0024_visits_probed
Revises: 0023_guardian_consent_once
Create Date: 2026-11-28 10:00:00
"""
from alembic import op
import sqlalchemy as sa

import app.db_types  # noqa: F401  (custom column types)


revision = '0024_visits_probed'
down_revision = '0023_guardian_consent_once'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'visit_closures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('visit_date', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('created_at', app.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['base_id'], ['zones.id'], name=op.f('fk_visit_closures_base_id_zones'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_closures')),
        sa.UniqueConstraint('base_id', 'visit_date', name='uq_visit_closures_base_day'),
    )
    op.execute(
        "INSERT INTO visit_closures (base_id, visit_date, reason, created_at) "
        "SELECT s.base_id, s.visit_date, COALESCE(MIN(s.closed_reason), '闭馆'), CURRENT_TIMESTAMP "
        "FROM visit_slots AS s WHERE s.status = 'closed' GROUP BY s.base_id, s.visit_date"
    )


def downgrade():
    op.drop_table('visit_closures')
