"""The stack's own ceiling: a bare Flask app answering the very bytes the service answered (read from
BARE_BODIES, a JSON file bench/api_throughput.py writes) with the same headers and the same ETag/304
handling, served by the same gunicorn configuration. Nothing else: no database, no Redis, no
logging, no limits."""

from __future__ import annotations

import base64
import json
import os

from flask import Flask, Response, request

app = Flask(__name__)
with open(os.environ["BARE_BODIES"], encoding="utf-8") as handle:
    BODIES = {
        path: (
            base64.b64decode(item["body"]),
            item["mimetype"],
            item["etag"],
            [(k, v) for k, v in item["headers"] if k not in ("Content-Type", "Content-Length", "ETag")],
        )
        for path, item in json.load(handle).items()
    }


@app.get("/<path:anything>")
def answer(anything):
    key = request.full_path.rstrip("?")
    body, mimetype, etag, headers = BODIES[key]
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    for name, value in headers:
        response.headers[name] = value
    return response.make_conditional(request)


def create_app():
    return app
