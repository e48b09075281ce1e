"""A campaign's board pages as every list does: ?page=&per_page= (per_page is top's other name), the
ranks counted from the top whatever the page, 422 past the board's depth or outside the rules."""

import pytest

from app.campaigns.board_scores import BOARD_DEPTH
from tests.helpers import assert_error
from tests.test_campaign_boards import crowd  # noqa: F401  (the fixture)


def board(client, campaign_id, query):
    return client.get(f"/api/mp/v1/campaigns/{campaign_id}/leaderboard?{query}")


@pytest.mark.parametrize("by", ["student", "class"])
def test_the_second_page_holds_what_follows_the_first(client, crowd, by):  # noqa: F811
    whole = board(client, crowd["campaign"], f"by={by}&top=100").json["items"]
    second = board(client, crowd["campaign"], f"by={by}&page=2&per_page=2").json["items"]
    assert second == whole[2:4]


def test_a_page_keeps_the_ranks_counted_from_the_top(client, crowd):  # noqa: F811
    whole = board(client, crowd["campaign"], "top=100").json["items"]
    second = board(client, crowd["campaign"], "page=2&per_page=1").json["items"]
    assert [e["rank"] for e in second] == [whole[1]["rank"]]


def test_a_page_says_its_page_and_per_page(client, crowd):  # noqa: F811
    answer = board(client, crowd["campaign"], "page=2&per_page=2").json
    assert (answer["page"], answer["per_page"]) == (2, 2)


def test_a_page_says_the_boards_total(client, crowd):  # noqa: F811
    whole = board(client, crowd["campaign"], "top=100").json
    assert board(client, crowd["campaign"], "page=2&per_page=2").json["total"] == whole["total"]


def test_per_page_is_tops_other_name(client, crowd):  # noqa: F811
    assert len(board(client, crowd["campaign"], "per_page=1").json["items"]) == 1


def test_a_page_past_the_end_is_empty(client, crowd):  # noqa: F811
    assert board(client, crowd["campaign"], "page=50&per_page=20").json["items"] == []


def test_paging_past_the_boards_depth_is_a_422_naming_page(client, crowd):  # noqa: F811
    answer = board(client, crowd["campaign"], f"page={BOARD_DEPTH // 100 + 1}&per_page=100")
    assert "page" in assert_error(answer, 422, "validation_error")["details"]


@pytest.mark.parametrize("query", ["page=0", "per_page=0", "per_page=101", "page=x"])
def test_paging_outside_the_rules_is_a_422(client, crowd, query):  # noqa: F811
    assert_error(board(client, crowd["campaign"], query), 422, "validation_error")
