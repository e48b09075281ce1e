"""waitlist people: one person waits once for a slot, and one account once, in the database.

visit_waitlist_people holds the blind index of each visitor's document of a waiting request (rows
live while the request waits), unique per slot; visit_waitlist gains a unique index on (slot, account)
over waiting requests. Until now both rules were checks that two simultaneous requests could pass
together.

Data step, with the app's own cipher (Flask-Migrate runs migrations inside the app): the visitors of
every waiting request are indexed in request order. A later request naming a person already indexed
for its slot, or a second waiting request of one account for one slot (made before the rules were
kept by the database), is listed by id in the output: the first is left waiting without that
person's row (it fails at promotion, as before), the second is cancelled, the first one waiting.

Revision ID: 0026_waitlist_people
Revises: 0025_username_key
Create Date: 2026-11-28 14:00:00
"""

import json

from alembic import op
import sqlalchemy as sa


revision = "0026_waitlist_people"
down_revision = "0025_username_key"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "visit_waitlist_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("id_index", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["visit_waitlist.id"],
            name=op.f("fk_visit_waitlist_people_entry_id_visit_waitlist"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_waitlist_people")),
        sa.UniqueConstraint("slot_id", "id_index", name="uq_visit_waitlist_people_slot_person"),
    )
    with op.batch_alter_table("visit_waitlist_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_waitlist_people_entry_id"), ["entry_id"], unique=False)

    from flask import current_app

    from app.validators import person_key  # the rule booking_visitors.id_index is kept with

    cipher = current_app.extensions["cipher"]
    conn = op.get_bind()
    waitlist = sa.table(
        "visit_waitlist",
        sa.column("id", sa.Integer),
        sa.column("slot_id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("request", sa.String),
        sa.column("status", sa.String),
    )
    people = sa.table(
        "visit_waitlist_people",
        sa.column("entry_id", sa.Integer),
        sa.column("slot_id", sa.Integer),
        sa.column("id_index", sa.String),
    )
    accounts, persons = set(), set()
    for entry_id, slot_id, user_id, request in conn.execute(
        sa.select(waitlist.c.id, waitlist.c.slot_id, waitlist.c.user_id, waitlist.c.request)
        .where(waitlist.c.status == "waiting")
        .order_by(waitlist.c.id)
    ):
        if (slot_id, user_id) in accounts:
            print(
                f"0026_waitlist_people: waiting request {entry_id} is its account's second for slot {slot_id}: cancelled"
            )
            conn.execute(sa.update(waitlist).where(waitlist.c.id == entry_id).values(status="cancelled"))
            continue
        accounts.add((slot_id, user_id))
        for visitor in json.loads(cipher.decrypt(request)).get("visitors") or []:
            index = cipher.blind_index(person_key(visitor.get("id_type") or "resident_id", visitor["id_number"]))
            if (slot_id, index) in persons:
                print(
                    f"0026_waitlist_people: waiting request {entry_id} names a person already waiting for slot {slot_id}"
                )
                continue
            persons.add((slot_id, index))
            conn.execute(sa.insert(people).values(entry_id=entry_id, slot_id=slot_id, id_index=index))

    with op.batch_alter_table("visit_waitlist", schema=None) as batch_op:
        batch_op.create_index(
            "uq_visit_waitlist_waiting_user",
            ["slot_id", "user_id"],
            unique=True,
            postgresql_where=sa.text("status = 'waiting'"),
            sqlite_where=sa.text("status = 'waiting'"),
        )


def downgrade():
    with op.batch_alter_table("visit_waitlist", schema=None) as batch_op:
        batch_op.drop_index("uq_visit_waitlist_waiting_user")
    with op.batch_alter_table("visit_waitlist_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_waitlist_people_entry_id"))
    op.drop_table("visit_waitlist_people")
