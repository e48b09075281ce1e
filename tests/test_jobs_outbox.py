"""Background work: messages kept in an outbox until WeChat takes them, periodic jobs on an RQ queue
enqueued once per period however many schedulers run, and dead letters for staff."""

from datetime import UTC, datetime, timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import select, update

from app.extensions import db
from app.jobs import queue as jobs_queue
from app.jobs import schedule
from app.jobs.models import DeadLetter
from app.outbox import services as outbox
from app.outbox.models import MessageStatus, OutboxMessage
from app.publicity.models import ObjectionEvent
from tests.factories import open_notice
from tests.helpers import assert_error
from tests.test_objection_handling import decide, objection_id, raise_objections


def _decide_with_wechat_down(client, auth, app, fake_wechat):
    notice = open_notice(app)
    _, (receipt,) = raise_objections(client, auth, notice)
    oid = objection_id(app, receipt)
    fake_wechat.reset()
    fake_wechat.configure(messages_down=True)
    housing = auth.staff("department_officer", department="housing_construction")
    response = decide(client, housing, oid, "not_accepted", "不属于公示异议范围。")
    return oid, response


def _message(app) -> OutboxMessage:
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        db.session.expunge(message)
        return message


def _make_due(app) -> None:
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
        db.session.commit()


def test_a_decision_stands_when_wechat_is_down(client, auth, app, fake_wechat):
    _, response = _decide_with_wechat_down(client, auth, app, fake_wechat)
    assert response.json["status"] == "not_accepted"


def test_the_undelivered_message_waits_in_the_outbox(client, auth, app, fake_wechat):
    _decide_with_wechat_down(client, auth, app, fake_wechat)
    message = _message(app)
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)


def test_the_retry_waits_before_trying_again(client, auth, app, fake_wechat):
    _decide_with_wechat_down(client, auth, app, fake_wechat)
    assert _message(app).next_attempt_at > datetime.now(UTC) + timedelta(seconds=30)


def test_the_scheduled_retry_sends_it_once_wechat_is_back(client, auth, app, fake_wechat):
    oid, _ = _decide_with_wechat_down(client, auth, app, fake_wechat)
    fake_wechat.configure(messages_down=False)
    _make_due(app)
    with app.app_context():
        schedule.PERIODIC["outbox.deliver"].run()
    sent = fake_wechat.state()["sent_messages"]
    assert [m["template_id"] for m in sent] == ["tpl-objection-result"]


def test_the_decision_shows_the_message_was_sent_in_the_end(client, auth, app, fake_wechat):
    oid, _ = _decide_with_wechat_down(client, auth, app, fake_wechat)
    fake_wechat.configure(messages_down=False)
    _make_due(app)
    with app.app_context():
        outbox.deliver_due()
        event = db.session.scalars(
            select(ObjectionEvent).where(ObjectionEvent.objection_id == oid).order_by(ObjectionEvent.id.desc())
        ).first()
        assert event.notify_status == "sent"


def test_a_message_claimed_by_one_sender_is_not_sent_by_another(client, auth, app, fake_wechat):
    _decide_with_wechat_down(client, auth, app, fake_wechat)
    fake_wechat.configure(messages_down=False)
    message_id = _message(app).id
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(status=MessageStatus.SENDING, claimed_at=datetime.now(UTC)))
        db.session.commit()
        assert outbox.deliver(message_id) is None


def test_a_message_whose_sender_died_is_taken_again(client, auth, app, fake_wechat):
    _decide_with_wechat_down(client, auth, app, fake_wechat)
    fake_wechat.configure(messages_down=False)
    message_id = _message(app).id
    with app.app_context():
        stale = datetime.now(UTC) - outbox.STALE_CLAIM - timedelta(seconds=1)
        db.session.execute(update(OutboxMessage).values(status=MessageStatus.SENDING, claimed_at=stale))
        db.session.commit()
        assert outbox.deliver(message_id) == MessageStatus.SENT


def _exhaust(app) -> None:
    for _ in range(outbox.MAX_ATTEMPTS):
        _make_due(app)
        with app.app_context():
            outbox.deliver_due()


def test_after_every_attempt_the_message_is_a_dead_letter(client, auth, app, fake_wechat):
    _decide_with_wechat_down(client, auth, app, fake_wechat)
    _exhaust(app)
    assert _message(app).status == MessageStatus.DEAD


def test_staff_see_the_dead_message(client, auth, app, fake_wechat):
    _decide_with_wechat_down(client, auth, app, fake_wechat)
    _exhaust(app)
    admin = auth.staff("admin")
    letters = client.get("/api/admin/v1/jobs/dead-letters?unresolved=true", headers=admin).json["items"]
    assert [(d["kind"], d["name"], d["ref_id"]) for d in letters] == [("message", "objection.result", _message(app).id)]


def test_staff_retry_of_a_dead_message_sends_it(client, auth, app, fake_wechat):
    _decide_with_wechat_down(client, auth, app, fake_wechat)
    _exhaust(app)
    fake_wechat.configure(messages_down=False)
    admin = auth.staff("admin")
    letter = client.get("/api/admin/v1/jobs/dead-letters", headers=admin).json["items"][0]
    response = client.post(f"/api/admin/v1/jobs/dead-letters/{letter['id']}/retry", headers=admin)
    assert response.status_code == 200
    assert len(fake_wechat.state()["sent_messages"]) == 1


def test_a_dead_letter_is_handled_once(client, auth, app, fake_wechat):
    _decide_with_wechat_down(client, auth, app, fake_wechat)
    _exhaust(app)
    admin = auth.staff("admin")
    letter = client.get("/api/admin/v1/jobs/dead-letters", headers=admin).json["items"][0]
    client.post(f"/api/admin/v1/jobs/dead-letters/{letter['id']}/dismiss", headers=admin)
    again = client.post(f"/api/admin/v1/jobs/dead-letters/{letter['id']}/retry", headers=admin)
    assert_error(again, 409, "dead_letter_resolved")


def test_dead_letters_are_not_for_department_officers(client, auth):
    officer = auth.staff("department_officer", department="education")
    assert_error(client.get("/api/admin/v1/jobs/dead-letters", headers=officer), 403, "forbidden")


# ---- periodic jobs ---------------------------------------------------------------------------


NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 12:00 in Changchun


def test_a_tick_enqueues_every_job_once_per_period(app):
    with app.app_context():
        first = schedule.tick(NOON)
        second = schedule.tick(NOON + timedelta(seconds=5))
    assert (sorted(first), second) == (sorted(schedule.PERIODIC), [])


def test_the_next_period_is_enqueued_again(app):
    with app.app_context():
        schedule.tick(NOON)
        later = schedule.tick(NOON + timedelta(minutes=1))
    assert later == ["outbox.deliver"]


def test_a_daily_job_missed_while_no_scheduler_ran_runs_at_the_next_tick(app):
    with app.app_context():
        schedule.tick(datetime(2026, 11, 24, 18, 0, tzinfo=UTC))  # 02:00 on the 25th: yesterday's run
        morning = schedule.tick(datetime(2026, 11, 24, 20, 0, tzinfo=UTC))  # 04:00: the 25th's are due
    assert {"campaigns.rebuild_boards", "privacy.purge"} <= set(morning)


def _work(app) -> None:
    with app.app_context():
        SimpleWorker([jobs_queue.queue()], connection=jobs_queue.connection()).work(burst=True, logging_level="ERROR")


def test_the_worker_runs_the_enqueued_jobs(app):
    with app.app_context():
        schedule.tick(NOON)
    _work(app)
    with app.app_context():
        runs = jobs_queue.last_runs()
    assert {name: run["outcome"] for name, run in runs.items()} == {name: "ok" for name in schedule.PERIODIC}


def test_a_job_failing_on_its_last_try_is_a_dead_letter(app, monkeypatch):
    def broken() -> str:
        raise RuntimeError("the board is on fire")

    monkeypatch.setattr(
        schedule,
        "PERIODIC",
        {
            **schedule.PERIODIC,
            "content.flush_views": schedule.Periodic(
                "content.flush_views", "写入文章阅读数", broken, every=timedelta(minutes=5)
            ),
        },
    )
    monkeypatch.setattr(jobs_queue, "RETRY_INTERVALS", [0])  # one retry, at once
    with app.app_context():
        jobs_queue.enqueue_job("content.flush_views", "1")
    _work(app)
    with app.app_context():
        letters = db.session.scalars(select(DeadLetter)).all()
        assert [(d.kind, d.name, d.error, d.attempts) for d in letters] == [
            ("job", "content.flush_views", "RuntimeError: the board is on fire", 2)
        ]


def test_the_job_list_shows_each_schedule(client, auth, app):
    admin = auth.staff("admin")
    jobs = client.get("/api/admin/v1/jobs", headers=admin).json["items"]
    assert {j["name"]: j["schedule"] for j in jobs}["campaigns.rebuild_boards"] == "每天 03:00"


@pytest.mark.parametrize("name", sorted(schedule.PERIODIC))
def test_each_job_runs_on_an_empty_database(app, name):
    with app.app_context():
        assert isinstance(schedule.PERIODIC[name].run(), str)


def test_a_reminder_queued_while_wechat_is_down_is_sent_when_it_returns(make_app, fake_wechat):
    from tests.factories import make_base, make_slot
    from tests.test_faults_redis import Visitor

    reminding = make_app(WECHAT_TEMPLATE_BOOKING_REMINDER="tpl-reminder")
    slot_id = make_slot(reminding, make_base(reminding), days_ahead=1)
    visitor = Visitor(reminding, "remind-me")
    visitor.login()
    assert visitor.book(slot_id, 1).status_code == 201
    fake_wechat.configure(messages_down=True)
    with reminding.app_context():
        schedule.PERIODIC["visits.send_reminders"].run()
    fake_wechat.configure(messages_down=False)
    _make_due(reminding)
    with reminding.app_context():
        schedule.PERIODIC["outbox.deliver"].run()
    assert [m["template_id"] for m in fake_wechat.state()["sent_messages"]] == ["tpl-reminder"]


@pytest.mark.redis
def test_two_schedulers_on_two_machines_enqueue_a_period_once(app, make_app):
    other = make_app()
    with app.app_context():
        here = schedule.tick(NOON)
    with other.app_context():
        there = schedule.tick(NOON)
    assert (len(here), there) == (len(schedule.PERIODIC), [])


@pytest.mark.redis
def test_queued_jobs_survive_a_restart_of_the_app(app, make_app):
    with app.app_context():
        schedule.tick(NOON)
    restarted = make_app()  # a new process: nothing of the first one's memory
    _work(restarted)
    with restarted.app_context():
        runs = jobs_queue.last_runs()
    assert all(run and run["outcome"] == "ok" for run in runs.values())


def _dead_job(app) -> int:
    from app.jobs.models import record_dead_letter

    with app.app_context():
        letter = record_dead_letter("job", "publicity.close_due", "OperationalError: gone", 4)
        db.session.commit()
        return letter.id


def test_retrying_a_dead_job_enqueues_it(client, auth, app):
    letter_id = _dead_job(app)
    response = client.post(f"/api/admin/v1/jobs/dead-letters/{letter_id}/retry", headers=auth.staff("admin"))
    with app.app_context():
        queued = jobs_queue.queue().count
    assert (response.json["resolution"], queued) == ("retried", 1)


def test_retrying_a_dead_job_while_the_queue_is_down_changes_nothing(client, auth, app, monkeypatch):
    import redis

    letter_id = _dead_job(app)
    admin = auth.staff("admin")

    def down(*args, **kwargs):
        raise redis.ConnectionError("refused")

    monkeypatch.setattr(jobs_queue, "enqueue_job", down)
    assert_error(
        client.post(f"/api/admin/v1/jobs/dead-letters/{letter_id}/retry", headers=admin), 503, "queue_unavailable"
    )
    with app.app_context():
        assert db.session.get(DeadLetter, letter_id).resolved_at is None


def test_staff_read_each_job_by_its_chinese_name(client, auth):
    jobs = client.get("/api/admin/v1/jobs", headers=auth.staff("admin")).json["items"]
    assert {j["name"]: j["label"] for j in jobs}["publicity.close_due"] == "结算到期公示"


def test_a_job_run_reports_in_chinese(app):
    with app.app_context():
        assert schedule.PERIODIC["publicity.close_due"].run() == "结算公示 0 期"
