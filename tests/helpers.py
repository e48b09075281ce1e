"""Assertions shared by the tests."""

import contextlib
import io
import logging
import time


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.json
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


@contextlib.contextmanager
def written_log():
    """What the service's own log handler writes meanwhile (through its masking formatter), in a
    StringIO; the handler's stream is put back afterwards."""
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_lowcarbon", False))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def poll(fetch, until, seconds, every=0.02):
    """`fetch()` again every `every` seconds until `until(value)` holds or `seconds` have passed;
    the last value, for the test to assert on (a change that travels between processes by Redis)."""
    deadline = time.monotonic() + seconds
    while True:
        value = fetch()
        if until(value) or time.monotonic() >= deadline:
            return value
        time.sleep(every)
