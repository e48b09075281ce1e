"""A console form sent twice (a double click, a reload, an answer lost on the way) does its work once:
the re-review form, like the door's check-in, carries a key of its own (app.idempotency)."""

import re

from sqlalchemy import func, select

from app.extensions import db
from app.zones.models import ReReview
from tests.factories import make_zone
from tests.test_console import signed_in, text
from tests.test_visits_staff import local_today


def re_review_page(app, username):
    zone_id = make_zone(app, "titled", type="park")
    console = signed_in(app, "institute_staff", username)
    page = text(console.get(f"/console/zones/{zone_id}"))
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    form = {"reviewed_on": local_today().isoformat(), "outcome": "passed", "note": "年度复核", "idempotency_key": key}
    return console, zone_id, form


def reviews_of(app, zone_id):
    with app.app_context():
        return db.session.scalar(select(func.count(ReReview.id)).where(ReReview.zone_id == zone_id))


def test_a_re_review_form_sent_twice_records_once(app):
    console, zone_id, form = re_review_page(app, "once-twice")
    console.post(f"/console/zones/{zone_id}/re-reviews", form)
    console.post(f"/console/zones/{zone_id}/re-reviews", form)
    assert reviews_of(app, zone_id) == 1


def test_a_re_review_form_sent_again_says_it_was_recorded(app):
    console, zone_id, form = re_review_page(app, "once-again")
    console.post(f"/console/zones/{zone_id}/re-reviews", form)
    again = console.post(f"/console/zones/{zone_id}/re-reviews", form)
    assert "已记录复核结果" in text(console.get(again.headers["Location"]))


def test_each_rendering_of_the_re_review_form_records_its_own(app):
    console, zone_id, form = re_review_page(app, "once-each")
    console.post(f"/console/zones/{zone_id}/re-reviews", form)
    fresh = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', text(console.get(f"/console/zones/{zone_id}")))
    console.post(f"/console/zones/{zone_id}/re-reviews", {**form, "idempotency_key": fresh.group(1)})
    assert reviews_of(app, zone_id) == 2
