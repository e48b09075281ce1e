"""Flask-Limiter keys and limits: per signed-in token where there is one, else per client IP."""

from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_limiter.util import get_remote_address

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def rate_limit_key() -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return "tok:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return "ip:" + (get_remote_address() or "unknown")


def ip_key() -> str:
    return "ip:" + (get_remote_address() or "unknown")


def write_limit() -> str:
    return current_app.config["RATELIMIT_WRITE"]


def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def is_read_request() -> bool:
    return request.method in SAFE_METHODS
