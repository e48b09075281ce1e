"""documents: the identity document type of visitors and objectors

Revision ID: 0009_documents
Revises: 0008_trust
Create Date: 2026-11-25 02:30:00

Existing rows are resident ID cards (the only document taken before); their blind indexes stay as
they are (app.validators.person_key keeps the bare number for resident IDs).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_documents'
down_revision = '0008_trust'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking_visitors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_type', sa.String(length=32), server_default='resident_id', nullable=False))
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_type', sa.String(length=32), nullable=True))
    op.execute("UPDATE objections SET id_type = 'resident_id' WHERE id_number IS NOT NULL")


def downgrade():
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_column('id_type')
    with op.batch_alter_table('booking_visitors', schema=None) as batch_op:
        batch_op.drop_column('id_type')
