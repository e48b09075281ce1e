"""POST /api/mp/v1/auth/login through the real wechatpy client and the fake WeChat server."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import AuthToken, User
from app.db_types import utcnow
from app.extensions import db
from tests.helpers import assert_error


def login(client, code):
    return client.post("/api/mp/v1/auth/login", json={"code": code})


def test_login_creates_user_and_returns_token(client, app, fake_wechat):
    response = login(client, "alice:1")
    assert response.status_code == 200
    body = response.json
    assert body["token"]
    assert body["expires_in"] == app.config["TOKEN_TTL_MP"]
    assert body["user"]["roles"] == ["citizen"]
    me = client.get("/api/mp/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json["id"] == body["user"]["id"]
    with app.app_context():
        user = db.session.get(User, body["user"]["id"])
        assert user.openid == "o_fake_alice"
        assert user.unionid is None
        # The token itself is never stored, only its hash.
        stored = db.session.scalars(select(AuthToken.token_hash)).all()
        assert body["token"] not in stored
        assert len(stored) == 1
    # The first call needed an access token: wechatpy fetched one through the fake.
    assert fake_wechat.state()["token_fetches"] == 1


def test_same_wechat_user_gets_same_account(client):
    first = login(client, "bob:1").json["user"]["id"]
    second = login(client, "bob:2").json["user"]["id"]
    other = login(client, "carol:1").json["user"]["id"]
    assert first == second != other


def test_unionid_is_kept_when_wechat_gives_one(client, app):
    user_id = login(client, "union_dave:1").json["user"]["id"]
    with app.app_context():
        assert db.session.get(User, user_id).unionid == "u_fake_union_dave"


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "   "}, {"code": None}, {"code": 123}])
def test_missing_or_empty_code(client, body):
    error = assert_error(client.post("/api/mp/v1/auth/login", json=body), 422, "validation_error")
    assert "code" in error["details"]


@pytest.mark.parametrize("code", ["invalid-code", "used-code"])
def test_code_rejected_by_wechat(client, code):
    assert_error(login(client, code), 401, "wechat_code_invalid")


def test_code_used_twice(client):
    assert login(client, "erin:1").status_code == 200
    assert_error(login(client, "erin:1"), 401, "wechat_code_invalid")


@pytest.mark.parametrize("code,errcode", [("ratelimit", 45011), ("busy", -1)])
def test_wechat_rate_limit_or_busy_is_503(client, code, errcode):
    error = assert_error(login(client, code), 503, "wechat_unavailable")
    assert error["details"]["errcode"] == errcode


def test_wechat_unreachable_is_503(make_app):
    from tests.conftest import free_port

    client = make_app(WECHAT_API_BASE_URL=f"http://127.0.0.1:{free_port()}").test_client()
    assert_error(login(client, "frank:1"), 503, "wechat_unavailable")


def test_logout_revokes_token(client, auth):
    headers = auth.wechat_headers("gina")
    assert client.post("/api/mp/v1/auth/logout", headers=headers).status_code == 204
    assert_error(client.get("/api/mp/v1/me", headers=headers), 401, "token_revoked")
    # Logging out twice is a 401 too: the token is gone.
    assert_error(client.post("/api/mp/v1/auth/logout", headers=headers), 401, "token_revoked")


def test_expired_token_is_401(client, auth, app):
    headers = auth.wechat_headers("hank")
    with app.app_context():
        for record in db.session.scalars(select(AuthToken)):
            record.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert_error(client.get("/api/mp/v1/me", headers=headers), 401, "token_expired")


def test_disabled_account_cannot_log_in_or_use_tokens(client, auth, app):
    headers = auth.wechat_headers("ivy")
    with app.app_context():
        db.session.scalar(select(User).where(User.openid == "o_fake_ivy")).is_active = False
        db.session.commit()
    assert_error(client.get("/api/mp/v1/me", headers=headers), 401, "account_disabled")
    assert_error(login(client, "ivy:99"), 401, "account_disabled")


def test_phone_verified_through_wechat(client, auth, app):
    headers = auth.wechat_headers("jane")
    response = client.post("/api/mp/v1/me/phone", json={"code": "phone:13912345678"}, headers=headers)
    assert response.status_code == 200
    assert response.json == {"phone": "13912345678", "phone_verified": True}
    me = client.get("/api/mp/v1/me", headers=headers).json
    assert me["phone"] == "13912345678"
    assert me["phone_verified"] is True
    # Encrypted at rest: the raw column does not hold the number.
    with app.app_context():
        raw = db.session.execute(db.text("SELECT phone FROM users WHERE openid = 'o_fake_jane'")).scalar()
        assert raw
        assert "13912345678" not in raw


def test_phone_code_rejected(client, auth):
    headers = auth.wechat_headers("kate")
    assert_error(
        client.post("/api/mp/v1/me/phone", json={"code": "nonsense"}, headers=headers),
        422,
        "phone_code_invalid",
    )
    assert_error(client.post("/api/mp/v1/me/phone", json={}, headers=headers), 422, "validation_error")
    assert_error(client.post("/api/mp/v1/me/phone", json={"code": "phone:13912345678"}), 401, "unauthorized")


def test_profile_update(client, auth):
    headers = auth.wechat_headers("leo")
    response = client.patch("/api/mp/v1/me", json={"display_name": "小李"}, headers=headers)
    assert response.status_code == 200
    assert response.json["display_name"] == "小李"
    assert_error(client.patch("/api/mp/v1/me", json={"display_name": "  "}, headers=headers), 422, "validation_error")
    assert_error(client.patch("/api/mp/v1/me", json={"roles": ["admin"]}, headers=headers), 422, "validation_error")
