"""The waitlist's two "once" rules are kept by the database: one person waits once for a slot whichever
account asks (visit_waitlist_people, unique per slot and document), and one account waits once per
slot (a unique index over waiting requests). Before, both were checks that two requests made at the
same moment passed together; the second then only failed when a place came free."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.times import local_today
from app.visits import waitlist
from app.visits.models import WaitlistPerson
from tests.factories import make_base, make_slot
from tests.helpers import assert_error
from tests.test_migrations import _insert
from tests.test_visits import book, visitors
from tests.test_visits_probed2 import close, join, waiting  # noqa: F401  (the fixture)


def people_of(app, entry_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).where(WaitlistPerson.entry_id == entry_id))


def test_a_waiting_request_holds_one_row_per_visitor(app, client, auth):
    slot_id = make_slot(app, make_base(app), capacity=2)
    book(client, auth.wechat_headers("p-holder"), {"slot_id": slot_id, "visitors": visitors(2, 5)}, "p-held")
    entry = join(client, auth.wechat_headers("p-pair"), slot_id, {"visitors": visitors(2)}, "p-pair").json
    assert people_of(app, entry["id"]) == 2


def test_a_withdrawn_request_frees_its_people(app, client, waiting):  # noqa: F811
    client.delete(f"/api/mp/v1/waitlist/{waiting['entry']['id']}", headers=waiting["headers"])
    assert people_of(app, waiting["entry"]["id"]) == 0


def test_a_promoted_request_frees_its_people(app, client, waiting):  # noqa: F811
    client.post(f"/api/mp/v1/bookings/{waiting['held']['id']}/cancel", headers=waiting["first"])
    assert people_of(app, waiting["entry"]["id"]) == 0


def test_the_promoted_request_was_booked(app, client, waiting):  # noqa: F811
    client.post(f"/api/mp/v1/bookings/{waiting['held']['id']}/cancel", headers=waiting["first"])
    assert client.get("/api/mp/v1/me/bookings", headers=waiting["headers"]).json["total"] == 1


def test_closing_the_day_frees_the_people_of_its_waiting_requests(app, client, auth, waiting):  # noqa: F811
    with app.app_context():
        from app.visits.models import Slot

        day = db.session.get(Slot, waiting["slot_id"]).visit_date.isoformat()
    close(client, auth.staff("base_operator", base_id=waiting["base_id"]), waiting["base_id"], day)
    assert people_of(app, waiting["entry"]["id"]) == 0


def test_deleting_the_account_frees_the_people_of_its_requests(app, client, waiting):  # noqa: F811
    from app.visits import erasure
    from app.visits.models import WaitlistEntry

    with app.app_context():
        erasure.release_account(db.session.get(WaitlistEntry, waiting["entry"]["id"]).user_id)
        db.session.commit()
        left = db.session.scalar(select(func.count()).select_from(WaitlistPerson))
    assert left == 0


def test_purging_a_request_frees_its_people(app, waiting):  # noqa: F811
    from app.visits import erasure

    with app.app_context():
        erasure.purge_waitlist_entry(waiting["entry"]["id"])
        db.session.commit()
    assert people_of(app, waiting["entry"]["id"]) == 0


@pytest.fixture
def check_missed(monkeypatch):
    """As when two requests both checked before either wrote: the check before writing sees nothing,
    the one after the database's refusal sees what is there."""
    real, calls = waitlist._refuse_waiting_again, []

    def late(user, slot, indexes):
        calls.append(1)
        if len(calls) > 1:
            real(user, slot, indexes)

    monkeypatch.setattr(waitlist, "_refuse_waiting_again", late)


def test_the_database_refuses_a_waiting_visitor_the_check_missed(app, client, auth, waiting, check_missed):  # noqa: F811
    answer = join(client, auth.wechat_headers("p-missed"), waiting["slot_id"], {"visitors": visitors(1)}, "p-missed")
    assert_error(answer, 409, "person_already_waiting")


def test_the_database_refuses_an_accounts_second_request_the_check_missed(app, client, waiting, check_missed):  # noqa: F811
    answer = join(client, waiting["headers"], waiting["slot_id"], {"visitors": visitors(1, 8)}, "p-again")
    assert_error(answer, 409, "already_waiting")


def test_a_refused_request_leaves_nothing_behind(app, client, auth, waiting, check_missed):  # noqa: F811
    body = {"visitors": [*visitors(1, 8), *visitors(1)]}  # a new person, then the one already waiting
    join(client, auth.wechat_headers("p-partial"), waiting["slot_id"], body, "p-partial")
    with app.app_context():
        rows = db.session.scalar(select(func.count()).where(WaitlistPerson.slot_id == waiting["slot_id"]))
    assert rows == 1


def test_a_refusal_the_checks_cannot_name_is_a_conflict_to_retry(app, client, waiting, monkeypatch):  # noqa: F811
    """Were the database to refuse a request the checks then still could not name: 409, never a 500."""
    monkeypatch.setattr(waitlist, "_refuse_waiting_again", lambda user, slot, indexes: None)
    answer = join(client, waiting["headers"], waiting["slot_id"], {"visitors": visitors(1, 8)}, "p-unnamed")
    assert_error(answer, 409, "conflict")


def _race(app, slot_id, callers, body):
    """Each (headers, key) joins the slot's waitlist at the same moment; their statuses and codes."""
    barrier = threading.Barrier(len(callers))
    answers = []

    def attempt(headers, key):
        with app.test_client() as own:
            barrier.wait()
            answer = own.post(
                f"/api/mp/v1/slots/{slot_id}/waitlist", json=body, headers={**headers, "Idempotency-Key": key}
            )
            answers.append((answer.status_code, (answer.json.get("error") or {}).get("code")))

    threads = [threading.Thread(target=attempt, args=caller) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(answers, key=lambda a: (a[0], a[1] or ""))


@pytest.fixture
def full_slot(app, client, auth):
    slot_id = make_slot(app, make_base(app), capacity=1)
    book(client, auth.wechat_headers("race-holder"), {"slot_id": slot_id, "visitors": visitors(1, 5)}, "race-held")
    return slot_id


@pytest.mark.postgres
def test_accounts_racing_to_queue_one_visitor_queue_them_once(app, auth, full_slot):
    callers = [(auth.wechat_headers(f"race-{n}"), f"race-key-{n}") for n in range(6)]
    answers = _race(app, full_slot, callers, {"visitors": visitors(1)})
    assert answers == [(201, None)] + [(409, "person_already_waiting")] * 5


@pytest.mark.postgres
def test_one_account_racing_with_several_keys_waits_once(app, auth, full_slot):
    headers = auth.wechat_headers("race-self")
    callers = [(headers, f"race-self-{n}") for n in range(6)]
    answers = _race(app, full_slot, callers, {"visitors": visitors(1)})
    # Each loser is refused as the account already waiting or as its visitor already waiting, both
    # true: which of the two unique indexes the database meets first depends on the race.
    refused = {code for status, code in answers[1:] if status == 409}
    assert ([status for status, _ in answers], refused <= {"already_waiting", "person_already_waiting"}) == (
        [201] + [409] * 5,
        True,
    )


@pytest.fixture
def migrated(tmp_path, make_app):
    """Three waiting requests made before 0026: account 1's two (the second a race's leftover) and
    account 2's naming account 1's first visitor and another; then the upgrade."""
    import json

    from flask_migrate import upgrade

    fresh = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'waitlist.sqlite3'}")
    with fresh.app_context():
        day = (local_today() + timedelta(days=3)).isoformat()
        cipher = fresh.extensions["cipher"]
        upgrade(revision="0025_username_key")

        def request(*numbers):
            people = [{"name": "张三", "id_number": n} for n in numbers]
            return cipher.encrypt(json.dumps({"slot_id": 9, "visitors": people}))

        first, second = visitors(1)[0]["id_number"], visitors(1, 8)[0]["id_number"]
        with db.engine.begin() as conn:
            district = conn.execute(text("SELECT id FROM districts LIMIT 1")).scalar()
            for user_id in (1, 2):
                _insert(conn, "users", id=user_id, openid=f"o_{user_id}")
            _insert(conn, "zones", id=4, name="基地", type="park", district_id=district)
            _insert(conn, "visit_slots", id=9, base_id=4, visit_date=day, capacity=1)
            _insert(conn, "visit_waitlist", id=1, slot_id=9, user_id=1, request=request(first), status="waiting")
            _insert(conn, "visit_waitlist", id=2, slot_id=9, user_id=1, request=request(second), status="waiting")
            _insert(
                conn, "visit_waitlist", id=3, slot_id=9, user_id=2, request=request(first, second), status="waiting"
            )
        upgrade()
        with db.engine.connect() as conn:
            yield conn


def test_the_migration_indexes_each_waiting_person_once(migrated):
    rows = migrated.execute(text("SELECT entry_id FROM visit_waitlist_people ORDER BY id")).all()
    assert [row.entry_id for row in rows] == [1, 3]  # 3's first visitor already waits in 1


def test_the_migration_cancels_an_accounts_second_waiting_request(migrated):
    statuses = migrated.execute(text("SELECT status FROM visit_waitlist ORDER BY id")).scalars().all()
    assert statuses == ["waiting", "cancelled", "waiting"]
