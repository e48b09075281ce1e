"""guardian consent once: a guardian has at most one standing (not withdrawn) consent per child, by a
partial unique index on (student_id, guardian_id) where withdrawn_at IS NULL. Two concurrent consents
through two links had left two records, and withdrawing one left the child consented. Duplicates
already stored are first marked withdrawn (at their own consent time), keeping the oldest of each pair
standing: the child's consent is unchanged.

Revision ID: 0023_guardian_consent_once
Revises: 0022_checkin_indexes
Create Date: 2026-11-27 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0023_guardian_consent_once'
down_revision = '0022_checkin_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE guardian_consents SET withdrawn_at = consented_at "
        "WHERE withdrawn_at IS NULL AND EXISTS ("
        "SELECT 1 FROM guardian_consents AS older "
        "WHERE older.student_id = guardian_consents.student_id "
        "AND older.guardian_id = guardian_consents.guardian_id "
        "AND older.withdrawn_at IS NULL AND older.id < guardian_consents.id)"
    )
    with op.batch_alter_table('guardian_consents', schema=None) as batch_op:
        batch_op.create_index('uq_guardian_consents_active', ['student_id', 'guardian_id'], unique=True, postgresql_where=sa.text('withdrawn_at IS NULL'), sqlite_where=sa.text('withdrawn_at IS NULL'))


def downgrade():
    with op.batch_alter_table('guardian_consents', schema=None) as batch_op:
        batch_op.drop_index('uq_guardian_consents_active', postgresql_where=sa.text('withdrawn_at IS NULL'), sqlite_where=sa.text('withdrawn_at IS NULL'))
