"""Short lists answered whole (a user's follows, a year's calendar, the districts, the jobs) follow
the list contract when a client pages them: the page asked for, the total of all, and 422 for a page
or per_page outside the rules, as on every other list."""

import pytest

from tests.factories import make_zone
from tests.helpers import assert_error

MP = "/api/mp/v1"


@pytest.fixture
def follower(app, client, auth):
    """A citizen following three public zones."""
    headers = auth.wechat_headers("follower")
    for _ in range(3):
        zone_id = make_zone(app, "publicity")
        assert client.post(f"{MP}/zones/{zone_id}/follow", headers=headers).status_code == 204
    return headers


def test_without_paging_every_follow_is_on_one_page(client, follower):
    assert len(client.get(f"{MP}/me/follows", headers=follower).json["items"]) == 3


def test_a_page_of_follows_holds_per_page_items(client, follower):
    assert len(client.get(f"{MP}/me/follows?page=1&per_page=2", headers=follower).json["items"]) == 2


def test_the_second_page_holds_the_rest(client, follower):
    assert len(client.get(f"{MP}/me/follows?page=2&per_page=2", headers=follower).json["items"]) == 1


def test_a_page_says_the_total_of_all(client, follower):
    assert client.get(f"{MP}/me/follows?page=2&per_page=2", headers=follower).json["total"] == 3


def test_a_page_says_its_per_page(client, follower):
    assert client.get(f"{MP}/me/follows?page=2&per_page=2", headers=follower).json["per_page"] == 2


def test_the_pages_do_not_overlap(client, follower):
    first = client.get(f"{MP}/me/follows?page=1&per_page=2", headers=follower).json["items"]
    second = client.get(f"{MP}/me/follows?page=2&per_page=2", headers=follower).json["items"]
    assert {f["id"] for f in first} & {f["id"] for f in second} == set()


@pytest.mark.parametrize("query", ["page=0", "per_page=0", "per_page=1000", "page=x"])
def test_paging_outside_the_rules_is_422(client, follower, query):
    assert_error(client.get(f"{MP}/me/follows?{query}", headers=follower), 422, "validation_error")


def test_a_years_calendar_pages_too(client, auth):
    staff = auth.staff("institute_staff")
    client.post(
        "/api/admin/v1/calendar/days", json={"date": "2027-01-01", "kind": "holiday", "name": "元旦"}, headers=staff
    )
    assert_error(
        client.get("/api/admin/v1/calendar/days?year=2027&per_page=1000", headers=staff), 422, "validation_error"
    )


def test_the_districts_page_too(client, auth):
    staff = auth.staff("institute_staff")
    assert client.get("/api/admin/v1/districts?per_page=1", headers=staff).json["per_page"] == 1
