"""username key: users.username_key holds the SHA-256 of the username made comparable (NFKC, case
folded: "ADMIN" is "admin"), unique, so two staff accounts created at the same moment cannot both take
one name however it is written. Existing names are keyed in id order; a later account whose name
already counts as an earlier one's (made before the service checked) keeps no key, and is listed in
the migration's output for the operator to rename or disable.

Revision ID: 0025_username_key
Revises: 0024_visits_probed
Create Date: 2026-11-28 12:00:00
"""
import hashlib
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0025_username_key'
down_revision = '0024_visits_probed'
branch_labels = None
depends_on = None


def _digest(username):
    # app.accounts.models.username_digest, restated: a migration keeps the rule it was written with.
    return hashlib.sha256(unicodedata.normalize("NFKC", username).casefold().encode()).hexdigest()


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_key', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('username', sa.String), sa.column('username_key', sa.String))
    seen = {}
    for user_id, username in connection.execute(
        sa.select(users.c.id, users.c.username).where(users.c.username.is_not(None)).order_by(users.c.id)
    ):
        key = _digest(username)
        if key in seen:
            print(f"0025_username_key: account {user_id} has the same name as account {seen[key]}: left without a key")
            continue
        seen[key] = user_id
        connection.execute(sa.update(users).where(users.c.id == user_id).values(username_key=key))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_users_username_key'), ['username_key'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_username_key'), type_='unique')
        batch_op.drop_column('username_key')
