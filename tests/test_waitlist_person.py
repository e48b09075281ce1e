"""One person waits once for a slot, whichever account asks: a second account's request naming a
visitor already waiting was queued, and could only fail when a place came free."""

from tests.factories import make_base, make_slot
from tests.helpers import assert_error
from tests.test_visits import book, visitors
from tests.test_visits_probed2 import join, waiting  # noqa: F401  (the fixture)


def test_another_account_cannot_queue_a_visitor_already_waiting(client, auth, waiting):  # noqa: F811
    answer = join(client, auth.wechat_headers("w-second"), waiting["slot_id"], {"visitors": visitors(1)}, "w-second")
    assert_error(answer, 409, "person_already_waiting")


def test_the_refusal_names_the_visitors_position_only(client, auth, app):
    slot_id = make_slot(app, make_base(app), capacity=2)
    book(client, auth.wechat_headers("w2-holder"), {"slot_id": slot_id, "visitors": visitors(2, 5)}, "w2-held")
    join(client, auth.wechat_headers("w2-first"), slot_id, {"visitors": visitors(1)}, "w2-first")
    body = {"visitors": [*visitors(1, 8), *visitors(1)]}
    answer = join(client, auth.wechat_headers("w2-second"), slot_id, body, "w2-second")
    assert answer.json["error"]["details"] == {"visitor": 1}


def test_another_account_may_queue_other_visitors(client, auth, waiting):  # noqa: F811
    answer = join(client, auth.wechat_headers("w-other"), waiting["slot_id"], {"visitors": visitors(1, 8)}, "w-other")
    assert answer.status_code == 201, answer.json


def test_a_visitor_whose_request_was_withdrawn_may_wait_again_elsewhere(client, auth, waiting):  # noqa: F811
    client.delete(f"/api/mp/v1/waitlist/{waiting['entry']['id']}", headers=waiting["headers"])
    answer = join(client, auth.wechat_headers("w-later"), waiting["slot_id"], {"visitors": visitors(1)}, "w-later")
    assert answer.status_code == 201, answer.json


def test_refusals_of_waiting_visitors_count_toward_the_days_limit(client, auth, app, waiting):  # noqa: F811
    from app.visits import booking

    headers = auth.wechat_headers("w-trawler")
    for n in range(booking.REFUSED_VISITORS_PER_DAY):
        join(client, headers, waiting["slot_id"], {"visitors": visitors(1)}, f"w-trawl-{n}")
    answer = join(client, headers, waiting["slot_id"], {"visitors": visitors(1)}, "w-trawl-last")
    assert_error(answer, 429, "too_many_refused_visitors")
