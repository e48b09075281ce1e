"""People's rights over their data: deleting one's account (PIPL art. 47), a copy of one's data
(art. 45), and the nightly purge that removes what has outlived its retention, in batches that never
leave an item half-removed."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import retention
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.extensions import db
from app.outbox.models import MessageStatus, OutboxMessage
from app.publicity.models import Objection
from app.visits import erasure as visits_erasure
from app.visits.models import Booking, BookingStatus, BookingVisitor, Slot
from tests.campaign_helpers import _checkin, _student
from tests.factories import make_base, make_slot
from tests.helpers import assert_error
from tests.kept import kept
from tests.test_console import signed_in, text
from tests.test_objection_handling import decide, objection_id, raise_objections
from tests.test_visits import IDS, book, visitors

DELETE = "/api/mp/v1/me/deletion"
EXPORT = "/api/mp/v1/me/export"


def _delete(client, headers):
    return client.post(DELETE, json={"confirm": True}, headers=headers)


def _user_id(client, headers):
    return client.get("/api/mp/v1/me", headers=headers).json["id"]


def _booking(app, booking_id) -> Booking:
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        booking.visitors  # noqa: B018 - loaded before the session closes
        db.session.expunge_all()
        return booking


def _purge(app, **days):
    from app.privacy_ops import purge

    with app.app_context():
        return purge(app.config["OBJECTION_RETENTION_DAYS"], retention_root(app), **days)


def retention_root(app):
    from pathlib import Path

    return Path(app.config["UPLOAD_ROOT"])


def _into_the_past(app, slot_id, days=200):
    """The slot's visit ended `days` ago (no service moves a slot into the past)."""
    with app.app_context():
        slot = db.session.get(Slot, slot_id)
        slot.starts_at -= timedelta(days=days)
        slot.ends_at -= timedelta(days=days)
        slot.visit_date -= timedelta(days=days)
        db.session.commit()


# ---- deleting: what is asked ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", [{}, {"confirm": False}, {"confirm": "true"}, {"confirm": 1}, {"confirm": True, "x": 1}]
)
def test_deletion_without_a_plain_confirm_true_is_422(client, auth, body):
    headers = auth.wechat_headers("hesitant")
    assert client.post(DELETE, json=body, headers=headers).status_code == 422


def test_a_refused_deletion_deletes_nothing(client, auth):
    headers = auth.wechat_headers("hesitant")
    client.post(DELETE, json={"confirm": False}, headers=headers)
    assert client.get("/api/mp/v1/me", headers=headers).status_code == 200


def test_deletion_needs_a_signed_in_user(client):
    assert_error(client.post(DELETE, json={"confirm": True}), 401, "unauthorized")


# ---- deleting: tokens, the account, a new login -----------------------------------------------------


def test_after_deletion_the_old_token_is_refused(client, auth):
    headers = auth.wechat_headers("leaver")
    assert _delete(client, headers).status_code == 200
    assert_error(client.get("/api/mp/v1/me", headers=headers), 401, "token_revoked")


def test_every_token_of_the_account_is_revoked(client, auth):
    first, second = auth.wechat_headers("leaver"), auth.wechat_headers("leaver")
    _delete(client, first)
    assert_error(client.get("/api/mp/v1/me/bookings", headers=second), 401, "token_revoked")


def test_deleting_twice_is_harmless_the_second_call_is_401(client, auth):
    headers = auth.wechat_headers("leaver")
    _delete(client, headers)
    assert_error(_delete(client, headers), 401, "token_revoked")


def test_the_row_left_is_a_tombstone(app, client, auth):
    headers = auth.wechat_headers("leaver")
    client.patch("/api/mp/v1/me", json={"display_name": "张三"}, headers=headers)
    user_id = _user_id(client, headers)
    _delete(client, headers)
    with app.app_context():
        user = db.session.get(User, user_id)
        left = (user.openid, user.unionid, user.display_name, user.phone, user.is_active, user.deleted_at is None)
    assert left == (None, None, None, None, False, False)


def test_a_later_login_with_the_same_wechat_is_a_new_account(client, auth):
    headers = auth.wechat_headers("returner")
    old_id = _user_id(client, headers)
    _delete(client, headers)
    assert auth.wechat_login("returner")["user"]["id"] != old_id


def test_the_new_account_is_empty(client, auth, app):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    headers = auth.wechat_headers("returner")
    book(client, headers, {"slot_id": slot_id, "visitors": visitors(1)}, "b1")
    _delete(client, headers)
    fresh = auth.wechat_headers("returner")
    assert client.get("/api/mp/v1/me/bookings", headers=fresh).json["total"] == 0


def test_the_audit_log_says_an_account_was_deleted_not_what_it_held(app, client, auth):
    headers = auth.wechat_headers("leaver")
    client.patch("/api/mp/v1/me", json={"display_name": "独一无二的名字"}, headers=headers)
    user_id = _user_id(client, headers)
    _delete(client, headers)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.delete"))
        recorded = (entry.entity_id, "独一无二的名字" in json.dumps(entry.after, ensure_ascii=False))
    assert recorded == (user_id, False)


def test_a_staff_account_is_not_deleted_from_the_mini_program(app, client, auth):
    base_id = make_base(app)
    headers = auth.wechat_operator(base_id)
    assert_error(_delete(client, headers), 409, "staff_account")


# ---- deleting: bookings and the waitlist ----------------------------------------------------------


def test_deleting_with_a_booking_today_cancels_it_and_frees_its_places(app, client, auth):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, starts_in=900, capacity=5)  # later today, inside the cancel cut-off
    headers = auth.wechat_headers("today")
    booking_id = book(client, headers, {"slot_id": slot_id, "visitors": visitors(2)}, "b1").json["id"]
    _delete(client, headers)
    booking = _booking(app, booking_id)
    with app.app_context():
        booked = db.session.get(Slot, slot_id).booked
    assert (booking.status, booked) == (BookingStatus.CANCELLED, 0)


def test_deleting_removes_the_visitors_of_every_booking(app, client, auth):
    base_id = make_base(app)
    future, past = make_slot(app, base_id), make_slot(app, base_id, days_ahead=2)
    headers = auth.wechat_headers("visitor")
    ids = [
        book(client, headers, {"slot_id": s, "visitors": visitors(1, n)}, f"b{n}").json["id"]
        for n, s in enumerate((future, past))
    ]
    _into_the_past(app, past, days=10)
    _delete(client, headers)
    with app.app_context():
        left = db.session.scalars(select(BookingVisitor.name).where(BookingVisitor.booking_id.in_(ids))).all()
    assert left == [None, None]


def test_rows_of_tables_no_area_handles_go_too(app, client, auth):
    """The generic hook (zone follows, consents, … as features add them): here the stored answers
    to the account's retried requests."""
    from app.idempotency import IdempotencyRecord

    base_id = make_base(app)
    headers = auth.wechat_headers("visitor")
    book(client, headers, {"slot_id": make_slot(app, base_id), "visitors": visitors(1)}, "b1")
    user_id = _user_id(client, headers)
    _delete(client, headers)
    with app.app_context():
        assert db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id)) is None


def test_a_past_booking_stays_for_the_attendance_counts(app, client, auth):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    headers = auth.wechat_headers("visitor")
    booking_id = book(client, headers, {"slot_id": slot_id, "visitors": visitors(3)}, "b1").json["id"]
    _into_the_past(app, slot_id, days=10)
    _delete(client, headers)
    booking = _booking(app, booking_id)
    assert (booking.status, booking.headcount, booking.purged_at is not None) == (BookingStatus.CONFIRMED, 3, True)


@pytest.fixture
def waiting(app, client, auth, make_app):
    """A full slot held by `leaver`, and `waiter` on its waitlist; the app sends booking messages."""
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=2)
    leaver, waiter = auth.wechat_headers("leaver"), auth.wechat_headers("waiter")
    book(client, leaver, {"slot_id": slot_id, "visitors": visitors(2)}, "b1")
    joined = client.post(
        f"/api/mp/v1/slots/{slot_id}/waitlist", json={"slot_id": slot_id, "visitors": visitors(2, 2)}, headers=waiter
    )
    assert joined.status_code == 201, joined.json
    return {
        "slot": slot_id,
        "leaver": leaver,
        "waiter": waiter,
        "client": make_app(WECHAT_TEMPLATE_BOOKING_CHANGE="tpl").test_client(),
    }


def test_the_export_gives_a_waiting_request_as_an_object(waiting, client):
    entry = client.get(EXPORT, headers=waiting["waiter"]).json["waitlist"][0]
    assert [v["id_number"] for v in entry["request"]["visitors"]] == [v["id_number"] for v in visitors(2, 2)]


def test_deleting_gives_the_places_to_the_next_in_line(waiting, client):
    _delete(waiting["client"], waiting["leaver"])
    mine = client.get("/api/mp/v1/me/bookings", headers=waiting["waiter"]).json["items"]
    assert [b["status"] for b in mine] == ["confirmed"]


def test_the_promoted_are_told(waiting, fake_wechat):
    fake_wechat.reset()
    _delete(waiting["client"], waiting["leaver"])
    assert [m["touser"] for m in fake_wechat.state()["sent_messages"]] == ["o_fake_waiter"]


def test_wechat_down_does_not_block_deletion(waiting, fake_wechat):
    fake_wechat.configure(messages_down=True)
    response = _delete(waiting["client"], waiting["leaver"])
    assert response.status_code == 200


def test_with_wechat_down_the_message_to_the_promoted_waits_in_the_outbox(waiting, fake_wechat, app):
    fake_wechat.configure(messages_down=True)
    client = waiting["client"]
    waiter_id = _user_id(client, waiting["waiter"])
    _delete(client, waiting["leaver"])
    with app.app_context():
        statuses = db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.user_id == waiter_id)).all()
    assert statuses == [MessageStatus.PENDING]


def test_a_deleted_accounts_own_waiting_request_is_gone(waiting, app, client):
    waiter_id = _user_id(client, waiting["waiter"])
    _delete(client, waiting["waiter"])
    from app.visits.models import WaitlistEntry

    with app.app_context():
        assert db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.user_id == waiter_id)) is None


# ---- deleting: objections -------------------------------------------------------------------------


@pytest.fixture
def investigating(request, app, client, auth):
    """An objection under investigation by an officer: its objector's headers, id and receipt. Kept
    (tests/kept.py)."""
    return kept(request, "data_rights.investigating", lambda: _investigating(app, client, auth))


def _investigating(app, client, auth):
    from tests.factories import open_notice

    notice = open_notice(app)
    headers, (receipt,) = raise_objections(client, auth, notice, who="objector")
    oid = objection_id(app, receipt)
    officer = auth.staff("department_officer", department="housing_construction")
    decide(client, officer, oid, "accepted", "已受理。")
    decide(client, officer, oid, "investigating", "正在核实。")
    return {"headers": headers, "id": oid, "receipt": receipt, "officer": officer}


def _objection(app, oid) -> Objection:
    with app.app_context():
        objection = db.session.get(Objection, oid)
        db.session.expunge(objection)
        return objection


def test_an_objection_under_investigation_is_kept_until_decided(investigating, app, client):
    _delete(client, investigating["headers"])
    _purge(app)
    assert _objection(app, investigating["id"]).name is not None


def test_once_decided_the_next_purge_removes_the_objectors_data(investigating, app, client):
    _delete(client, investigating["headers"])
    decide(client, investigating["officer"], investigating["id"], "not_upheld", "经核实，异议不成立。")
    _purge(app)
    objection = _objection(app, investigating["id"])
    assert (objection.name, objection.phone, objection.reason) == (None, None, None)


def test_the_purged_objection_stays_an_anonymous_public_record(investigating, app, client):
    _delete(client, investigating["headers"])
    decide(client, investigating["officer"], investigating["id"], "upheld", "经核实，异议成立。")
    _purge(app)
    objection = _objection(app, investigating["id"])
    assert (objection.receipt_no, objection.status) == (investigating["receipt"], "upheld")


def test_a_decided_objection_is_purged_at_deletion(app, client, auth):
    from tests.factories import open_notice

    notice = open_notice(app)
    headers, (receipt,) = raise_objections(client, auth, notice, who="objector")
    oid = objection_id(app, receipt)
    decide(
        client, auth.staff("department_officer", department="housing_construction"), oid, "not_accepted", "不予受理。"
    )
    _delete(client, headers)
    assert _objection(app, oid).purged_at is not None


def _upload(client, headers, label):
    import io

    from app.wechat.fake import png_qr

    response = client.post("/api/mp/v1/uploads", data={"file": (io.BytesIO(png_qr(label)), "e.png")}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["url"]


def _stored(app, url) -> bool:
    from pathlib import Path
    from urllib.parse import urlsplit

    return (Path(app.config["UPLOAD_ROOT"]) / urlsplit(url).path.removeprefix("/media/uploads/")).exists()


@pytest.fixture
def open_with_evidence(app, client, auth):
    from tests.factories import open_notice
    from tests.test_publicity import objection_body, post

    notice = open_notice(app)
    headers = auth.wechat_headers("evidencer")
    url = _upload(client, headers, "evidence")
    response = post(client, notice["id"], objection_body(notice["zone_ids"][0], evidence_urls=[url]), headers)
    assert response.status_code == 201, response.json
    return {"headers": headers, "url": url, "id": objection_id(app, response.json["receipt_no"])}


def test_an_uploaded_image_no_objection_uses_is_removed_from_storage_at_deletion(app, client, auth):
    headers = auth.wechat_headers("uploader")
    url = _upload(client, headers, "unused")
    _delete(client, headers)
    assert _stored(app, url) is False


def test_an_open_objections_evidence_stays_in_storage_after_deletion(app, client, open_with_evidence):
    _delete(client, open_with_evidence["headers"])
    _purge(app)
    assert _stored(app, open_with_evidence["url"]) is True


def test_once_decided_the_evidence_leaves_storage_at_the_next_purge(app, client, auth, open_with_evidence):
    _delete(client, open_with_evidence["headers"])
    officer = auth.staff("department_officer", department="housing_construction")
    decide(client, officer, open_with_evidence["id"], "not_accepted", "不予受理。")
    _purge(app)
    assert _stored(app, open_with_evidence["url"]) is False


# ---- deleting: campaigns and their boards ------------------------------------------------------------


def _board(app, campaign_id, source):
    from app.campaigns import boards
    from app.campaigns.lookups import get_campaign

    with app.app_context():
        campaign = get_campaign(campaign_id)
        return getattr(boards, source)(campaign, "student", None, "per_student", 20)


def test_deleted_students_points_leave_the_live_board_which_equals_a_rebuild(app, client, auth, running):
    other = _student(client, auth, running["school"], "classmate")
    client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=other)
    _checkin(client, running["headers"], running["campaign"], note="光盘")
    _checkin(client, other, running["campaign"])
    _board(app, running["campaign"], "from_redis")  # the live board is built
    _delete(client, running["headers"])
    assert _board(app, running["campaign"], "from_redis") == _board(app, running["campaign"], "from_database")


def test_deleted_students_are_on_no_board(app, client, auth, running):
    other = _student(client, auth, running["school"], "classmate")
    client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=other)
    leaver_id = _user_id(client, running["headers"])
    _checkin(client, running["headers"], running["campaign"])
    _checkin(client, other, running["campaign"])
    _board(app, running["campaign"], "from_redis")
    _delete(client, running["headers"])
    ids = [e["user_id"] for e in _board(app, running["campaign"], "from_redis")["items"] if "user_id" in e]
    assert leaver_id not in ids


def test_deleted_students_posts_are_gone(app, client, running):
    from app.campaigns.models import ActionCheckin

    leaver_id = _user_id(client, running["headers"])
    _checkin(client, running["headers"], running["campaign"], note="今天光盘了")
    _delete(client, running["headers"])
    with app.app_context():
        assert db.session.scalar(select(ActionCheckin).where(ActionCheckin.user_id == leaver_id)) is None


# ---- a copy of one's data ----------------------------------------------------------------------


@pytest.fixture
def two_visitors(request, app, client, auth):
    """Two citizens, each with a booking of the same slot: {"mine", "theirs"}. Kept (tests/kept.py)."""
    return kept(request, "data_rights.two_visitors", lambda: _two_visitors(app, client, auth))


def _two_visitors(app, client, auth):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id)
    mine, theirs = auth.wechat_headers("owner"), auth.wechat_headers("classmate")
    book(client, mine, {"slot_id": slot_id, "visitors": visitors(1, 0)}, "b1")
    book(client, theirs, {"slot_id": slot_id, "visitors": visitors(1, 1)}, "b2")
    return {"mine": mine, "theirs": theirs}


def test_the_export_decrypts_the_owners_visitors(client, two_visitors):
    document = client.get(EXPORT, headers=two_visitors["mine"]).json
    assert [v["id_number"] for b in document["bookings"] for v in b["visitors"]] == [IDS[0]]


def test_the_export_holds_nobody_else(client, two_visitors):
    body = client.get(EXPORT, headers=two_visitors["mine"]).get_data(as_text=True)
    assert (IDS[1] in body, "李四" in body) == (False, False)


def test_the_export_is_the_callers_own(client, two_visitors):
    document = client.get(EXPORT, headers=two_visitors["theirs"]).json
    assert document["user"]["id"] == _user_id(client, two_visitors["theirs"])


def test_the_export_times_are_in_the_apps_timezone(client, two_visitors):
    document = client.get(EXPORT, headers=two_visitors["mine"]).json
    assert document["bookings"][0]["created_at"].endswith("+08:00")


@pytest.mark.parametrize("path", ["/api/mp/v1/me/export/{id}", "/api/mp/v1/users/{id}/export"])
def test_no_id_bearing_variant_exists(client, two_visitors, path):
    other = _user_id(client, two_visitors["mine"])
    assert client.get(path.format(id=other), headers=two_visitors["theirs"]).status_code == 404


def test_naming_someone_else_in_the_query_still_exports_the_caller(client, two_visitors):
    other = _user_id(client, two_visitors["mine"])
    document = client.get(f"{EXPORT}?user_id={other}", headers=two_visitors["theirs"]).json
    assert document["user"]["id"] == _user_id(client, two_visitors["theirs"])


def test_the_export_needs_a_signed_in_user(client):
    assert_error(client.get(EXPORT), 401, "unauthorized")


def test_the_export_holds_objections_with_their_replies(investigating, client):
    document = client.get(EXPORT, headers=investigating["headers"]).json
    assert [e["reply"] for e in document["objections"][0]["events"]][-1] == "正在核实。"


# ---- the nightly purge ----------------------------------------------------------------------------


@pytest.fixture
def past_bookings(request, app, client, auth):
    """Three bookings whose visit ended 200 days ago (past BOOKING_RETENTION_DAYS' default). Kept
    (tests/kept.py)."""
    return kept(request, "data_rights.past_bookings", lambda: _past_bookings(app, client, auth))


def _past_bookings(app, client, auth):
    base_id = make_base(app)
    headers = auth.wechat_headers("past")
    ids = []
    for n in range(3):
        slot_id = make_slot(app, base_id, days_ahead=1 + n)
        ids.append(book(client, headers, {"slot_id": slot_id, "visitors": visitors(2, 2 * n)}, f"p{n}").json["id"])
        _into_the_past(app, slot_id)
    return ids


def _held(app, booking_id) -> list:
    booking = _booking(app, booking_id)
    return [v.name for v in booking.visitors]


def test_the_purge_removes_visitors_after_their_retention(app, past_bookings):
    _purge(app)
    assert [_held(app, b) for b in past_bookings] == [[None, None]] * 3


def test_the_purge_keeps_visitors_within_their_retention(app, past_bookings):
    _purge(app, booking_days=365)
    assert _held(app, past_bookings[0]) == ["张三", "李四"]


def test_a_purge_run_twice_removes_nothing_the_second_time(app, past_bookings):
    _purge(app)
    assert _purge(app).bookings == 0


def test_the_purge_reports_what_it_removed(app, past_bookings):
    assert _purge(app).bookings == 3


def test_a_purge_that_dies_halfway_leaves_nothing_half_removed(app, past_bookings, monkeypatch):
    real = visits_erasure.forget_booking
    calls = []

    def dies_on_the_third(booking, now):
        calls.append(booking.id)
        if len(calls) == 3:
            booking.visitors[0].name = None  # half of the item removed…
            raise RuntimeError("the worker died")  # …and then the purge dies
        real(booking, now)

    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    monkeypatch.setattr(visits_erasure, "forget_booking", dies_on_the_third)
    with pytest.raises(RuntimeError):
        _purge(app)
    assert [_held(app, b) for b in past_bookings] == [[None, None], [None, None], ["孙七", "周八"]]


def test_the_next_purge_finishes_what_a_dead_one_left(app, past_bookings, monkeypatch):
    real = visits_erasure.forget_booking
    calls = []

    def dies_on_the_third(booking, now):
        calls.append(booking.id)
        if len(calls) == 3:
            raise RuntimeError("the worker died")
        real(booking, now)

    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    monkeypatch.setattr(visits_erasure, "forget_booking", dies_on_the_third)
    with pytest.raises(RuntimeError):
        _purge(app)
    monkeypatch.setattr(visits_erasure, "forget_booking", real)
    assert _purge(app).bookings == 1


def test_the_purge_removes_check_in_notes_after_the_campaign(app, client, running):
    from app.campaigns.models import ActionCheckin, Campaign

    _checkin(client, running["headers"], running["campaign"], note="光盘")
    with app.app_context():
        campaign = db.session.get(Campaign, running["campaign"])
        campaign.ends_on = campaign.ends_on - timedelta(days=400)
        campaign.starts_on = campaign.starts_on - timedelta(days=400)
        db.session.commit()
    _purge(app)
    with app.app_context():
        assert db.session.scalars(select(ActionCheckin.note)).all() == [None]


def test_the_purge_job_shows_its_counts_to_staff(app, past_bookings):
    from app.jobs import queue as jobs_queue

    with app.app_context():
        jobs_queue.run_job("privacy.purge", "test")
    page = text(signed_in(app, "admin", "jobs-reader").get("/console/jobs"))
    assert "预约参观人信息 3 个" in page


def test_a_purge_run_from_cron_is_recorded_for_staff(app, runner, past_bookings):
    from app.jobs import queue as jobs_queue

    runner.invoke(args=["jobs", "run", "privacy.purge"])
    with app.app_context():
        assert "预约参观人信息 3 个" in jobs_queue.last_runs()["privacy.purge"]["summary"]


# ---- the console after a deletion ---------------------------------------------------------------------


def test_the_console_lists_a_deleted_account_as_deleted(app, client, auth):
    _delete(client, auth.wechat_headers("leaver"))
    page = text(signed_in(app, "admin", "users-reader").get("/console/users"))
    assert "已注销" in page


def test_the_audit_log_shows_a_deleted_actor_as_such(app, client, auth):
    _delete(client, auth.wechat_headers("leaver"))
    page = text(signed_in(app, "admin", "audit-reader").get("/console/audit"))
    assert "已注销用户" in page


def test_staff_cannot_bring_a_deleted_account_back(app, client, auth):
    headers = auth.wechat_headers("leaver")
    user_id = _user_id(client, headers)
    _delete(client, headers)
    admin = auth.staff("admin")
    assert_error(
        client.patch(f"/api/admin/v1/users/{user_id}", json={"is_active": True}, headers=admin), 409, "account_deleted"
    )


def test_every_section_of_the_export_is_in_the_openapi_document(client, two_visitors):
    document = client.get(EXPORT, headers=two_visitors["mine"]).json
    schema = client.get("/api/openapi.json").json["components"]["schemas"]["ExportOut"]
    assert sorted(set(document) - set(schema["properties"])) == []


def test_the_export_holds_no_wechat_openid(client, two_visitors):
    # docs/privacy.md: the openid and unionid are in no answer.
    assert "o_fake_" not in client.get(EXPORT, headers=two_visitors["mine"]).get_data(as_text=True)


def test_the_export_holds_the_callers_reports_of_posts(client, auth, running):
    post = _checkin(client, running["headers"], running["campaign"], note="今天走路上学").json["id"]
    mate = _student(client, auth, running["school"], "reporting-mate")
    client.post(f"/api/mp/v1/posts/{post}/reports", json={"reason": "照片里有同学的脸"}, headers=mate)
    reports = client.get(EXPORT, headers=mate).json["post_reports"]
    assert [(r["checkin_id"], r["reason"]) for r in reports] == [(post, "照片里有同学的脸")]
