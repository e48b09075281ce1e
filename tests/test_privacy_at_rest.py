"""No personal data in plain text anywhere at rest, keys that rotate without breaking the rules,
idempotency records that expire, and a purge that leaves nothing of an objector behind."""

import io
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text, update

from app.db_types import utcnow
from app.extensions import db
from app.idempotency import IdempotencyRecord
from app.publicity.models import Objection
from app.wechat.fake import png_qr
from tests.factories import id_number, make_base, make_slot, open_notice, set_window
from tests.helpers import assert_error

# Distinctive values, so a hit in the raw bytes can only be a leak.
NAMES = ["欧阳明远", "司马静怡", "诸葛晓峰", "上官若兰"]
PHONES = ["13911112222", "13733334444", "13655556666"]
IDS = [id_number("11010519491231002"), id_number("31011519800101123"), id_number("44030419900101123")]
ORGANISATION = "长春市第九十九中学测试团"


def _raw_bytes(app) -> bytes:
    """Every table's stored bytes: the SQLite file (and its journal), or a PostgreSQL data dump."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        return b"".join(Path(p).read_bytes() for p in (path, path + "-wal", path + "-journal") if os.path.exists(p))
    pg_dump = shutil.which("pg_dump")
    if pg_dump:
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        return subprocess.run([pg_dump, "--data-only", dsn], check=True, capture_output=True).stdout
    with app.app_context():  # no client tools: every row of every table as PostgreSQL prints it
        rows = []
        for table in db.metadata.sorted_tables:
            rows += db.session.scalars(text(f"SELECT t::text FROM {table.name} t")).all()  # noqa: S608
        return "\n".join(rows).encode()


def test_nothing_personal_is_stored_in_plain_text(app, client, auth, fake_wechat):
    base_id = make_base(app)
    slot_id = make_slot(app, base_id, capacity=2, group_capacity=40)
    headers = auth.wechat_headers("privacy")
    people = [{"name": NAMES[i], "id_number": IDS[i], "phone": PHONES[i]} for i in range(2)]
    booked = client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": slot_id, "visitors": people},
        headers={**headers, "Idempotency-Key": "b1"},
    )
    assert booked.status_code == 201, booked.json
    group = {
        "organisation": ORGANISATION,
        "leader_name": NAMES[2],
        "leader_phone": PHONES[2],
        "headcount": 2,
        "minors": 1,
        "members": [{"name": NAMES[2], "minor": False}, {"name": NAMES[3], "minor": True}],
    }
    grouped = client.post(
        "/api/mp/v1/bookings", json={"slot_id": slot_id, "group": group}, headers={**headers, "Idempotency-Key": "g1"}
    )
    assert grouped.status_code == 201, grouped.json
    waiting = client.post(
        f"/api/mp/v1/slots/{slot_id}/waitlist",
        # someone not booked that day (one already booked is refused the waitlist, as a booking is)
        json={"slot_id": slot_id, "visitors": [{"name": NAMES[1], "id_number": IDS[2], "phone": PHONES[1]}]},
        headers=auth.wechat_headers("waiter"),
    )
    assert waiting.status_code == 201, waiting.json
    notice = open_notice(app)
    objection = {
        "zone_id": notice["zone_ids"][0],
        "name": NAMES[3],
        "phone": PHONES[1],
        "id_number": IDS[1],
        "organisation": ORGANISATION,
        "contact_person": NAMES[0],
        "reason": "该项目申报材料中的能耗数据与实际情况不符，请核实。",
    }
    raised = client.post(
        f"/api/mp/v1/publicity/{notice['id']}/objections", json=objection, headers={**headers, "Idempotency-Key": "o1"}
    )
    assert raised.status_code == 201, raised.json
    phone = client.post("/api/mp/v1/me/phone", json={"code": f"phone:{PHONES[0]}"}, headers=headers)
    assert phone.status_code == 200

    stored = _raw_bytes(app)
    leaks = [v for v in [*NAMES, *PHONES, *IDS, ORGANISATION] if v.encode() in stored]
    assert leaks == []


def _book(client, headers, slot_id, key, person=0):
    visitor = {"name": NAMES[0], "id_number": IDS[person], "phone": PHONES[0]}
    return client.post(
        "/api/mp/v1/bookings",
        json={"slot_id": slot_id, "visitors": [visitor]},
        headers={**headers, "Idempotency-Key": key},
    )


def test_the_same_person_is_still_refused_after_the_keys_rotate(app, make_app, fake_wechat):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = make_app(PERSONAL_DATA_KEYS=old_key)
    base_id = make_base(before)
    first, second = make_slot(before, base_id, hour=10), make_slot(before, base_id, hour=14)
    from tests.conftest import Auth

    assert (
        _book(before.test_client(), Auth(before, before.test_client()).wechat_headers("a"), first, "k1").status_code
        == 201
    )
    after = make_app(PERSONAL_DATA_KEYS=f"{new_key},{old_key}")  # rotation as the README describes it
    again = _book(after.test_client(), Auth(after, after.test_client()).wechat_headers("b"), second, "k2")
    assert_error(again, 409, "person_already_booked")


def test_rotate_command_re_encrypts_so_the_old_key_can_go(app, make_app, fake_wechat):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = make_app(PERSONAL_DATA_KEYS=old_key)
    slot_id = make_slot(before, make_base(before))
    from tests.conftest import Auth

    booked = _book(before.test_client(), Auth(before, before.test_client()).wechat_headers("a"), slot_id, "k1")
    assert booked.status_code == 201
    rotating = make_app(PERSONAL_DATA_KEYS=f"{new_key},{old_key}")
    output = rotating.test_cli_runner().invoke(args=["privacy", "rotate"]).output
    assert "re-encrypted" in output
    only_new = make_app(PERSONAL_DATA_KEYS=new_key)
    from app.visits.models import BookingVisitor

    with only_new.app_context():
        assert db.session.scalar(select(BookingVisitor.name)) == NAMES[0]


def test_replayed_answer_is_the_first_one_and_stored_encrypted(app, client, auth):
    slot_id = make_slot(app, make_base(app))
    headers = auth.wechat_headers("replay")
    first = _book(client, headers, slot_id, "same")
    replay = _book(client, headers, slot_id, "same")
    assert replay.json == first.json
    with app.app_context():
        raw = db.session.scalar(text("SELECT response_body FROM idempotency_records"))
    assert NAMES[0] not in raw


def test_idempotency_records_expire(app, client, auth, runner):
    slot_id = make_slot(app, make_base(app))
    headers = auth.wechat_headers("expiry")
    assert _book(client, headers, slot_id, "old").status_code == 201
    with app.app_context():
        db.session.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    output = runner.invoke(args=["privacy", "purge"]).output
    assert "1 expired idempotency record(s) deleted" in output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_an_expired_key_is_a_new_request(app, client, auth):
    slot_id = make_slot(app, make_base(app), capacity=5)
    headers = auth.wechat_headers("expired-key")
    assert _book(client, headers, slot_id, "reused").status_code == 201
    with app.app_context():
        db.session.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    assert _book(client, headers, slot_id, "reused", person=1).status_code == 201


def test_purge_removes_the_reason_and_the_evidence_images(app, client, auth, runner):
    notice = open_notice(app)
    headers = auth.wechat_headers("purged")
    uploaded = client.post(
        "/api/mp/v1/uploads", data={"file": (io.BytesIO(png_qr("evidence")), "e.png")}, headers=headers
    )
    url = uploaded.json["url"]
    body = {
        "zone_id": notice["zone_ids"][0],
        "name": NAMES[0],
        "phone": PHONES[0],
        "evidence_urls": [url],
        "reason": "该项目申报材料中的能耗数据与实际情况不符，请核实。",
    }
    assert client.post(f"/api/mp/v1/publicity/{notice['id']}/objections", json=body, headers=headers).status_code == 201
    with app.app_context():
        oid = db.session.scalar(select(Objection.id))
    officer = auth.staff("institute_staff")
    client.post(
        f"/api/admin/v1/objections/{oid}/decision",
        json={"status": "not_accepted", "reply": "不予受理。"},
        headers=officer,
    )
    set_window(app, notice["id"], starts_in=-86400, ends_in=-1)
    client.post(f"/api/admin/v1/publicity/{notice['id']}/close", headers=officer)
    assert "1 objection(s) purged" in runner.invoke(args=["privacy", "purge", "--days", "0"]).output
    with app.app_context():
        purged = db.session.get(Objection, oid)
        assert (purged.reason, purged.evidence_urls) == (None, [])
    assert client.get(urlsplit(url).path).status_code == 404
    relative = urlsplit(url).path.removeprefix("/media/uploads/")
    assert not (Path(app.config["UPLOAD_ROOT"]) / relative).exists()


@pytest.mark.parametrize("missing", ["PERSONAL_DATA_KEYS", "PERSONAL_DATA_INDEX_KEY"])
def test_production_needs_both_personal_data_keys(tmp_path, missing):
    from app.config import load_config

    env = {
        "APP_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "PERSONAL_DATA_KEYS": Fernet.generate_key().decode(),
        "PERSONAL_DATA_INDEX_KEY": "index-key",
    }
    del env[missing]
    with pytest.raises(RuntimeError, match=missing):
        load_config(tmp_path, env)
