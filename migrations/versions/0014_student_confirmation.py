"""student confirmation: an age band above under_14 a student declared waits for the school

Revision ID: 0014_student_confirmation
Revises: 0013_checkin_costs
Create Date: 2026-11-25 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014_student_confirmation'
down_revision = '0013_checkin_costs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('student_profiles') as batch_op:
        batch_op.add_column(sa.Column('pending_age_band', sa.String(length=8), nullable=True))
    # Students the school has not confirmed yet keep the band they declared as pending: the school's
    # confirmation applies it, as it does for new declarations.
    op.execute("UPDATE student_profiles SET pending_age_band = age_band, age_band = 'under_14' "
               "WHERE confirmed_at IS NULL AND age_band <> 'under_14'")


def downgrade():
    # Pending bands are dropped, not applied: the school never confirmed them.
    with op.batch_alter_table('student_profiles') as batch_op:
        batch_op.drop_column('pending_age_band')
