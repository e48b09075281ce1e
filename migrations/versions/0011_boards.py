"""boards: teacher-confirmed check-ins, class actions, when a check-in's points last changed

Revision ID: 0011_boards
Revises: 0010_campaigns
Create Date: 2026-11-25 06:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.db_types  # noqa: F401  (custom column types)


revision = '0011_boards'
down_revision = '0010_campaigns'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign_checkins') as batch_op:
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scored_at', app.db_types.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key('fk_campaign_checkins_confirmed_by_id_users', 'users', ['confirmed_by_id'], ['id'],
                                    ondelete='SET NULL')
    op.execute("UPDATE campaign_checkins SET scored_at = created_at")
    with op.batch_alter_table('campaign_checkins') as batch_op:
        batch_op.alter_column('scored_at', existing_type=app.db_types.UTCDateTime(), nullable=False)
        batch_op.create_index('ix_campaign_checkins_scored_at', ['scored_at'], unique=False)

    op.create_table('campaign_class_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('class_name', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kw', sa.Numeric(precision=8, scale=3), nullable=False),
    sa.Column('hours', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=10, scale=3), nullable=False),
    sa.Column('factor_id', sa.Integer(), nullable=False),
    sa.Column('co2_kg', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('points', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_class_actions_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_campaign_class_actions_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['factor_id'], ['action_factors.id'], name=op.f('fk_campaign_class_actions_factor_id_action_factors')),
    sa.ForeignKeyConstraint(['school_id'], ['zones.id'], name=op.f('fk_campaign_class_actions_school_id_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_class_actions')),
    sa.UniqueConstraint('campaign_id', 'school_id', 'class_name', 'action', 'day', name='uq_campaign_class_actions_once_a_day')
    )
    with op.batch_alter_table('campaign_class_actions') as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_class_actions_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    op.drop_table('campaign_class_actions')
    with op.batch_alter_table('campaign_checkins') as batch_op:
        batch_op.drop_index('ix_campaign_checkins_scored_at')
        batch_op.drop_constraint('fk_campaign_checkins_confirmed_by_id_users', type_='foreignkey')
        batch_op.drop_column('scored_at')
        batch_op.drop_column('confirmed_by_id')
