"""The privacy policy: served from content/ by version, accepted per version, and required before
the writes that collect personal data (booking, objection, campaign check-in)."""

from datetime import date, timedelta
from pathlib import Path

import pytest

from app import uow
from app.extensions import db
from app.policies import services as policies
from app.policies.models import PolicyConsent
from tests.campaign_helpers import _checkin, _confirm, _student
from tests.factories import id_number, make_base, make_slot, open_notice
from tests.helpers import assert_error
from tests.kept import kept

POLICY = "/api/mp/v1/policies/privacy"


def _policy_file(root: Path, version: str, effective_on: date, body: str = "我们只收集必要的信息。") -> Path:
    (root / "policies").mkdir(parents=True, exist_ok=True)
    file = root / "policies" / "privacy.md"
    file.write_text(
        f'---\nversion: "{version}"\ntitle: 隐私政策\neffective_on: {effective_on.isoformat()}\n---\n\n{body}\n',
        encoding="utf-8",
    )
    return root


def _publish(app, root: Path) -> list[str]:
    with app.app_context():
        files, problems = policies.read_policies(root)
        assert problems == []
        added = policies.publish(files)
        uow.commit()
        return added


def _accept(client, headers, version):
    return client.post("/api/mp/v1/me/consents", json={"document": "privacy", "version": version}, headers=headers)


def _current_version(client):
    return client.get(POLICY).json["version"]


def _book(client, headers, slot_id, key="k1"):
    return client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": slot_id, "visitors": [{"name": "王五", "id_number": id_number(), "phone": "13812345678"}]},
        headers={**headers, "Idempotency-Key": key},
    )


def _object(client, headers, notice):
    body = {"zone_id": notice["zone_ids"][0], "name": "张三", "phone": "13812345678", "reason": "能耗数据与实际不符。"}
    return client.post(f"/api/mp/v1/publicity/{notice['id']}/objections", json=body, headers=headers)


# ---- reading the policy ---------------------------------------------------------------------


def test_the_policy_is_served_with_its_version(client):
    assert set(client.get(POLICY).json) == {"version", "title", "body_html", "effective_on"}


def test_the_policy_version_is_the_one_in_content(app, client):
    text = (Path(app.config["CONTENT_ROOT"]) / "policies" / "privacy.md").read_text(encoding="utf-8")
    assert f'version: "{_current_version(client)}"' in text


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("BOOKING_RETENTION_DAYS", "参观日后"),
        ("OBJECTION_RETENTION_DAYS", "异议处理完毕后"),
        ("CHECKIN_RETENTION_DAYS", "活动结束后"),
    ],
)
def test_the_policy_states_each_retention_period_the_service_applies(make_app, setting, words):
    """A citizen reads how long each kind of data is kept in days, the defaults the purge applies
    (it had referred them to "the project's documents", which they cannot see)."""
    default = make_app().config[setting]
    text = (Path(make_app().config["CONTENT_ROOT"]) / "policies" / "privacy.md").read_text(encoding="utf-8")
    assert f"{words} {default} 天" in text


def test_the_policy_body_is_sanitised_html(app, client, tmp_path):
    # effective long ago: published, but the version in effect stays the content/ one
    _publish(app, _policy_file(tmp_path, "v-script", date(2020, 1, 1), "<script>x()</script>正文"))
    with app.app_context():
        stored = db.session.scalar(
            db.select(policies.PolicyVersion.body_html).where(policies.PolicyVersion.version == "v-script")
        )
    assert "<script" not in stored


def test_without_a_published_policy_the_answer_is_404(app, client):
    with app.app_context():
        db.session.execute(db.delete(policies.PolicyVersion))
        db.session.commit()
    assert_error(client.get(POLICY), 404, "policy_not_published")


def test_the_content_sync_publishes_the_policy(app, runner):
    with app.app_context():
        db.session.execute(db.delete(policies.PolicyVersion))
        db.session.commit()
    result = runner.invoke(args=["content", "sync"])
    assert "policy versions published 1" in result.output


def test_a_changed_text_under_a_published_version_is_refused(app, tmp_path):
    _publish(app, _policy_file(tmp_path, "v-fixed", date(2020, 1, 1)))
    _policy_file(tmp_path, "v-fixed", date(2020, 1, 1), "改过的正文。")
    with app.app_context():
        _, problems = policies.read_policies(tmp_path)
    assert [p.field for p in problems] == ["version"]


def test_a_policy_file_without_a_version_is_refused(app, tmp_path):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "privacy.md").write_text("---\ntitle: 隐私政策\neffective_on: 2026-01-01\n---\n正文\n")
    with app.app_context():
        _, problems = policies.read_policies(tmp_path)
    assert [p.field for p in problems] == ["version"]


# ---- accepting ------------------------------------------------------------------------------


def test_a_new_user_needs_consent(client, auth):
    headers = auth.wechat_headers("newcomer", accept_privacy=False)
    assert client.get("/api/mp/v1/me", headers=headers).json["needs_consent"] is True


def test_accepting_the_current_version_records_it(client, auth):
    headers = auth.wechat_headers("reader", accept_privacy=False)
    version = _current_version(client)
    answer = _accept(client, headers, version)
    assert (answer.status_code, answer.json["version"]) == (200, version)


def test_after_accepting_no_consent_is_needed(client, auth):
    headers = auth.wechat_headers("reader", accept_privacy=False)
    _accept(client, headers, _current_version(client))
    me = client.get("/api/mp/v1/me", headers=headers).json
    assert (me["needs_consent"], me["privacy_version_accepted"]) == (False, _current_version(client))


def test_accepting_twice_answers_the_first_acceptance(client, auth):
    headers = auth.wechat_headers("reader", accept_privacy=False)
    first = _accept(client, headers, _current_version(client)).json
    assert _accept(client, headers, _current_version(client)).json == first


def test_accepting_an_unknown_version_is_422(client, auth):
    headers = auth.wechat_headers("reader", accept_privacy=False)
    assert_error(_accept(client, headers, "no-such-version"), 422, "policy_version_unknown")


def test_accepting_an_old_version_is_409(app, client, auth, tmp_path):
    old = _current_version(client)
    _publish(app, _policy_file(tmp_path, "v-newer", _in_effect_after_content(app)))
    headers = auth.wechat_headers("late", accept_privacy=False)
    assert_error(_accept(client, headers, old), 409, "policy_version_not_current")


def test_accepting_a_version_not_yet_in_effect_is_409(app, client, auth, tmp_path):
    _publish(app, _policy_file(tmp_path, "v-future", _in_effect_after_content(app) + timedelta(days=30)))
    headers = auth.wechat_headers("early", accept_privacy=False)
    assert_error(_accept(client, headers, "v-future"), 409, "policy_version_not_current")


def test_another_document_is_422(client, auth):
    headers = auth.wechat_headers("reader", accept_privacy=False)
    response = client.post("/api/mp/v1/me/consents", json={"document": "terms", "version": "1"}, headers=headers)
    assert "document" in assert_error(response, 422, "validation_error")["details"]


def test_accepting_needs_a_sign_in(client):
    assert_error(_accept(client, {}, "x"), 401, "unauthorized")


def test_a_new_version_published_asks_for_consent_again(app, client, auth, tmp_path):
    headers = auth.wechat_headers("regular")
    assert client.get("/api/mp/v1/me", headers=headers).json["needs_consent"] is False
    _publish(app, _policy_file(tmp_path, "v-newer", _in_effect_after_content(app)))
    assert client.get("/api/mp/v1/me", headers=headers).json["needs_consent"] is True


def test_the_new_version_is_the_one_served(app, client, tmp_path):
    _publish(app, _policy_file(tmp_path, "v-newer", _in_effect_after_content(app)))
    assert _current_version(client) == "v-newer"


def test_a_version_not_yet_in_effect_asks_for_nothing(app, client, auth, tmp_path):
    headers = auth.wechat_headers("regular")
    _publish(app, _policy_file(tmp_path, "v-future", _in_effect_after_content(app) + timedelta(days=30)))
    assert client.get("/api/mp/v1/me", headers=headers).json["needs_consent"] is False


def test_the_acceptance_is_kept_with_its_version_and_time(app, client, auth):
    login = auth.wechat_login("kept", accept_privacy=False)
    _accept(client, {"Authorization": f"Bearer {login['token']}"}, _current_version(client))
    with app.app_context():
        row = db.session.scalar(db.select(PolicyConsent).where(PolicyConsent.user_id == login["user"]["id"]))
        assert (row.version, row.accepted_at is not None) == (_current_version(client), True)


def _in_effect_after_content(app) -> date:
    """Today, China time: a version taking effect today replaces the content/ one (in effect already;
    the later published wins a tie)."""
    from app.times import local_today

    with app.app_context():
        return local_today()


# ---- 428 before consent ----------------------------------------------------------------------


@pytest.fixture
def slot(request, app):
    """A slot in two days at an education base: its id. Kept (tests/kept.py)."""
    return kept(request, "policies.slot", lambda: _slot(app))


def _slot(app):
    return make_slot(app, make_base(app), days_ahead=2)


def test_booking_before_consent_is_428(client, auth, slot):
    headers = auth.wechat_headers("booker", accept_privacy=False)
    assert_error(_book(client, headers, slot), 428, "consent_required")


def test_booking_after_consent_is_201(client, auth, slot):
    headers = auth.wechat_headers("booker", accept_privacy=False)
    _accept(client, headers, _current_version(client))
    assert _book(client, headers, slot).status_code == 201


def test_the_428_names_the_version_to_accept(client, auth, slot):
    headers = auth.wechat_headers("booker", accept_privacy=False)
    assert assert_error(_book(client, headers, slot), 428, "consent_required")["details"]["version"] == (
        _current_version(client)
    )


def test_booking_after_a_new_version_is_428_again(app, client, auth, slot, tmp_path):
    headers = auth.wechat_headers("booker")
    _publish(app, _policy_file(tmp_path, "v-newer", _in_effect_after_content(app)))
    assert_error(_book(client, headers, slot), 428, "consent_required")


def test_joining_a_waitlist_before_consent_is_428(client, auth, slot):
    headers = auth.wechat_headers("waiter", accept_privacy=False)
    body = {"slot_id": slot, "visitors": [{"name": "王五", "id_number": id_number(), "phone": "13812345678"}]}
    assert_error(client.post(f"/api/mp/v1/slots/{slot}/waitlist", json=body, headers=headers), 428, "consent_required")


def test_an_objection_before_consent_is_428(app, client, auth):
    headers = auth.wechat_headers("objector", accept_privacy=False)
    assert_error(_object(client, headers, open_notice(app)), 428, "consent_required")


def test_an_objection_after_consent_is_201(app, client, auth):
    headers = auth.wechat_headers("objector", accept_privacy=False)
    _accept(client, headers, _current_version(client))
    assert _object(client, headers, open_notice(app)).status_code == 201


def test_a_check_in_before_consent_is_428(app, client, auth, running):
    headers = auth.wechat_headers("newstudent", accept_privacy=False)
    me = client.patch(
        "/api/mp/v1/me",
        json={"school_id": running["school"], "class_name": "一班", "age_band": "14_17"},
        headers=headers,
    ).json
    _confirm(client, auth, running["school"], me["id"])
    assert client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=headers).status_code == 204
    assert_error(_checkin(client, headers, running["campaign"]), 428, "consent_required")


def test_a_check_in_after_consent_is_201(app, client, auth, running):
    headers = _student(client, auth, running["school"], "ready")
    client.post(f"/api/mp/v1/campaigns/{running['campaign']}/join", headers=headers)
    assert _checkin(client, headers, running["campaign"]).status_code == 201


def test_reading_needs_no_consent(client, auth):
    headers = auth.wechat_headers("browser", accept_privacy=False)
    assert client.get("/api/mp/v1/me/bookings", headers=headers).status_code == 200
