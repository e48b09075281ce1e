"""The booking rush's ceiling: a bare Flask app doing one PostgreSQL `UPDATE … RETURNING` per request
(take a place if one is left), under the same gunicorn configuration. No token, no validation, no
idempotency, no personal data, no logging: what the stack itself costs."""

from __future__ import annotations

import os
import threading

import psycopg
from flask import Flask, jsonify, request

app = Flask(__name__)
_local = threading.local()


def connection() -> psycopg.Connection:
    """One connection per worker thread, opened after the fork (what a pool amounts to here)."""
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        url = os.environ["BARE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        conn = _local.conn = psycopg.connect(url, autocommit=True)
    return conn


# Take a place if one is left.
TAKE_PLACE = "UPDATE visit_slots SET booked = booked + 1 WHERE id = %s AND booked < capacity RETURNING booked"


@app.post("/api/mp/v1/bookings")
def book():
    slot_id = (request.get_json(silent=True) or {}).get("slot_id")
    row = connection().execute(TAKE_PLACE, (slot_id,)).fetchone()
    if row is None:
        return jsonify(error={"code": "slot_full", "message": "该时段已约满", "details": {}}), 409
    return jsonify(slot_id=slot_id, booked=row[0]), 201


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


def create_app():
    return app
