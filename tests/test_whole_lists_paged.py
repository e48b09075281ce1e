"""Short lists answered whole (a user's follows, a year's calendar, the districts, the jobs) follow
the list contract when a client pages them: the page asked for, the total of all, and 422 for a page
or per_page outside the rules, as on every other list."""

from datetime import timedelta

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


# ---- the cached whole lists: a base's slots and closed days, the article categories ----------------


@pytest.fixture
def week(app):
    """A base with a slot on each of the next three days: (base id, the window's query)."""
    from tests.factories import make_base, make_slot
    from tests.test_visits_staff import local_today

    base_id = make_base(app)
    for days_ahead in (1, 2, 3):
        make_slot(app, base_id, days_ahead=days_ahead)
    first, last = local_today(), local_today() + timedelta(days=6)
    return base_id, f"from={first.isoformat()}&to={last.isoformat()}"


def test_a_bases_slots_without_paging_are_on_one_page(client, week):
    base_id, window = week
    assert len(client.get(f"{MP}/bases/{base_id}/slots?{window}").json["items"]) == 3


def test_a_page_of_a_bases_slots_holds_per_page_slots(client, week):
    base_id, window = week
    assert len(client.get(f"{MP}/bases/{base_id}/slots?{window}&page=1&per_page=2").json["items"]) == 2


def test_a_page_of_a_bases_slots_says_the_total(client, week):
    base_id, window = week
    assert client.get(f"{MP}/bases/{base_id}/slots?{window}&page=2&per_page=2").json["total"] == 3


def test_the_second_page_of_a_bases_slots_holds_the_rest(client, week):
    base_id, window = week
    whole = [s["id"] for s in client.get(f"{MP}/bases/{base_id}/slots?{window}").json["items"]]
    second = [s["id"] for s in client.get(f"{MP}/bases/{base_id}/slots?{window}&page=2&per_page=2").json["items"]]
    assert second == whole[2:]


def test_a_bases_slots_paged_outside_the_rules_are_422(client, week):
    base_id, window = week
    assert_error(client.get(f"{MP}/bases/{base_id}/slots?{window}&per_page=1000"), 422, "validation_error")


def test_a_bases_closed_days_page_too(client, week):
    base_id, window = week
    assert client.get(f"{MP}/bases/{base_id}/closures?{window}&per_page=1").json["per_page"] == 1


def test_the_categories_page_too(client):
    assert client.get(f"{MP}/categories?per_page=1").json["per_page"] == 1


def test_the_categories_without_paging_are_on_one_page(client):
    answer = client.get(f"{MP}/categories").json
    assert answer["per_page"] == max(answer["total"], 1)
