"""Public pages that answer the signed-in differently (a board with the caller's rank, a school's
posts, the schools they follow, an article's view count) take a sent token at its word: a token
that is bad, expired, revoked or a staff one is 401 as everywhere (CONTRACT), never read as no
token; without a token the page is what anyone sees."""

import pytest

from tests.helpers import assert_error

MP = "/api/mp/v1"


@pytest.fixture
def logged_out(client, running):
    """The student's token, after they signed out."""
    headers = running["headers"]
    assert client.post(f"{MP}/auth/logout", headers=headers).status_code in (200, 204)
    return headers


@pytest.fixture
def pages(running):
    campaign = running["campaign"]
    return {
        "leaderboard": f"{MP}/campaigns/{campaign}/leaderboard?by=student",
        "posts": f"{MP}/campaigns/{campaign}/posts",
        "schools": f"{MP}/schools",
    }


@pytest.mark.parametrize("page", ["leaderboard", "posts", "schools"])
def test_a_revoked_token_is_401_not_a_signed_out_read(client, pages, logged_out, page):
    assert_error(client.get(pages[page], headers=logged_out), 401, "token_revoked")


@pytest.mark.parametrize("page", ["leaderboard", "posts", "schools"])
def test_a_malformed_token_is_401(client, pages, page):
    assert_error(client.get(pages[page], headers={"Authorization": "Bearer garbage"}), 401, "token_invalid")


@pytest.mark.parametrize("page", ["leaderboard", "posts", "schools"])
def test_a_staff_token_is_401_on_the_citizens_api(client, auth, pages, page):
    assert_error(client.get(pages[page], headers=auth.staff("institute_staff")), 401, "token_wrong_audience")


@pytest.mark.parametrize("page", ["leaderboard", "posts", "schools"])
def test_without_a_token_the_page_is_public(client, pages, page):
    assert client.get(pages[page]).status_code == 200


def test_a_staff_account_is_never_asked_for_the_citizens_privacy_consent(client, auth):
    assert client.get("/api/admin/v1/auth/me", headers=auth.staff("institute_staff")).json["needs_consent"] is False


def test_a_citizen_who_has_not_accepted_is_asked(client, auth):
    headers = auth.wechat_headers("newcomer", accept_privacy=False)
    assert client.get(f"{MP}/me", headers=headers).json["needs_consent"] is True
