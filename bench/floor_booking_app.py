"""The booking rush's floor: the bare app's one `UPDATE … RETURNING`, reached through the layers the
project is required to use on a citizen's write, and nothing else (no rules, no idempotency, no
personal data, no logging, no metrics):

- flask-smorest: the body validated by a marshmallow schema of the booking's shape (`@blp.arguments`);
- Flask-Limiter: a per-user limit on writes, counted in Redis;
- the bearer token: the caller looked up in Redis (the service's own copy, `auth:tok:<sha256>`);
- SQLAlchemy: the statement run through an engine's pool as a Core statement.

`FLOOR_WITHOUT` (comma-separated: smorest, limiter, token, sqlalchemy) leaves layers out, so each one's
cost shows as the difference (bench/booking_rush.py --floor-layers). `FLOOR_LIMITS=direct` counts the
same per-user limit with the `limits` package (Flask-Limiter's own engine: the same fixed window in
Redis) called once per write, instead of through Flask-Limiter. Without smorest the body is
read by Flask and loaded by the same schema; without SQLAlchemy the statement goes to psycopg as in
bench/bare_booking_app.py."""

from __future__ import annotations

import hashlib
import os

import limits
import limits.storage
import marshmallow as ma
import redis
from flask import Flask, g, jsonify, request
from flask_limiter import Limiter
from flask_smorest import Api, Blueprint
from sqlalchemy import Integer, bindparam, column, create_engine, table, update

from bench.bare_booking_app import TAKE_PLACE, connection

LAYERS = ("smorest", "limiter", "token", "sqlalchemy")
WITHOUT = {name.strip() for name in os.environ.get("FLOOR_WITHOUT", "").split(",") if name.strip()}
if WITHOUT - set(LAYERS):
    raise SystemExit(f"FLOOR_WITHOUT: unknown layers {sorted(WITHOUT - set(LAYERS))}; known: {', '.join(LAYERS)}")

DATABASE_URL = os.environ["BARE_DATABASE_URL"]
REDIS_URL = os.environ["REDIS_URL"]

app = Flask(__name__)
app.config.update(API_TITLE="floor", API_VERSION="1", OPENAPI_VERSION="3.0.3")


class VisitorIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=50))
    id_type = ma.fields.String(load_default="resident_id")
    id_number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    phone = ma.fields.String(required=True, validate=ma.validate.Length(min=5, max=20))


class BookingIn(ma.Schema):
    slot_id = ma.fields.Integer(required=True)
    visitors = ma.fields.List(ma.fields.Nested(VisitorIn), validate=ma.validate.Length(min=1, max=5))


_redis = redis.Redis.from_url(REDIS_URL)


def caller() -> str:
    """The token's user id from the service's copy in Redis (once per request), else the address."""
    if "caller" not in g:
        g.caller = None
        if "token" not in WITHOUT:
            token = request.headers.get("Authorization", "").partition(" ")[2]
            g.caller = _redis.get("auth:tok:" + hashlib.sha256(token.encode()).hexdigest())
    return "user:" + str(hash(g.caller)) if g.caller else "ip:" + (request.remote_addr or "")


LIMIT = "100000 per minute"


def count_directly(counter, limit):
    """The same per-caller limit on writes, counted by `limits` itself: one call per write."""

    def count():
        if request.method == "POST" and not counter.hit(limit, caller()):
            return jsonify(error={"code": "rate_limited", "message": "操作太频繁", "details": {}}), 429
        return None

    return count


if "limiter" not in WITHOUT:
    if os.environ.get("FLOOR_LIMITS") == "direct":
        storage = limits.storage.storage_from_string(REDIS_URL)
        app.before_request(count_directly(limits.strategies.FixedWindowRateLimiter(storage), limits.parse(LIMIT)))
    else:
        Limiter(key_func=caller, default_limits=[LIMIT], storage_uri=REDIS_URL, app=app)


_slots = table("visit_slots", column("id", Integer), column("booked", Integer), column("capacity", Integer))
_take = (
    update(_slots)
    .where(_slots.c.id == bindparam("slot_id"), _slots.c.booked < _slots.c.capacity)
    .values(booked=_slots.c.booked + 1)
    .returning(_slots.c.booked)
)
_engine = None if "sqlalchemy" in WITHOUT else create_engine(DATABASE_URL, pool_size=8)


def take_place(slot_id: int):
    if _engine is None:  # the bare app's own connection and statement
        return connection().execute(TAKE_PLACE, (slot_id,)).fetchone()
    with _engine.begin() as conn:
        return conn.execute(_take, {"slot_id": slot_id}).first()


def answer(data: dict):
    caller()
    row = take_place(data["slot_id"])
    if row is None:
        return jsonify(error={"code": "slot_full", "message": "该时段已约满", "details": {}}), 409
    return jsonify(slot_id=data["slot_id"], booked=row[0]), 201


if "smorest" in WITHOUT:
    _schema = BookingIn()

    @app.post("/api/mp/v1/bookings")
    def book():
        try:
            data = _schema.load(request.get_json(silent=True) or {})
        except ma.ValidationError as error:
            return jsonify(error={"code": "validation_error", "message": "参数有误", "details": error.messages}), 422
        return answer(data)

else:
    api = Api(app)
    blp = Blueprint("bookings", __name__)

    @blp.post("/api/mp/v1/bookings")
    @blp.arguments(BookingIn)
    def book(data):
        return answer(data)

    api.register_blueprint(blp)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


def create_app():
    return app
