"""One line per request with a request id, status and duration; personal data never unmasked."""

import logging
import re

import pytest

from app.privacy import mask_id_number, mask_name, mask_phone, mask_text
from app.web.logging import MaskingFormatter
from tests.helpers import written_log


def test_one_line_per_request_with_id_status_duration(client, caplog):
    caplog.set_level(logging.INFO, logger="app.access")
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    lines = [r for r in caplog.records if r.name == "app.access"]
    assert len(lines) == 1
    assert re.search(r"GET /healthz 200 \d+\.\dms", lines[0].getMessage())


def test_request_id_generated_when_missing_or_unsafe(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    unsafe = client.get("/healthz", headers={"X-Request-ID": "bad id <script>" + "x" * 80}).headers["X-Request-ID"]
    assert re.fullmatch("[0-9a-f]{32}", first)
    assert re.fullmatch("[0-9a-f]{32}", unsafe)


def test_phones_ids_and_tokens_are_masked_in_log_lines(client, auth):
    with written_log() as buffer:
        headers = auth.wechat_headers("logger")
        token = headers["Authorization"].split()[1]
        client.get("/api/mp/v1/me?phone=13812345678&id=22010219900307123X&access_token=sekrit", headers=headers)
        logging.getLogger("app").warning("objector 13987654321 id 220102199003071234 %s", headers["Authorization"])
    err = buffer.getvalue()
    assert "GET /api/mp/v1/me" in err
    for secret in ("13812345678", "22010219900307123X", "sekrit", "13987654321", "220102199003071234", token):
        assert secret not in err
    assert "138****5678" in err
    assert "2201**********123X" in err
    assert "Bearer ***" in err


def test_tracebacks_are_masked_too():
    formatter = MaskingFormatter("%(message)s")
    try:
        raise ValueError("phone 13812345678 failed")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    out = formatter.format(record)
    assert "ValueError" in out
    assert "13812345678" not in out
    assert "138****5678" in out


def test_mask_helpers():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_id_number("22010219900307123X") == "2201**********123X"
    assert mask_text("+86 13812345678") == "+86 138****5678" or "13812345678" not in mask_text("+86 13812345678")
    # Request ids (hex) are left alone.
    assert mask_text("id=a13812345678b") == "id=a13812345678b"


# ---- X-Request-ID: a client's id is kept only when it is a plain token --------------------------


def _request_id(client, value, path="/healthz"):
    return client.get(path, environ_base={"HTTP_X_REQUEST_ID": value}).headers["X-Request-ID"]


def test_a_plain_request_id_is_kept(client):
    assert _request_id(client, "mp-7f3a.42_b") == "mp-7f3a.42_b"


def test_a_request_id_of_64_characters_is_kept(client):
    assert _request_id(client, "a" * 64) == "a" * 64


def test_a_request_id_with_spaces_is_replaced(client):
    assert re.fullmatch("[0-9a-f]{32}", _request_id(client, "abc def"))


def test_a_request_id_with_a_trailing_newline_is_replaced(client):
    assert re.fullmatch("[0-9a-f]{32}", _request_id(client, "abc-123\n"))


def test_a_request_id_with_a_newline_inside_is_replaced(client):
    assert re.fullmatch("[0-9a-f]{32}", _request_id(client, "abc\n2026-11-25 INFO forged"))


def test_an_overlong_request_id_is_replaced(client):
    assert re.fullmatch("[0-9a-f]{32}", _request_id(client, "a" * 65))


def test_a_request_id_with_a_line_separator_is_replaced(client):
    assert re.fullmatch("[0-9a-f]{32}", _request_id(client, "abc\u2028def"))


def test_an_unsafe_request_id_is_replaced_on_a_cached_read_too(client):
    client.get("/api/mp/v1/meta")  # cached: the next one is answered before Flask runs
    assert re.fullmatch("[0-9a-f]{32}", _request_id(client, "abc-123\n", path="/api/mp/v1/meta"))


# ---- line separators in a field are escaped, never a new line -----------------------------------


def _logged(message, *args):
    record = logging.LogRecord("app.access", logging.INFO, __file__, 1, message, args, None)
    return MaskingFormatter("%(message)s").format(record)


def test_a_line_separator_in_a_field_is_escaped():
    assert "\u2028" not in _logged("GET %s 200", "/zones\u20282026-11-25 INFO forged")


def test_a_next_line_character_in_a_field_is_escaped():
    assert "\x85" not in _logged("GET %s 200", "/zones\x852026-11-25 INFO forged")


def test_a_paragraph_separator_in_a_field_is_escaped():
    assert "\u2029" not in _logged("GET %s 200", "/zones\u20292026-11-25 INFO forged")


def test_escaped_separators_stay_readable():
    assert _logged("GET %s 200", "/a\u2028b\x85c") == "GET /a\\u2028b\\x85c 200"


def test_a_logged_request_path_with_separators_is_one_line(client):
    with written_log() as buffer:
        client.get("/api/mp/v1/zones%E2%80%A82026-11-25 INFO app.access GET /forged 200%C2%85x")
    assert len(buffer.getvalue().splitlines()) == 1


# ---- masking skips its scans only when a line cannot hold personal data -----------------------------

_MASKED_ALIKE = [
    "GET /api/mp/v1/zones?type=park 200 0.3ms user=- ip=127.0.0.1 cache=hit",
    "phone 13812345678 called",
    "id 22010119900101123X here",
    "Authorization: Bearer abc.def-ghi",
    "GET /api/mp/v1/login?CODE=0a1b2c",
    "POST /x js_code=abc&Password=hunter2",
    "GET /api/mp/v1/guardian-links/Zx9yQ",
    "ſecret=abc (a long s folds to s)",
    "\u212aey: session_\u212aey=abc (a Kelvin sign folds to k)",
    "电话 13912345678 已登记",
    "id ２２０１０１１９９００１０１１２３Ｘ in full-width digits",
]


@pytest.mark.parametrize("text", _MASKED_ALIKE)
def test_masking_with_the_shortcut_equals_masking_every_pattern(text):
    from app.privacy import _mask_all

    assert mask_text(text) == _mask_all(text)


# ---- our own request ids and the formatter's time, made cheaply ------------------------------------


def test_own_request_ids_differ_from_one_request_to_the_next(client):
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(50)}
    assert len(ids) == 50


def test_a_forked_worker_draws_request_ids_of_its_own():
    import os

    from app.web.logging import request_id_from

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a gunicorn worker forked from the master
        os.write(write, request_id_from(None).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    assert child[:20] != request_id_from(None)[:20]


def test_the_formatters_time_is_the_standard_one():
    record = logging.LogRecord("app", logging.INFO, __file__, 0, "x", None, None)
    record.request_id = "-"
    record.created, record.msecs = 1795658324.25, 250.0  # 2026-11-26, a quarter past the second
    fmt = "%(asctime)s %(message)s"
    assert MaskingFormatter(fmt).format(record) == logging.Formatter(fmt).format(record)


def test_the_formatters_time_follows_the_clock_from_second_to_second():
    formatter = MaskingFormatter("%(asctime)s")
    records = []
    for created in (1795658324.5, 1795658325.5):
        record = logging.LogRecord("app", logging.INFO, __file__, 0, "x", None, None)
        record.request_id, record.created, record.msecs = "-", created, 500.0
        records.append(record)
    assert [formatter.format(r) for r in records] == [logging.Formatter("%(asctime)s").format(r) for r in records]


def test_the_fast_access_line_is_what_the_formatter_makes_of_its_record(app):
    from app.web.logging import PREMASKED

    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_lowcarbon", False))
    message = "GET /api/mp/v1/meta 200 0.1ms user=- ip=10.0.0.1 cache=hit"
    record = logging.LogRecord("app.access", logging.INFO, __file__, 0, message, None, None)
    record.created, record.msecs, record.request_id = 1795658324.25, 250.0, "mp-1"
    setattr(record, PREMASKED, True)
    assert handler.formatter.access_line(1795658324.25, "app.access", "mp-1", message) == handler.formatter.format(
        record
    )
