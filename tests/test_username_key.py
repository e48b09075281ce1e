"""Usernames are one however they are written ("ADMIN" is "admin", full-width too), and the database
holds it (users.username_key, unique): two accounts created at the same moment, each checked before
the other was written, cannot both take a name."""

import threading

import pytest
from sqlalchemy import inspect, select, text

from app.accounts import services as accounts
from app.accounts.models import User, username_digest
from app.accounts.roles import Role
from app.errors import AppError
from app.extensions import db
from tests.progress_helpers import ADMIN, PASSWORD
from tests.test_migrations import _insert


def test_an_account_carries_the_key_of_its_username(app):
    with app.app_context():
        user = accounts.create_staff_user("Key-Holder", PASSWORD, Role.INSTITUTE_STAFF)
        assert user.username_key == username_digest("key-holder")


def test_full_width_and_capitals_make_the_same_key():
    assert username_digest("ＫＥＹ-holder") == username_digest("key-HOLDER")


def test_the_database_refuses_a_second_account_of_the_same_name_the_check_missed(app, monkeypatch):
    # As when two requests both checked before either wrote: only the unique key is left to refuse it.
    monkeypatch.setattr(accounts, "username_taken", lambda username: False)
    with app.app_context():
        accounts.create_staff_user("same-moment", PASSWORD, Role.INSTITUTE_STAFF)
        with pytest.raises(AppError) as refused:
            accounts.create_staff_user("SAME-MOMENT", PASSWORD, Role.INSTITUTE_STAFF)
    assert (refused.value.status, refused.value.code) == (409, "username_taken")


def test_a_refused_second_account_leaves_nothing_behind(app, monkeypatch):
    monkeypatch.setattr(accounts, "username_taken", lambda username: False)
    with app.app_context():
        accounts.create_staff_user("left-behind", PASSWORD, Role.INSTITUTE_STAFF)
        with pytest.raises(AppError):
            accounts.create_staff_user("Left-Behind", PASSWORD, Role.INSTITUTE_STAFF)
        db.session.rollback()
        names = db.session.scalars(select(User.username).where(User.username.ilike("left-behind"))).all()
    assert names == ["left-behind"]


@pytest.mark.postgres
def test_concurrent_creations_of_one_name_written_differently_make_one_account(app, client, auth):
    admin = auth.staff("admin", username="race-admin")
    spellings = ["race-name", "RACE-NAME", "Race-Name", "race-NAME", "RaCe-NaMe", "rAcE-nAmE"]
    barrier = threading.Barrier(len(spellings))
    statuses = []

    def create(username):
        with app.test_client() as own:
            barrier.wait()
            body = {"username": username, "password": PASSWORD, "role": "institute_staff"}
            statuses.append(own.post(f"{ADMIN}/users", json=body, headers=admin).status_code)

    threads = [threading.Thread(target=create, args=(name,)) for name in spellings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * (len(spellings) - 1)


def migrated(tmp_path, make_app):
    """A database at 0024 holding two staff names that are one (made before the service checked), a
    third and a citizen without a username, upgraded: (keys by user id, users' unique column sets)."""
    from flask_migrate import upgrade

    fresh = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    with fresh.app_context():
        upgrade(revision="0024_visits_probed")
        with db.engine.begin() as conn:
            _insert(conn, "users", id=1, username="officer")
            _insert(conn, "users", id=2, username="OFFICER")
            _insert(conn, "users", id=3, username="other")
            _insert(conn, "users", id=4, openid="o_citizen")
        upgrade()
        with db.engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT id, username_key FROM users ORDER BY id")).all())
            unique = [c["column_names"] for c in inspect(conn).get_unique_constraints("users")]
    return keys, unique


def test_the_migration_keys_existing_names_and_leaves_a_later_same_name_without_one(tmp_path, make_app):
    keys, _ = migrated(tmp_path, make_app)
    assert keys == {1: username_digest("officer"), 2: None, 3: username_digest("other"), 4: None}


def test_the_migration_makes_the_key_unique(tmp_path, make_app):
    _, unique = migrated(tmp_path, make_app)
    assert ["username_key"] in unique
