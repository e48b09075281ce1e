"""Staff handling of objections (masking, reveal, decisions in order, replies) and settling notices."""

import threading

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.factories import open_notice, set_window
from tests.helpers import assert_error
from tests.test_publicity import objection_body, post


def raise_objections(client, auth, notice, count=1, zone_index=0, who="objector"):
    headers = auth.wechat_headers(who)
    receipts = []
    for _ in range(count):
        response = post(client, notice["id"], objection_body(notice["zone_ids"][zone_index]), headers)
        assert response.status_code == 201, response.json
        receipts.append(response.json["receipt_no"])
    return headers, receipts


def objection_id(app, receipt):
    from app.publicity.models import Objection

    with app.app_context():
        return db.session.scalar(select(Objection.id).where(Objection.receipt_no == receipt))


def decide(client, headers, oid, status, reply="已核实，答复如下。"):
    return client.post(
        f"/api/admin/v1/objections/{oid}/decision", json={"status": status, "reply": reply}, headers=headers
    )


def test_staff_list_is_masked_and_reveal_is_for_the_right_officer(client, auth, app):
    notice = open_notice(app, ("building", "school"))
    _, (receipt,) = raise_objections(client, auth, notice)  # on the building zone
    housing = auth.staff("department_officer", department="housing_construction")
    education = auth.staff("department_officer", department="education")
    institute = auth.staff("institute_staff")
    admin = auth.staff("admin")

    listed = client.get("/api/admin/v1/objections", headers=institute).json
    personal = listed["items"][0]["personal"]
    assert personal["name"] == "张*"
    assert personal["phone"] == "138****5678"
    assert listed["items"][0]["revealed"] is False
    assert "13812345678" not in str(listed)

    revealed = client.get("/api/admin/v1/objections?reveal=1", headers=housing).json
    assert revealed["items"][0]["personal"]["phone"] == "13812345678"
    assert revealed["items"][0]["revealed"] is True
    # an officer of another department sees none of these, and may not reveal them
    assert client.get("/api/admin/v1/objections", headers=education).json["total"] == 0
    oid = objection_id(app, receipt)
    # outside their scope the objection and its zone are not found, as if they did not exist
    assert_error(client.get(f"/api/admin/v1/objections/{oid}?reveal=1", headers=education), 404, "not_found")
    error = assert_error(
        client.get(f"/api/admin/v1/objections?reveal=1&zone_id={notice['zone_ids'][0]}", headers=education),
        422,
        "validation_error",
    )
    assert error["details"] == {"zone_id": ["项目不存在"]}
    # institute staff triage with masked data only
    assert_error(client.get("/api/admin/v1/objections?reveal=1", headers=institute), 403, "reveal_forbidden")
    # reveals are audited
    log = client.get("/api/admin/v1/audit-log?action=objection.reveal", headers=admin).json
    assert log["total"] == 1
    assert log["items"][0]["entity_id"] == oid
    assert "13812345678" not in str(log)
    assert_error(
        client.get("/api/admin/v1/objections", headers=auth.wechat_headers("nosy")), 401, "token_wrong_audience"
    )


def test_decisions_follow_the_order_with_replies_and_messages(client, auth, app, fake_wechat):
    notice = open_notice(app)
    objector, (receipt,) = raise_objections(client, auth, notice)
    oid = objection_id(app, receipt)
    housing = auth.staff("department_officer", department="housing_construction")
    education = auth.staff("department_officer", department="education")

    error = assert_error(decide(client, housing, oid, "investigating"), 409, "invalid_decision")
    assert error["details"]["allowed"] == ["accepted", "not_accepted"]
    assert_error(decide(client, housing, oid, "upheld"), 409, "invalid_decision")
    assert_error(decide(client, housing, oid, "accepted", reply=""), 422, "validation_error")
    assert_error(decide(client, housing, oid, "received"), 422, "validation_error")
    assert_error(decide(client, education, oid, "accepted"), 404, "not_found")  # not theirs: as no objection
    assert decide(client, housing, oid, "accepted", "予以受理。").status_code == 200
    assert decide(client, housing, oid, "investigating", "正在核实。").status_code == 200
    assert decide(client, housing, oid, "not_upheld", "经核实，能耗数据真实，异议不成立。").status_code == 200
    assert_error(decide(client, housing, oid, "upheld"), 409, "invalid_decision")  # settled is final

    mine = client.get(f"/api/mp/v1/me/objections/{receipt}", headers=objector).json
    assert mine["status"] == "not_upheld"
    assert [e["to_status"] for e in mine["events"]] == ["received", "accepted", "investigating", "not_upheld"]
    assert mine["events"][-1]["reply"] == "经核实，能耗数据真实，异议不成立。"
    sent = fake_wechat.state()["sent_messages"]
    assert len(sent) == 3
    assert {m["touser"] for m in sent} == {"o_fake_objector"}
    assert sent[-1]["template_id"] == "tpl-objection-result"
    assert sent[-1]["data"]["character_string1"]["value"] == receipt


def test_a_refused_message_never_loses_the_decision(client, auth, app):
    notice = open_notice(app)
    _, (receipt,) = raise_objections(client, auth, notice, who="refuse_messages")
    oid = objection_id(app, receipt)
    housing = auth.staff("department_officer", department="housing_construction")
    response = decide(client, housing, oid, "not_accepted", "不属于公示异议范围。")
    assert response.status_code == 200
    assert response.json["status"] == "not_accepted"
    from app.publicity.models import ObjectionEvent

    with app.app_context():
        event = db.session.scalars(
            select(ObjectionEvent).where(ObjectionEvent.objection_id == oid).order_by(ObjectionEvent.id.desc())
        ).first()
        assert event.to_status == "not_accepted"
        assert event.notify_status == "refused"  # the objector never subscribed: not retried


def _settle(client, auth, app, notice, decisions):
    """Raise one objection per decision path on the notice's zones, in order."""
    housing = auth.staff("department_officer", department="housing_construction")
    education = auth.staff("department_officer", department="education")
    officer_for = {0: housing, 1: education}
    for zone_index, steps in decisions:
        _, (receipt,) = raise_objections(client, auth, notice, zone_index=zone_index, who=f"o{zone_index}{len(steps)}")
        oid = objection_id(app, receipt)
        for status in steps:
            assert decide(client, officer_for[zone_index], oid, status).status_code == 200
    return housing, education


def test_closing_settles_each_zone(client, auth, app):
    notice = open_notice(app, ("building", "school", "building"))
    institute = auth.staff("institute_staff")
    # zone 0: one objection upheld; zone 1: one still investigating; zone 2: none
    _settle(
        client, auth, app, notice, [(0, ["accepted", "investigating", "upheld"]), (1, ["accepted", "investigating"])]
    )
    assert_error(
        client.post(f"/api/admin/v1/publicity/{notice['id']}/close", headers=institute), 409, "publicity_not_ended"
    )
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    report = client.post(f"/api/admin/v1/publicity/{notice['id']}/close", headers=institute).json
    zone_a, zone_b, zone_c = notice["zone_ids"]
    assert report == {"notice_id": notice["id"], "confirmed": [zone_c], "rejected": [zone_a], "waiting": [zone_b]}
    assert client.get(f"/api/mp/v1/zones/{zone_a}").json["status"] == "rejected"
    assert client.get(f"/api/mp/v1/zones/{zone_b}").json["status"] == "publicity"
    assert client.get(f"/api/mp/v1/zones/{zone_c}").json["status"] == "confirmed"
    # closing again changes nothing
    again = client.post(f"/api/admin/v1/publicity/{notice['id']}/close", headers=institute).json
    assert again == report
    # the waiting zone settles when its last objection is decided
    education = auth.staff("department_officer", department="education", username="edu-late")
    from app.publicity.models import Objection

    with app.app_context():
        oid = db.session.scalar(select(Objection.id).where(Objection.zone_id == zone_b))
    assert decide(client, education, oid, "not_upheld").status_code == 200
    assert client.get(f"/api/mp/v1/zones/{zone_b}").json["status"] == "confirmed"
    # the public notice now shows counts per zone and nothing personal
    public = client.get(f"/api/mp/v1/publicity/{notice['id']}")
    counts = {z["zone_id"]: (z["objections"], z["upheld"], z["outcome"]) for z in public.json["zones"]}
    assert counts == {zone_a: (1, 1, "rejected"), zone_b: (1, 0, "confirmed"), zone_c: (0, 0, "confirmed")}
    assert public.json["window_state"] == "closed"
    text = public.get_data(as_text=True)
    assert "13812345678" not in text
    assert "张三" not in text
    assert "138****" not in text
    timeline = client.get(f"/api/mp/v1/zones/{zone_a}").json["timeline"]
    assert timeline[-1]["to_status"] == "rejected"
    assert "异议" in timeline[-1]["note"]


def test_close_due_command_is_idempotent(runner, app, client):
    notice = open_notice(app, ("park",))
    still_open = open_notice(app, ("scenic",))
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    first = runner.invoke(args=["publicity", "close-due"])
    assert first.exit_code == 0
    assert "1 notice(s) settled" in first.output
    assert client.get(f"/api/mp/v1/zones/{notice['zone_ids'][0]}").json["status"] == "confirmed"
    assert client.get(f"/api/mp/v1/zones/{still_open['zone_ids'][0]}").json["status"] == "publicity"
    second = runner.invoke(args=["publicity", "close-due"])
    assert second.exit_code == 0
    assert "0 notice(s) settled" in second.output
    timeline = client.get(f"/api/mp/v1/zones/{notice['zone_ids'][0]}").json["timeline"]
    assert [t["to_status"] for t in timeline].count("confirmed") == 1


@pytest.mark.postgres
def test_concurrent_closing_settles_each_zone_once(app, client):
    """Several processes' cron jobs at the same moment: every zone moves exactly once."""
    from app.publicity import settling

    notices = [open_notice(app, ("park", "scenic", "building")) for _ in range(3)]
    for notice in notices:
        set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    errors = []
    barrier = threading.Barrier(6)

    def run():
        with app.app_context():
            barrier.wait()
            try:
                settling.close_due()
            except Exception as exc:  # pragma: no cover - reported by the assertion
                errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for notice in notices:
        for zone_id in notice["zone_ids"]:
            timeline = client.get(f"/api/mp/v1/zones/{zone_id}").json["timeline"]
            assert [t["to_status"] for t in timeline].count("confirmed") == 1


def test_retention_purge_keeps_counts(client, auth, app, runner):
    notice = open_notice(app)
    _, (receipt,) = raise_objections(client, auth, notice)
    oid = objection_id(app, receipt)
    housing = auth.staff("department_officer", department="housing_construction")
    decide(client, housing, oid, "not_accepted", "不予受理。")
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    client.post(f"/api/admin/v1/publicity/{notice['id']}/close", headers=auth.staff("institute_staff"))
    assert "0 objection(s) purged" in runner.invoke(args=["publicity", "purge-personal-data", "--days", "30"]).output
    assert "1 objection(s) purged" in runner.invoke(args=["publicity", "purge-personal-data", "--days", "0"]).output
    from app.publicity.models import Objection

    with app.app_context():
        purged = db.session.get(Objection, oid)
        assert purged.name is None
        assert purged.phone is None
        assert purged.purged_at is not None
    counts = client.get(f"/api/mp/v1/publicity/{notice['id']}").json["zones"][0]
    assert counts["objections"] == 1
    listed = client.get("/api/admin/v1/objections", headers=housing).json["items"][0]
    assert listed["purged"] is True
    assert listed["personal"]["name"] is None
