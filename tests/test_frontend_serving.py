"""What the mini-program front end needs from the service: /meta says when the development sign-in
may be offered (the bundled fake WeChat), and the h5 build is served at /h5/ when it exists."""

import pytest

from app.config import FAKE_WECHAT_APPID


def test_meta_offers_the_development_sign_in_with_the_fake_wechat(make_app):
    client = make_app(WECHAT_APPID=FAKE_WECHAT_APPID).test_client()
    assert client.get("/api/mp/v1/meta").json["dev_login"] is True


def test_meta_offers_no_development_sign_in_with_a_real_appid(client):
    assert client.get("/api/mp/v1/meta").json["dev_login"] is False


def test_meta_offers_no_development_sign_in_in_production(make_app):
    client = make_app(WECHAT_APPID=FAKE_WECHAT_APPID, APP_ENV="production").test_client()
    assert client.get("/api/mp/v1/meta").json["dev_login"] is False


def test_meta_stays_cached_with_the_flag(client):
    first = client.get("/api/mp/v1/meta")
    again = client.get("/api/mp/v1/meta", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.fixture
def h5_build(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>长春低碳示范区</title>", encoding="utf-8")
    (tmp_path / "js" / "app.1a2b3c4d.js").write_text("console.log(1)", encoding="utf-8")
    return tmp_path


@pytest.fixture
def h5_client(make_app, h5_build):
    return make_app(H5_ROOT=str(h5_build)).test_client()


def fetch(client, url):
    """The answer with its body read and its file closed (files are streamed)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_h5_entry_page_is_served(h5_client):
    assert "长春低碳示范区" in fetch(h5_client, "/h5/").get_data(as_text=True)


def test_h5_entry_page_is_never_kept_stale(h5_client):
    assert fetch(h5_client, "/h5/").headers["Cache-Control"] == "no-cache"


def test_h5_hashed_script_is_served_for_a_year(h5_client):
    response = fetch(h5_client, "/h5/js/app.1a2b3c4d.js")
    assert (response.status_code, response.cache_control.max_age) == (200, 365 * 86400)


def test_h5_page_route_falls_back_to_the_entry_page(h5_client):
    assert "长春低碳示范区" in fetch(h5_client, "/h5/pages/zones/index").get_data(as_text=True)


def test_h5_missing_asset_is_a_json_404(h5_client):
    response = h5_client.get("/h5/js/missing.js")
    assert (response.status_code, response.json["error"]["code"]) == (404, "not_found")


def test_h5_path_outside_the_build_is_refused(h5_client, h5_build):
    (h5_build.parent / "secret.txt").write_text("secret", encoding="utf-8")
    assert h5_client.get("/h5/../secret.txt").status_code == 404


def test_h5_without_the_slash_redirects(h5_client):
    response = h5_client.get("/h5")
    assert (response.status_code, response.headers["Location"]) == (308, "/h5/")


def test_no_h5_route_without_a_build(make_app, tmp_path):
    client = make_app(H5_ROOT=str(tmp_path / "absent")).test_client()
    assert client.get("/h5/").status_code == 404


def test_meta_names_the_objection_result_template_for_the_subscribe_request(client):
    assert client.get("/api/mp/v1/meta").json["subscribe_templates"]["objection_result"] == "tpl-objection-result"


def test_meta_names_no_template_that_is_not_configured(make_app):
    client = make_app(WECHAT_TEMPLATE_OBJECTION_RESULT=None).test_client()
    assert "objection_result" not in client.get("/api/mp/v1/meta").json["subscribe_templates"]
