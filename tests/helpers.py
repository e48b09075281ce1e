"""Assertions shared by the tests."""

import contextlib
import io
import logging


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
