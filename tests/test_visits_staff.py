"""Base calendars, closing a day, staff views, no-shows and reminders."""

from datetime import timedelta

from sqlalchemy import select

from app.db_types import utcnow
from app.extensions import db
from app.outbox import services as outbox
from app.visits.models import Booking, BookingSuspension
from tests.factories import make_base, make_slot
from tests.helpers import assert_error
from tests.test_visits import book, visitors


def local_today():
    from zoneinfo import ZoneInfo

    return utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()


def test_bulk_calendar_is_idempotent_and_scoped(client, auth, app):
    base_id = make_base(app)
    other = make_base(app)
    operator = auth.staff("base_operator", base_id=base_id)
    start = local_today() + timedelta(days=1)
    spec = {
        "from": start.isoformat(),
        "to": (start + timedelta(days=13)).isoformat(),
        "weekdays": [1, 2, 3, 4, 5],
        "times": [{"start": "09:00", "end": "10:30"}, {"start": "14:00", "end": "15:30"}],
        "capacity": 30,
        "group_capacity": 40,
    }
    created = client.post(f"/api/admin/v1/bases/{base_id}/slots/bulk", json=spec, headers=operator)
    assert created.status_code == 201, created.json
    weekdays = sum(1 for i in range(14) if (start + timedelta(days=i)).isoweekday() <= 5)
    assert created.json["created"] == weekdays * 2
    again = client.post(f"/api/admin/v1/bases/{base_id}/slots/bulk", json=spec, headers=operator)
    assert again.json["created"] == 0
    slots = client.get(f"/api/mp/v1/bases/{base_id}/slots?from={start}&to={start + timedelta(days=13)}").json["items"]
    assert len(slots) == weekdays * 2
    assert slots[0]["starts_at"].endswith("T09:00:00+08:00")
    assert_error(
        client.post(f"/api/admin/v1/bases/{other}/slots/bulk", json=spec, headers=operator), 403, "not_this_base"
    )
    bad = {**spec, "times": [{"start": "10:00", "end": "09:00"}]}
    assert_error(
        client.post(f"/api/admin/v1/bases/{base_id}/slots/bulk", json=bad, headers=operator), 422, "validation_error"
    )
    past = {**spec, "from": "2020-01-01", "to": "2020-01-02"}
    assert_error(
        client.post(f"/api/admin/v1/bases/{base_id}/slots/bulk", json=past, headers=operator), 422, "validation_error"
    )
    profile = client.put(
        f"/api/admin/v1/bases/{base_id}/profile",
        json={"visitor_notes": "禁止携带宠物", "release_hour": 9},
        headers=operator,
    )
    assert profile.status_code == 200
    assert profile.json["release_hour"] == 9


def test_a_base_profile_longer_than_documented_is_refused_even_if_it_is_mostly_spaces(client, auth, app):
    """The OpenAPI document says visitor_notes is at most 5,000 characters: 3 characters and 5,000
    newlines are refused (a fuzzer found them accepted once trimmed), and nothing is stored."""
    base_id = make_base(app, visitor_notes="请提前 10 分钟到达")
    operator = auth.staff("base_operator", base_id=base_id)
    answer = client.put(
        f"/api/admin/v1/bases/{base_id}/profile", json={"visitor_notes": "须预约" + "\n" * 5000}, headers=operator
    )
    assert_error(answer, 422, "validation_error")
    kept = client.get(f"/api/mp/v1/bases/{base_id}").json["profile"]["visitor_notes"]
    assert kept == "请提前 10 分钟到达"


def test_a_base_profile_with_spaces_around_it_is_stored_trimmed(client, auth, app):
    base_id = make_base(app)
    operator = auth.staff("base_operator", base_id=base_id)
    answer = client.put(
        f"/api/admin/v1/bases/{base_id}/profile", json={"visitor_notes": "  须预约\n"}, headers=operator
    )
    assert answer.json["visitor_notes"] == "须预约"


def test_closing_a_day_cancels_and_tells_everyone(client, auth, app, make_app, fake_wechat):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, days_ahead=2)
    headers = auth.wechat_headers("unlucky")
    booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(2)}, "cl1").json
    operator = auth.staff("base_operator", base_id=base_id)
    tpl = make_app(WECHAT_TEMPLATE_BOOKING_CHANGE="tpl-change").test_client()
    day = (local_today() + timedelta(days=2)).isoformat()
    closed = tpl.post(
        f"/api/admin/v1/bases/{base_id}/closures", json={"date": day, "reason": "暴雪天气"}, headers=operator
    )
    assert closed.status_code == 200
    assert closed.json["cancelled_bookings"] == 1
    assert client.get(f"/api/mp/v1/bookings/{booking['id']}", headers=headers).json["status"] == "cancelled"
    assert fake_wechat.state()["sent_messages"] == []  # a whole day's visitors: told by the outbox job, not the request
    from app.jobs.schedule import PERIODIC

    with app.app_context():
        PERIODIC["outbox.deliver"].run()
    assert fake_wechat.state()["sent_messages"][0]["touser"] == "o_fake_unlucky"
    assert_error(book(client, headers, {"slot_id": slot_id, "visitors": visitors(1, 5)}, "cl2"), 409, "slot_closed")


def test_staff_views_are_masked(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=600)
    headers = auth.wechat_headers("seen")
    visit_date = book(client, headers, {"slot_id": slot_id, "visitors": visitors(2)}, "v1").json["visit_date"]
    operator = auth.staff("base_operator", base_id=base_id)
    listed = client.get(f"/api/admin/v1/slots/{slot_id}/bookings", headers=operator)
    assert listed.status_code == 200
    text = listed.get_data(as_text=True)
    assert "13800000000" not in text
    assert "张三" not in text
    assert "张*" in text
    door = client.get(f"/api/admin/v1/bases/{base_id}/door-list.csv?date={visit_date}", headers=operator)
    assert door.status_code == 200
    assert door.mimetype == "text/csv"
    rows = door.data.decode("utf-8-sig").splitlines()
    assert len(rows) == 3
    assert "张*" in rows[1]
    assert "张三" not in door.data.decode("utf-8-sig")
    assert "13800000000" not in door.data.decode()
    assert_error(
        client.get(
            f"/api/admin/v1/slots/{slot_id}/bookings", headers=auth.staff("base_operator", base_id=make_base(app))
        ),
        403,
        "not_this_base",
    )


def test_no_shows_suspend_after_three_in_ninety_days(client, auth, app, runner):
    base_id = make_base(app)
    headers = auth.wechat_headers("absent")
    ids = []
    for i in range(3):
        slot_id = make_slot(app, base_id, days_ahead=1, hour=9 + i)
        ids.append(book(client, headers, {"slot_id": slot_id, "visitors": visitors(1, start=i)}, f"ns{i}").json["id"])
    # the visits happened (pretend the slots are over)
    from app.visits.models import Slot

    with app.app_context():
        for booking in db.session.scalars(select(Booking).where(Booking.id.in_(ids))):
            slot = db.session.get(Slot, booking.slot_id)
            slot.ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    result = runner.invoke(args=["visits", "mark-no-shows"])
    assert "3 booking(s) marked as no-show, 1 user(s) suspended" in result.output
    again = runner.invoke(args=["visits", "mark-no-shows"])
    assert "0 booking(s) marked as no-show, 0 user(s) suspended" in again.output
    with app.app_context():
        suspension = db.session.scalar(select(BookingSuspension))
        assert (suspension.ends_on - suspension.starts_on).days == 29
    slot_id = make_slot(app, base_id, days_ahead=2)
    error = assert_error(
        book(client, headers, {"slot_id": slot_id, "visitors": visitors(1, 5)}, "ns9"), 403, "booking_suspended"
    )
    assert error["details"]["suspended_until"] == suspension.ends_on.isoformat()
    stats = client.get(
        f"/api/admin/v1/bases/{base_id}/attendance?month={(local_today() + timedelta(days=1)):%Y-%m}",
        headers=auth.staff("institute_staff"),
    ).json["items"]
    assert stats[0]["no_show_people"] == 3
    assert stats[0]["booked_people"] == 3


def test_late_cancellations_count_only_if_configured(client, auth, app, make_app):
    from app.visits import noshows
    from app.visits.rules import rules

    base_id = make_base(app)
    headers = auth.wechat_headers("canceller")
    for i in range(3):
        slot_id = make_slot(app, base_id, starts_in=3 * 3600 + i * 60)  # inside the late window, before cut-off
        booking = book(client, headers, {"slot_id": slot_id, "visitors": visitors(1, start=i)}, f"lc{i}").json
        assert client.post(f"/api/mp/v1/bookings/{booking['id']}/cancel", headers=headers).json["status"] == "cancelled"
    with app.app_context():
        assert noshows.mark_no_shows() == (0, 0)
    counting = make_app(BOOKING_LATE_CANCEL_COUNTS_AS_NO_SHOW=True)
    with counting.app_context():
        user_id = db.session.scalar(select(Booking.user_id))
        assert noshows._maybe_suspend(user_id, rules(), utcnow()) is True


def test_reminders_once_even_when_run_twice(client, auth, app, make_app, fake_wechat):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, days_ahead=1)
    book(client, auth.wechat_headers("remember-me"), {"slot_id": slot_id, "visitors": visitors(1)}, "rm1")
    far = make_slot(app, base_id, days_ahead=3)
    book(client, auth.wechat_headers("not-yet"), {"slot_id": far, "visitors": visitors(1, 1)}, "rm2")
    runner = make_app(WECHAT_TEMPLATE_BOOKING_REMINDER="tpl-reminder").test_cli_runner()
    assert "1 reminder(s) queued" in runner.invoke(args=["visits", "send-reminders"]).output
    assert "0 reminder(s) queued" in runner.invoke(args=["visits", "send-reminders"]).output
    sent = fake_wechat.state()["sent_messages"]
    assert [m["touser"] for m in sent] == ["o_fake_remember-me"]
    assert sent[0]["template_id"] == "tpl-reminder"


def test_attendance_needs_a_valid_month(client, auth, app):
    base_id = make_base(app)
    staff = auth.staff("institute_staff")
    assert_error(
        client.get(f"/api/admin/v1/bases/{base_id}/attendance?month=2026-13", headers=staff), 422, "validation_error"
    )
    assert_error(
        client.get(f"/api/admin/v1/bases/{base_id}/attendance?month=0000-01", headers=staff), 422, "validation_error"
    )
    assert client.get(f"/api/admin/v1/bases/{base_id}/attendance?month=2026-11", headers=staff).json["items"] == []


def test_staff_are_told_at_50_80_and_100_percent(client, auth, app, make_app, fake_wechat):
    from app.accounts import services as accounts
    from app.accounts.models import User
    from app.accounts.roles import Role

    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=10, group_capacity=0)
    make_slot(app, base_id, hour=15, capacity=10, group_capacity=0)  # same day: the day is 20 places
    # the base's operator signs in through the mini-program, so can be sent subscribe messages
    auth.wechat_login("door-keeper")
    with app.app_context():
        keeper = db.session.scalar(select(User).where(User.openid == "o_fake_door-keeper"))
        accounts.grant_role(keeper, Role.BASE_OPERATOR, base_id=base_id)
        db.session.commit()
    tpl = make_app(WECHAT_TEMPLATE_CAPACITY_ALERT="tpl-capacity").test_client()
    sizes = [4, 1, 3, 2]  # 40 %, 50 %, 80 %, 100 % of the slot
    for i, size in enumerate(sizes):
        response = book(
            tpl,
            auth.wechat_headers(f"fill{i}"),
            {"slot_id": slot_id, "visitors": visitors(size, start=sum(sizes[:i]))},
            f"al{i}",
        )
        assert response.status_code == 201, response.json
    operator = auth.staff("base_operator", base_id=base_id)
    listed = client.get("/api/admin/v1/capacity-alerts", headers=operator).json
    got = sorted((a["slot_id"] is None, a["threshold"]) for a in listed["items"])
    assert got == [(False, 50), (False, 80), (False, 100), (True, 50)]  # the day is at 10/20
    day_alert = next(a for a in listed["items"] if a["slot_id"] is None)
    assert day_alert["booked"] == 10
    assert day_alert["capacity"] == 20
    assert "50%" in day_alert["message"]
    # queued with the alerts, sent by the outbox job (not by the booking requests)
    assert [m for m in fake_wechat.state()["sent_messages"] if m["template_id"] == "tpl-capacity"] == []
    with app.app_context():
        outbox.deliver_due()
    sent = [m for m in fake_wechat.state()["sent_messages"] if m["template_id"] == "tpl-capacity"]
    assert len(sent) == 4
    assert {m["touser"] for m in sent} == {"o_fake_door-keeper"}
    # a cancellation and a re-booking do not repeat an alert
    mine = client.get("/api/mp/v1/me/bookings", headers=auth.wechat_headers("fill3")).json["items"][0]
    client.post(f"/api/mp/v1/bookings/{mine['id']}/cancel", headers=auth.wechat_headers("fill3"))
    rebooked = book(
        client, auth.wechat_headers("refill"), {"slot_id": slot_id, "visitors": visitors(2, start=8)}, "al9"
    )
    assert rebooked.status_code == 201, rebooked.json
    assert client.get("/api/admin/v1/capacity-alerts", headers=operator).json["total"] == 4
    # read, filters, and scoping: another base's operator sees none of them
    read = client.post(f"/api/admin/v1/capacity-alerts/{day_alert['id']}/read", headers=operator)
    assert read.status_code == 200
    assert read.json["read_at"]
    assert client.get("/api/admin/v1/capacity-alerts?unread=true", headers=operator).json["total"] == 3
    stranger = auth.staff("base_operator", base_id=make_base(app))
    assert client.get("/api/admin/v1/capacity-alerts", headers=stranger).json["total"] == 0
    assert_error(
        client.post(f"/api/admin/v1/capacity-alerts/{day_alert['id']}/read", headers=stranger), 404, "not_found"
    )
    assert client.get("/api/admin/v1/capacity-alerts", headers=auth.staff("institute_staff")).json["total"] == 4
    assert_error(
        client.get("/api/admin/v1/capacity-alerts", headers=auth.wechat_headers("fill0")), 401, "token_wrong_audience"
    )


def test_capacity_alerts_are_raised_once_across_processes(app):
    """The unique constraint holds when two checks race (as two gunicorn workers would)."""
    from app.visits import alerts
    from app.visits.models import CapacityAlert, Slot

    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=4, group_capacity=0)
    with app.app_context():
        db.session.get(Slot, slot_id).booked = 4
        db.session.commit()
        first = alerts.check_capacity(slot_id)
        db.session.query(CapacityAlert).filter(CapacityAlert.threshold == 100, CapacityAlert.slot_id.is_(None)).delete()
        db.session.commit()
        second = alerts.check_capacity(slot_id)  # only what is missing
        assert len(first) == 6
        assert [(a.slot_id, a.threshold) for a in second] == [(None, 100)]
        assert alerts.check_capacity(slot_id) == []
