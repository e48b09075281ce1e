"""A base operator creates slots in bulk from the console's base page, under the staff API's rules
(POST /bases/{id}/slots/bulk): they could only close and reopen days there, and the page's own hint
spoke of slots created in bulk."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.times import local_today
from app.visits.models import Slot
from tests.factories import make_base
from tests.test_console import signed_in, text


@pytest.fixture
def operator(app):
    base_id = make_base(app)
    console = signed_in(app, "base_operator", f"slot-maker-{base_id}", base_id=base_id)
    console.get(f"/console/bases/{base_id}")
    with app.app_context():
        first = local_today() + timedelta(days=1)
    return {"console": console, "base_id": base_id, "first": first}


def _create(operator, **overrides):
    first = operator["first"]
    form = {
        "from": first.isoformat(),
        "to": (first + timedelta(days=6)).isoformat(),
        "weekdays": [str(n) for n in range(1, 8)],
        "times_text": "09:00-10:30\n14：00 至 15：30",
        "capacity": "20",
        "group_capacity": "10",
        **overrides,
    }
    return operator["console"].post(f"/console/bases/{operator['base_id']}/slots", form)


def _slots(app, base_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Slot.base_id == base_id))


def test_a_week_of_two_times_makes_fourteen_slots(app, operator):
    _create(operator)
    assert _slots(app, operator["base_id"]) == 14


def test_creating_says_how_many_were_made(operator):
    answer = _create(operator)
    assert "已创建 14 个时段" in text(operator["console"].get(answer.headers["Location"]))


def test_sending_the_form_twice_makes_them_once(app, operator):
    _create(operator)
    _create(operator)
    assert _slots(app, operator["base_id"]) == 14


def test_only_the_weekdays_ticked_get_slots(app, operator):
    _create(operator, weekdays=["6", "7"])
    assert _slots(app, operator["base_id"]) == 4


def test_no_weekday_ticked_is_said_and_makes_nothing(app, operator):
    page = text(_create(operator, weekdays=[]))
    assert ("请至少选择一天" in page, _slots(app, operator["base_id"])) == (True, 0)


def test_a_line_that_is_no_time_range_is_named(operator):
    page = text(_create(operator, times_text="09:00-10:30\n上午"))
    assert "第 2 行“上午”无法识别" in page


def test_a_refused_form_keeps_what_was_typed(operator):
    page = text(_create(operator, times_text="09:00-10:30\n上午"))
    assert "09:00-10:30\n上午</textarea>" in page


def test_overlapping_times_are_refused(app, operator):
    page = text(_create(operator, times_text="09:00-10:30\n10:00-11:00"))
    assert ("时段重叠" in page, _slots(app, operator["base_id"])) == (True, 0)


def test_an_end_before_its_start_is_refused(operator):
    assert "结束时间须晚于开始时间" in text(_create(operator, times_text="10:30-09:00"))


def test_a_past_first_day_is_refused(operator):
    yesterday = (operator["first"] - timedelta(days=2)).isoformat()
    assert "不能为过去的日期创建时段" in text(_create(operator, **{"from": yesterday}))


def test_a_capacity_beyond_the_limit_is_said_beside_it(operator):
    page = text(_create(operator, capacity="999999"))
    assert 'id="error-slots-capacity"' in page


def test_another_bases_operator_cannot_create_slots_here(app, operator):
    other = signed_in(app, "base_operator", "slot-maker-other", base_id=make_base(app))
    other.get("/console/")
    first = operator["first"].isoformat()
    form = {
        "from": first,
        "to": first,
        "weekdays": [str(n) for n in range(1, 8)],
        "times_text": "09:00-10:00",
        "capacity": "5",
    }
    other.post(f"/console/bases/{operator['base_id']}/slots", form)
    assert _slots(app, operator["base_id"]) == 0
