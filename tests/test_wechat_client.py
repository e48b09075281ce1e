"""The wechatpy client against the fake server: base URL, shared token, bounded retries, and
the calls later features use (content check, subscribe messages, mini-program codes)."""

import threading

import pytest

from app.errors import WeChatUnavailable
from app.wechat import services as wechat
from app.wechat.client import get_client
from app.wechat.fake import REVIEW_MARKER, RISKY_MARKER


def test_one_token_for_many_threads(app, fake_wechat):
    fake_wechat.configure(token_fetch_delay=0.2)  # widen the race
    results, errors = [], []

    def check():
        with app.app_context():
            try:
                results.append(wechat.check_text("今天天气很好", "o_fake_x"))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == ["pass"] * 8
    assert fake_wechat.state()["token_fetches"] == 1


def test_token_shared_between_clients_through_storage(app, app_config, make_app, fake_wechat):
    """A second process (here: a second app with its own client) reuses the stored token.
    Only meaningful with a shared Redis; without one each process has its own store."""
    with app.app_context():
        wechat.check_text("你好", "o_fake_x")
    other = make_app()
    with other.app_context():
        wechat.check_text("你好", "o_fake_x")
    expected = 1 if app_config["REDIS_URL"] else 2
    assert fake_wechat.state()["token_fetches"] == expected


def test_token_rejected_by_wechat_is_refreshed_and_call_retried_once(app, fake_wechat):
    with app.app_context():
        assert wechat.check_text("你好", "o_fake_x") == "pass"
        fake_wechat.invalidate_tokens()  # WeChat now answers 40001 to the stored token
        assert wechat.check_text("你好", "o_fake_x") == "pass"
    assert fake_wechat.state()["token_fetches"] == 2


def test_token_always_rejected_stops_after_one_retry(app, fake_wechat):
    """wechatpy's own auto_retry would recurse forever here (RecursionError)."""
    fake_wechat.configure(token_always_invalid=True)
    with app.app_context(), pytest.raises(WeChatUnavailable) as caught:
        wechat.check_text("你好", "o_fake_x")
    assert caught.value.details["errcode"] == 40001
    assert fake_wechat.state()["token_fetches"] == 2


def test_stale_worker_does_not_throw_away_a_fresh_token(app, fake_wechat):
    with app.app_context():
        client = get_client(app)
        first = client.access_token
        fake_wechat.invalidate_tokens()
        client.invalidate_token(first)
        fresh = client.access_token
        assert fresh != first
        # A slow worker now reports the old token as rejected: the fresh one must stay.
        client.invalidate_token(first)
        assert client.session.get(client.access_token_key) == fresh


def test_every_call_goes_to_the_configured_base_url(app, fake_wechat):
    with app.app_context():
        client = get_client(app)
        assert client.wxa.API_BASE_URL.startswith("https://api.weixin.qq.com")  # wechatpy's own
        wechat.check_text("你好", "o_fake_x")
    # ...and yet the fake answered both the token and the check.
    state = fake_wechat.state()
    assert state["token_fetches"] == 1
    assert len(state["content_checks"]) == 1


@pytest.mark.parametrize(
    "text,suggest",
    [("低碳出行很好", "pass"), (f"内容{REVIEW_MARKER}一下", "review"), (f"含{RISKY_MARKER}词", "risky")],
)
def test_content_security_check_v2(app, fake_wechat, text, suggest):
    with app.app_context():
        assert wechat.check_text(text, "o_fake_x", scene=2) == suggest
    check = fake_wechat.state()["content_checks"][0]
    assert check["version"] == 2
    assert check["openid"] == "o_fake_x"
    assert check["scene"] == 2


def test_subscribe_message_is_sent_and_refusal_is_reported(app, fake_wechat):
    with app.app_context():
        wechat.send_subscribe_message("o_fake_x", "tpl-1", {"thing1": {"value": "预约提醒"}}, page="pages/index")
        with pytest.raises(wechat.SubscribeMessageFailed):
            wechat.send_subscribe_message("refuse_me", "tpl-1", {"thing1": {"value": "x"}})
    sent = fake_wechat.state()["sent_messages"]
    assert sent == [
        {
            "touser": "o_fake_x",
            "template_id": "tpl-1",
            "page": "pages/index",
            "data": {"thing1": {"value": "预约提醒"}},
        }
    ]


def test_mini_program_code_is_a_real_png(app, fake_wechat):
    import struct
    import zlib

    with app.app_context():
        png = wechat.get_wxa_code("b=42", page="pages/checkin/index")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # The IHDR chunk is intact and describes a square image of sensible size.
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR"
    assert length == 13
    width, height = struct.unpack(">II", png[16:24])
    assert width == height
    assert width > 50
    assert zlib.crc32(png[12:29]) == struct.unpack(">I", png[29:33])[0]


def test_wechat_unreachable_maps_to_unavailable(make_app):
    from tests.conftest import free_port

    app = make_app(WECHAT_API_BASE_URL=f"http://127.0.0.1:{free_port()}")
    with app.app_context(), pytest.raises(WeChatUnavailable):
        wechat.check_text("你好", "o_fake_x")


def _worker_checks_text(config: dict, barrier, results) -> None:
    from app import create_app

    app = create_app(config)
    barrier.wait(timeout=30)
    with app.app_context():
        results.put(wechat.check_text("多进程共享令牌", "o_fake_x"))
        app.extensions["kv"].close()


@pytest.mark.redis
def test_workers_in_separate_processes_share_one_token(app, app_config, fake_wechat):
    """Several gunicorn-like processes start cold at once: one token fetch, nobody invalidated."""
    import multiprocessing

    fake_wechat.configure(token_fetch_delay=0.3)
    # forkserver: one clean single-threaded process imports the app once and forks the six (a
    # spawned process imports it again each: 2 CPU-s apiece); each still builds its own app.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["app", "app.wechat"])
    barrier, results = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_worker_checks_text, args=(app_config, barrier, results)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * 6
    assert sorted(results.get(timeout=5) for _ in range(6)) == ["pass"] * 6
    assert fake_wechat.state()["token_fetches"] == 1
