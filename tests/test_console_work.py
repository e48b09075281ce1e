"""The staff console as staff found it (issue 21.2): evidence images, readable action names and numbers,
a confirmed day closing, each role's own dashboard, clear wording, and creating zones and campaigns."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.factories import make_base, make_slot, open_notice
from tests.test_console import signed_in, text
from tests.test_objection_handling import objection_id, raise_objections
from tests.test_visits import book, visitors

# ---- objections --------------------------------------------------------------------------------


@pytest.fixture
def objection_with_evidence(app, client, auth, fake_wechat):
    from app.publicity.models import Objection

    notice = open_notice(app, zone_types=("building",))
    _, receipts = raise_objections(client, auth, notice)
    oid = objection_id(app, receipts[0])
    with app.app_context():
        db.session.get(Objection, oid).evidence_urls = ["/media/u/1/a.jpg", "/media/u/1/b.png"]
        db.session.commit()
    return oid


def test_the_objection_page_shows_the_evidence_images(app, objection_with_evidence):
    page = text(signed_in(app, "institute_staff", "officer-ev").get(f"/console/objections/{objection_with_evidence}"))
    assert ('<img src="/media/u/1/a.jpg"' in page, '<img src="/media/u/1/b.png"' in page) == (True, True)


def test_an_objection_without_evidence_says_so(app, client, auth, fake_wechat):
    notice = open_notice(app, zone_types=("building",))
    _, receipts = raise_objections(client, auth, notice)
    oid = objection_id(app, receipts[0])
    page = text(signed_in(app, "institute_staff", "officer-ev2").get(f"/console/objections/{oid}"))
    assert "<dt>证据图片</dt><dd>无</dd>" in page


# ---- check-ins: names, numbers, chart titles ---------------------------------------------------


@pytest.fixture
def confirmed_checkin(app, client, auth, running):
    """A clean-plate check-in a teacher confirmed (weight 2: a whole number of points), and the teacher's console."""
    from tests.campaign_helpers import _checkin

    assert _checkin(client, running["headers"], running["campaign"]).status_code == 201
    console = signed_in(app, "school_admin", "teacher-cn", school_id=running["school"])
    page = text(console.get(f"/console/campaigns/{running['campaign']}"))
    checkin_id = int(__import__("re").search(r"/console/checkins/(\d+)/confirm", page).group(1))
    assert console.post(f"/console/checkins/{checkin_id}/confirm").status_code == 302
    return {**running, "console": console, "checkin": checkin_id}


def _recent_row(page: str) -> str:
    return page.split("最近的打卡", 1)[1].split("</tr>", 2)[1]


def test_a_check_in_list_names_the_action_in_chinese(app, confirmed_checkin):
    page = text(confirmed_checkin["console"].get(f"/console/campaigns/{confirmed_checkin['campaign']}"))
    assert ("光盘行动 × 1" in _recent_row(page), "clean_plate" in _recent_row(page)) == (True, False)


def test_whole_points_are_written_as_a_plain_number(app, confirmed_checkin):
    from app.campaigns.models import ActionCheckin

    with app.app_context():
        points = db.session.get(ActionCheckin, confirmed_checkin["checkin"]).points
    page = text(confirmed_checkin["console"].get(f"/console/campaigns/{confirmed_checkin['campaign']}"))
    assert (f"<td>{int(points)}</td>" in _recent_row(page), "E+" in page) == (True, False)


def test_the_action_chart_has_a_title_and_chinese_labels(app, confirmed_checkin):
    page = text(confirmed_checkin["console"].get(f"/console/campaigns/{confirmed_checkin['campaign']}"))
    chart = page.split('<figcaption class="chart-title">各行动减排量', 1)[1].split("</figure>", 1)[0]
    assert ('class="label">光盘行动</text>' in chart, "clean_plate" in chart) == (True, False)


def test_the_check_in_export_names_the_action_in_chinese(app, client, auth, confirmed_checkin):
    from tests.campaign_helpers import _school_admin

    body = client.get(f"/api/admin/v1/campaigns/{confirmed_checkin['campaign']}/checkins.csv",
                      headers=_school_admin(auth, confirmed_checkin["school"])).get_data(as_text=True)  # fmt: skip
    row = body.splitlines()[1].split(",")
    assert (row[4], "E+" in body) == ("光盘行动", False)


# ---- closing a day -----------------------------------------------------------------------------


@pytest.fixture
def booked_day(app, client, auth, fake_wechat):
    """Tomorrow at a base, booked by two visitors, and its operator's console on the base's page."""
    from datetime import timedelta

    from app.times import local_today

    base_id = make_base(app)
    slot_id = make_slot(app, base_id, days_ahead=1)
    for n in (1, 2):
        response = book(
            client,
            auth.wechat_headers(f"closing-{n}"),
            {"slot_id": slot_id, "visitors": visitors(1, start=n)},
            f"cl-{n}",
        )
        assert response.status_code == 201, response.json
    console = signed_in(app, "base_operator", "closer", base_id=base_id)
    console.get(f"/console/bases/{base_id}")
    with app.app_context():
        day = (local_today() + timedelta(days=1)).isoformat()
    return {"base": base_id, "console": console, "day": day}


def _confirmed_bookings(app, base_id):
    from app.visits.models import Booking

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.base_id == base_id, Booking.status == "confirmed"))  # fmt: skip


def test_closing_a_day_asks_first_saying_how_many_are_told(app, booked_day):
    page = booked_day["console"].post(f"/console/bases/{booked_day['base']}/close-day",
                                      {"day": booked_day["day"], "reason": "设备检修"})  # fmt: skip
    assert "将取消 2 个预约，通知 2 位访客，确定吗？" in text(page)


def test_closing_a_day_without_confirming_cancels_nothing(app, booked_day):
    booked_day["console"].post(f"/console/bases/{booked_day['base']}/close-day",
                               {"day": booked_day["day"], "reason": "设备检修"})  # fmt: skip
    assert _confirmed_bookings(app, booked_day["base"]) == 2


def test_closing_a_day_once_confirmed_cancels_its_bookings(app, booked_day):
    console = booked_day["console"]
    console.post(f"/console/bases/{booked_day['base']}/close-day", {"day": booked_day["day"], "reason": "设备检修"})
    done = console.post(f"/console/bases/{booked_day['base']}/close-day",
                        {"day": booked_day["day"], "reason": "设备检修", "confirmed": "1"})  # fmt: skip
    assert (done.status_code, _confirmed_bookings(app, booked_day["base"])) == (302, 0)
