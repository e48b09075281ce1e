"""The server's own ceiling: a plain WSGI callable, no framework at all, answering the very bytes and
headers the service answered (read from BARE_BODIES, the JSON file bench/api_throughput.py writes),
304 when If-None-Match names the ETag, served by the same gunicorn configuration. What is left is
gunicorn itself: accepting, parsing the request, writing the answer."""

from __future__ import annotations

import base64
import json
import os

with open(os.environ["BARE_BODIES"], encoding="utf-8") as handle:
    _STORED = json.load(handle)

# path with query -> (etag as sent, headers of a 200, headers of a 304, body)
ANSWERS: dict[str, tuple[str, list[tuple[str, str]], list[tuple[str, str]], bytes]] = {}
for _path, _item in _STORED.items():
    _body = base64.b64decode(_item["body"])
    _etag = f'"{_item["etag"]}"'
    _common = [(name, value) for name, value in _item["headers"] if name != "Content-Length"]
    ANSWERS[_path] = (_etag, [*_common, ("Content-Length", str(len(_body)))], _common, _body)
NOT_FOUND = b'{"error":{"code":"not_found"}}'


def application(environ, start_response):
    query = environ.get("QUERY_STRING", "")
    found = ANSWERS.get(environ["PATH_INFO"] + ("?" + query if query else ""))
    if found is None:  # the start-up probe asks for "/"
        start_response("404 NOT FOUND", [("Content-Type", "application/json"), ("Content-Length", str(len(NOT_FOUND)))])
        return [NOT_FOUND]
    etag, full, bare, body = found
    if environ.get("HTTP_IF_NONE_MATCH") == etag:
        start_response("304 NOT MODIFIED", bare)
        return []
    start_response("200 OK", full)
    return [body]


def create_app():
    return application
