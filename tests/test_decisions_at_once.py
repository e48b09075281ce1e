"""Two officers deciding one objection (or moving one zone) at the same moment: one decision stands,
the other is refused. The console reads the objection before deciding; the locked re-read inside
the service returned that same instance with the values read before the lock (no populate_existing),
so both decisions passed the rules and both were recorded, contradicting each other."""

import threading

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.errors import AppError
from app.extensions import db
from app.publicity import objections
from app.publicity.models import Objection, ObjectionEvent
from app.zones import lifecycle
from app.zones.models import Zone, ZoneTransition
from tests.factories import make_zone
from tests.test_console import an_objection, console_of, signed_in, staff_account  # noqa: F401 (the fixture)


def _admin(app, username):
    staff_account(app, "admin", username)
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_a_decision_reads_the_objection_as_it_is_now(app, an_objection):  # noqa: F811
    officer_id = _admin(app, "stale-officer")
    with app.app_context():
        # As the console's page read it before the form came back (held: the identity map is weak).
        held = db.session.get(Objection, an_objection)
        with db.engine.begin() as other:  # another officer's decision lands meanwhile
            other.execute(update(Objection).where(Objection.id == an_objection).values(status="accepted"))
        with pytest.raises(AppError) as refused:
            objections.decide(an_objection, "not_accepted", "不予受理，理由如下。", db.session.get(User, officer_id))
        assert held.status == "accepted"
    assert refused.value.code == "invalid_decision"


def test_a_transition_reads_the_zone_as_it_is_now(app):
    zone_id = make_zone(app, "expert_review")
    officer_id = _admin(app, "stale-mover")
    with app.app_context():
        held = db.session.get(Zone, zone_id)
        with db.engine.begin() as other:
            other.execute(update(Zone).where(Zone.id == zone_id).values(status="site_check"))
        with pytest.raises(AppError) as refused:
            lifecycle.transition(zone_id, "site_check", None, db.session.get(User, officer_id))
        assert held.status == "site_check"
    assert refused.value.code == "invalid_transition"


def _at_once(app, consoles, objection, statuses):
    """Each console posts its decision on `objection` at the same moment."""
    barrier = threading.Barrier(len(consoles))

    def post(console, status):
        barrier.wait()
        console.post(
            f"/console/objections/{objection}/decision",
            {"status": status, "from": "received", "reply": "处理意见：已核实相关情况。"},
        )

    threads = [threading.Thread(target=post, args=pair) for pair in zip(consoles, statuses, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        return db.session.scalar(select(func.count()).where(ObjectionEvent.objection_id == objection))


@pytest.mark.postgres
def test_two_officers_deciding_at_once_record_one_decision(app, an_objection):  # noqa: F811
    consoles = []
    for n in range(2):
        officer = signed_in(app, "institute_staff", f"racing-officer-{n}")
        officer.get(f"/console/objections/{an_objection}")
        consoles.append(officer)
    events = _at_once(app, consoles, an_objection, ["accepted", "not_accepted"])
    assert events == 2  # its receipt, and one decision


@pytest.mark.postgres
def test_one_officer_submitting_twice_at_once_records_one_decision(app, an_objection):  # noqa: F811
    staff_account(app, "institute_staff", "double-officer")
    consoles = [console_of(app, "double-officer") for _ in range(2)]
    for console in consoles:
        console.get(f"/console/objections/{an_objection}")
    events = _at_once(app, consoles, an_objection, ["accepted", "accepted"])
    assert events == 2


@pytest.mark.postgres
def test_two_officers_moving_a_zone_at_once_move_it_once(app):
    zone_id = make_zone(app, "expert_review")
    consoles = []
    for n in range(2):
        officer = signed_in(app, "institute_staff", f"racing-mover-{n}")
        officer.get(f"/console/zones/{zone_id}")
        consoles.append(officer)
    barrier = threading.Barrier(2)

    def move(console):
        barrier.wait()
        console.post(f"/console/zones/{zone_id}/transitions", {"to": "site_check", "from": "expert_review", "note": ""})

    threads = [threading.Thread(target=move, args=(console,)) for console in consoles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        steps = db.session.scalar(
            select(func.count()).where(ZoneTransition.zone_id == zone_id, ZoneTransition.to_status == "site_check")
        )
    assert steps == 1


@pytest.fixture
def decided_meanwhile(app, client, auth, an_objection):  # noqa: F811
    """The page an officer gets back for their decision, the objection having been accepted through
    the staff API since they opened it."""
    late = signed_in(app, "institute_staff", "late-officer")
    late.get(f"/console/objections/{an_objection}")
    client.post(
        f"/api/admin/v1/objections/{an_objection}/decision",
        json={"status": "accepted", "reply": "已受理，正在核实。"},
        headers=auth.staff("institute_staff"),
    )
    form = {"status": "not_accepted", "from": "received", "reply": "不予受理：理由与本项目无关。"}
    return late.post(f"/console/objections/{an_objection}/decision", form).get_data(as_text=True)


def test_an_officer_whose_objection_was_decided_meanwhile_keeps_the_reply_typed(decided_meanwhile):
    assert "不予受理：理由与本项目无关。" in decided_meanwhile


def test_an_officer_whose_objection_was_decided_meanwhile_is_told_what_it_became(decided_meanwhile):
    assert "这条异议已被处理为「已受理」" in decided_meanwhile
