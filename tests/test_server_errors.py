"""What the servers in front of the app answer themselves is in the service's error shape, with the
app's codes and Chinese messages: gunicorn's refusals (app/web/server_errors.py; under gunicorn in
tests/test_serving.py) and nginx's own (deploy/nginx.conf's /_error/ locations)."""

import json
import re

import pytest

from app.web.errors import HTTP_ERRORS
from app.web.server_errors import SERVER_ERRORS, error_bytes

KNOWN = {**HTTP_ERRORS, **SERVER_ERRORS}


def nginx_error_bodies(project_root):
    """(status nginx returns, the JSON body) of each /_error/ location of deploy/nginx.conf."""
    text = (project_root / "deploy" / "nginx.conf").read_text()
    return [(int(status), json.loads(body)) for status, body in re.findall(r"return (\d{3}) '(\{.*?\})';", text)]


def test_nginx_shapes_its_own_answers(project_root):
    assert len(nginx_error_bodies(project_root)) == 5


def test_nginx_uses_the_apps_code_for_each_status(project_root):
    said = {status: body["error"]["code"] for status, body in nginx_error_bodies(project_root)}
    assert said == {status: KNOWN[status][0] for status in said}


def test_nginx_says_the_apps_message_for_each_status(project_root):
    said = {status: body["error"]["message"] for status, body in nginx_error_bodies(project_root)}
    assert said == {status: KNOWN[status][1] for status in said}


def test_every_error_page_of_nginx_leads_to_a_shaped_answer(project_root):
    text = (project_root / "deploy" / "nginx.conf").read_text()
    targets = set(re.findall(r"error_page [\d =]+ (/_error/\d{3});", text))
    shaped = set(re.findall(r"location = (/_error/\d{3}) \{", text))
    assert targets == shaped


@pytest.mark.parametrize("status", [400, 414, 417, 431, 501, 500])
def test_gunicorns_answer_is_the_error_shape(status):
    head, _, body = error_bytes(status, "Reason").partition(b"\r\n\r\n")
    assert json.loads(body)["error"]["code"] == KNOWN[status][0]


def test_gunicorns_answer_says_its_length():
    head, _, body = error_bytes(400, "Bad Request").partition(b"\r\n\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
