"""A base's closed days can be reviewed and a closure lifted (a day closed by mistake, or the weather
cleared): through the staff API and the console, within the staff member's bases. The day takes
slots again and its slots that the closure closed reopen; the bookings it cancelled stay cancelled."""

from datetime import timedelta

import pytest

from app.audit.models import AuditEntry
from app.extensions import db
from app.visits.models import Closure
from tests.factories import make_base, make_slot
from tests.helpers import assert_error
from tests.test_visits import book, visitors
from tests.test_visits_probed2 import AFTERNOON, bulk, close, slots_of
from tests.test_visits_staff import local_today


def reopen(client, headers, base_id, day):
    return client.delete(f"/api/admin/v1/bases/{base_id}/closures/{day}", headers=headers)


def closures(client, headers, base_id, query=""):
    return client.get(f"/api/admin/v1/bases/{base_id}/closures{query}", headers=headers)


@pytest.fixture
def closed(client, auth, app):
    """A base whose day two days ahead had a booked slot, then was closed (its slots read once, so
    cached closed)."""
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, days_ahead=2)
    citizen = auth.wechat_headers("closed-out")
    booking = book(client, citizen, {"slot_id": slot_id, "visitors": visitors(1)}, "closed-1").json
    day = (local_today() + timedelta(days=2)).isoformat()
    operator = auth.staff("base_operator", base_id=base_id)
    close(client, operator, base_id, day, reason="暴雪天气")
    slots_of(client, base_id, day)
    return {
        "base_id": base_id,
        "slot_id": slot_id,
        "day": day,
        "operator": operator,
        "citizen": citizen,
        "booking_id": booking["id"],
    }


# ---- the list ---------------------------------------------------------------------------------------


def test_the_closures_list_names_the_day(client, closed):
    listed = closures(client, closed["operator"], closed["base_id"]).json
    assert [c["date"] for c in listed["items"]] == [closed["day"]]


def test_the_closures_list_names_the_reason(client, closed):
    listed = closures(client, closed["operator"], closed["base_id"]).json
    assert listed["items"][0]["reason"] == "暴雪天气"


def test_the_closures_list_is_the_envelope(client, closed):
    listed = closures(client, closed["operator"], closed["base_id"]).json
    assert (listed["total"], listed["page"], listed["per_page"]) == (1, 1, 20)


def test_the_closures_list_says_when_each_was_recorded_to_the_second(client, closed):
    listed = closures(client, closed["operator"], closed["base_id"]).json
    assert listed["items"][0]["created_at"].endswith("+08:00")


def test_the_closures_list_starts_today_unless_asked(client, app, closed):
    with app.app_context():
        past = local_today() - timedelta(days=3)
        db.session.add(Closure(base_id=closed["base_id"], visit_date=past, reason="设备检修"))
        db.session.commit()
    listed = closures(client, closed["operator"], closed["base_id"]).json
    assert past.isoformat() not in [c["date"] for c in listed["items"]]


def test_the_closures_list_reaches_back_when_asked(client, app, closed):
    with app.app_context():
        past = local_today() - timedelta(days=3)
        db.session.add(Closure(base_id=closed["base_id"], visit_date=past, reason="设备检修"))
        db.session.commit()
    listed = closures(client, closed["operator"], closed["base_id"], f"?from={past.isoformat()}").json
    assert [c["date"] for c in listed["items"]] == [past.isoformat(), closed["day"]]


def test_the_closures_list_ends_where_asked(client, closed):
    before = (local_today() + timedelta(days=1)).isoformat()
    listed = closures(client, closed["operator"], closed["base_id"], f"?to={before}").json
    assert listed["items"] == []


def test_another_bases_operator_cannot_list_its_closures(client, auth, app, closed):
    other = auth.staff("base_operator", base_id=make_base(app))
    assert closures(client, other, closed["base_id"]).status_code == 403


# ---- lifting a closure ------------------------------------------------------------------------------


def test_lifting_a_closure_answers_the_slots_reopened(client, closed):
    answer = reopen(client, closed["operator"], closed["base_id"], closed["day"])
    assert answer.json == {"date": closed["day"], "reopened_slots": 1}


def test_lifting_a_closure_reopens_its_slots_to_citizens(client, closed):
    reopen(client, closed["operator"], closed["base_id"], closed["day"])
    assert [s["status"] for s in slots_of(client, closed["base_id"], closed["day"])] == ["open"]


def test_a_reopened_slot_takes_bookings(client, auth, closed):
    reopen(client, closed["operator"], closed["base_id"], closed["day"])
    body = {"slot_id": closed["slot_id"], "visitors": visitors(1, 3)}
    assert book(client, auth.wechat_headers("after-reopen"), body, "reopened-1").status_code == 201


def test_lifting_a_closure_leaves_its_cancelled_bookings_cancelled(client, closed):
    reopen(client, closed["operator"], closed["base_id"], closed["day"])
    booking = client.get(f"/api/mp/v1/bookings/{closed['booking_id']}", headers=closed["citizen"]).json
    assert booking["status"] == "cancelled"


def test_a_day_whose_closure_was_lifted_takes_new_slots(client, closed):
    reopen(client, closed["operator"], closed["base_id"], closed["day"])
    assert bulk(client, closed["operator"], closed["base_id"], closed["day"], AFTERNOON).json["created"] == 1


def test_a_lifted_closure_leaves_the_list(client, closed):
    reopen(client, closed["operator"], closed["base_id"], closed["day"])
    assert closures(client, closed["operator"], closed["base_id"]).json["items"] == []


def test_lifting_a_closure_is_in_the_audit_log(client, app, closed):
    reopen(client, closed["operator"], closed["base_id"], closed["day"])
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.entity_id == closed["base_id"]))
        assert "base.reopen_day" in list(actions)


def test_lifting_a_closure_twice_is_a_404(client, closed):
    reopen(client, closed["operator"], closed["base_id"], closed["day"])
    assert_error(reopen(client, closed["operator"], closed["base_id"], closed["day"]), 404, "not_found")


def test_a_retried_lift_with_its_key_gets_the_first_answer(client, closed):
    headers = {**closed["operator"], "Idempotency-Key": "lift-once"}
    first = reopen(client, headers, closed["base_id"], closed["day"])
    again = reopen(client, headers, closed["base_id"], closed["day"])
    assert (again.status_code, again.json) == (first.status_code, first.json)


def test_lifting_a_closure_that_was_never_made_is_a_404(client, closed):
    day = (local_today() + timedelta(days=9)).isoformat()
    assert_error(reopen(client, closed["operator"], closed["base_id"], day), 404, "not_found")


def test_lifting_a_closure_of_a_past_day_is_a_422(client, app, closed):
    past = local_today() - timedelta(days=1)
    with app.app_context():
        db.session.add(Closure(base_id=closed["base_id"], visit_date=past, reason="设备检修"))
        db.session.commit()
    answer = reopen(client, closed["operator"], closed["base_id"], past.isoformat())
    assert "date" in assert_error(answer, 422, "validation_error")["details"]


@pytest.mark.parametrize("day", ["2026-13-01", "tomorrow", "2026-1-1x", "１２"])
def test_a_closure_named_by_no_date_is_a_422_naming_the_date(client, closed, day):
    answer = reopen(client, closed["operator"], closed["base_id"], day)
    assert "date" in assert_error(answer, 422, "validation_error")["details"]


def test_another_bases_operator_cannot_lift_its_closure(client, auth, app, closed):
    other = auth.staff("base_operator", base_id=make_base(app))
    assert reopen(client, other, closed["base_id"], closed["day"]).status_code == 403


def test_a_closure_another_operator_could_not_lift_still_stands(client, auth, app, closed):
    other = auth.staff("base_operator", base_id=make_base(app))
    reopen(client, other, closed["base_id"], closed["day"])
    assert [c["date"] for c in closures(client, closed["operator"], closed["base_id"]).json["items"]] == [closed["day"]]


def test_a_citizen_cannot_lift_a_closure(client, closed):
    assert reopen(client, closed["citizen"], closed["base_id"], closed["day"]).status_code == 401


# ---- the console --------------------------------------------------------------------------------


def signed_in_operator(app, base_id):
    from tests.test_console import signed_in

    return signed_in(app, "base_operator", "closure-lifter", base_id=base_id)


def test_the_console_base_page_lists_coming_closures(app, closed):
    console = signed_in_operator(app, closed["base_id"])
    page = console.get(f"/console/bases/{closed['base_id']}").get_data(as_text=True)
    assert f'data-closure="{closed["day"]}"' in page


@pytest.fixture
def many_closed(app):
    """A base with 25 coming closed days (one a day from tomorrow), recorded directly."""
    base_id = make_base(app)
    days = [local_today() + timedelta(days=n) for n in range(1, 26)]
    with app.app_context():
        db.session.add_all(Closure(base_id=base_id, visit_date=day, reason="设备检修") for day in days)
        db.session.commit()
    return {"base_id": base_id, "days": days}


def test_the_console_pages_coming_closures(app, many_closed):
    console = signed_in_operator(app, many_closed["base_id"])
    page = console.get(f"/console/bases/{many_closed['base_id']}?page=2").get_data(as_text=True)
    listed = [day for day in many_closed["days"] if f'data-closure="{day.isoformat()}"' in page]
    assert listed == many_closed["days"][20:]


def test_the_console_links_the_next_page_of_closures_keeping_the_week(app, many_closed):
    console = signed_in_operator(app, many_closed["base_id"])
    week = many_closed["days"][7].isoformat()
    page = console.get(f"/console/bases/{many_closed['base_id']}?day={week}").get_data(as_text=True)
    assert f'href="?day={week}&amp;page=2"' in page


def test_the_console_lifts_a_closure(app, closed):
    console = signed_in_operator(app, closed["base_id"])
    console.get(f"/console/bases/{closed['base_id']}")
    console.post(f"/console/bases/{closed['base_id']}/reopen-day", {"day": closed["day"]})
    with app.app_context():
        assert db.session.scalar(db.select(Closure).where(Closure.base_id == closed["base_id"])) is None


def test_the_console_says_a_closure_was_lifted(app, closed):
    console = signed_in_operator(app, closed["base_id"])
    console.get(f"/console/bases/{closed['base_id']}")
    answer = console.post(f"/console/bases/{closed['base_id']}/reopen-day", {"day": closed["day"]})
    assert "已取消闭馆" in console.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_console_refuses_lifting_a_day_with_no_closure_as_a_404_page(app, closed):
    console = signed_in_operator(app, closed["base_id"])
    console.get(f"/console/bases/{closed['base_id']}")
    day = (local_today() + timedelta(days=9)).isoformat()
    assert console.post(f"/console/bases/{closed['base_id']}/reopen-day", {"day": day}).status_code == 404


# ---- citizens ---------------------------------------------------------------------------------------


def public_closures(client, base_id, day):
    return client.get(f"/api/mp/v1/bases/{base_id}/closures?from={day}&to={day}")


def test_citizens_see_a_closed_day_and_why(client, closed):
    listed = public_closures(client, closed["base_id"], closed["day"]).json
    assert listed["items"] == [{"date": closed["day"], "reason": "暴雪天气"}]


def test_citizens_see_a_day_closed_ahead_of_its_slots(client, auth, app):
    base_id = make_base(app)
    day = (local_today() + timedelta(days=5)).isoformat()
    public_closures(client, base_id, day)  # read (and cached) before the closure
    close(client, auth.staff("base_operator", base_id=base_id), base_id, day, reason="设备检修")
    assert [c["reason"] for c in public_closures(client, base_id, day).json["items"]] == ["设备检修"]


def test_citizens_no_longer_see_a_lifted_closure(client, closed):
    public_closures(client, closed["base_id"], closed["day"])
    reopen(client, closed["operator"], closed["base_id"], closed["day"])
    assert public_closures(client, closed["base_id"], closed["day"]).json["items"] == []


def test_the_closures_of_no_base_are_a_404(client, closed):
    assert_error(public_closures(client, closed["base_id"] + 999, closed["day"]), 404, "not_found")
