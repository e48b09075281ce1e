"""Caching with ETag/304 and invalidation, constant query cost per page, open data, the PG index."""

import csv
import io
import json

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.factories import make_zone
from tests.helpers import poll


def test_etag_and_304(client, app):
    make_zone(app, "titled")
    first = client.get("/api/mp/v1/zones")
    etag = first.headers["ETag"]
    assert first.status_code == 200
    assert etag
    again = client.get("/api/mp/v1/zones", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    other_query = client.get("/api/mp/v1/zones?type=park", headers={"If-None-Match": etag})
    assert other_query.status_code == 200


def test_cache_invalidated_on_every_change(client, app, auth):
    admin = auth.staff("admin")
    zone_id = make_zone(app, "publicity", name="旧名称")
    list_before = client.get("/api/mp/v1/zones")
    detail_before = client.get(f"/api/mp/v1/zones/{zone_id}")
    meta_before = client.get("/api/mp/v1/meta")
    client.patch(f"/api/admin/v1/zones/{zone_id}", json={"name": "新名称"}, headers=admin)
    list_after = client.get("/api/mp/v1/zones", headers={"If-None-Match": list_before.headers["ETag"]})
    assert list_after.status_code == 200
    assert list_after.json["items"][0]["name"] == "新名称"
    detail_after = client.get(f"/api/mp/v1/zones/{zone_id}", headers={"If-None-Match": detail_before.headers["ETag"]})
    assert detail_after.status_code == 200
    assert detail_after.json["name"] == "新名称"
    # a transition
    client.post(
        f"/api/admin/v1/zones/{zone_id}/transitions", json={"to": "rejected", "note": "申报单位撤回"}, headers=admin
    )
    assert client.get(f"/api/mp/v1/zones/{zone_id}").json["status"] == "rejected"
    # a district change shows in /meta
    client.post("/api/admin/v1/districts", json={"name": "测试开发区", "kind": "development_zone"}, headers=admin)
    meta_after = client.get("/api/mp/v1/meta", headers={"If-None-Match": meta_before.headers["ETag"]})
    assert meta_after.status_code == 200
    assert "测试开发区" in [d["name"] for d in meta_after.json["districts"]]


def test_cached_answer_is_served_without_the_database(client, app):
    make_zone(app, "titled")
    client.get("/api/mp/v1/zones?per_page=7")
    with count_statements(app) as statements:
        assert client.get("/api/mp/v1/zones?per_page=7").status_code == 200
    assert statements == []


@pytest.mark.redis
def test_invalidation_reaches_other_processes(app, make_app, auth, client):
    """A second app (another gunicorn worker) sees the change as soon as its listener thread hears
    the bump on Redis: milliseconds, though a busy machine may hold that thread back a little, so
    the test allows a second (the change is not read from the database before that)."""
    zone_id = make_zone(app, "publicity", name="共享缓存")
    other = make_app().test_client()
    before = other.get("/api/mp/v1/zones").headers["ETag"]
    admin = auth.staff("admin")
    client.patch(f"/api/admin/v1/zones/{zone_id}", json={"name": "共享缓存已改"}, headers=admin)
    after = poll(
        lambda: other.get("/api/mp/v1/zones", headers={"If-None-Match": before}),
        until=lambda response: response.status_code != 304,
        seconds=1.0,
        every=0.01,
    )
    assert after.status_code == 200
    assert after.json["items"][0]["name"] == "共享缓存已改"


class count_statements:
    def __init__(self, app):
        self.app = app
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.statements

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def test_list_page_costs_constant_statements(client, app, auth):
    # Two page sizes show a statement per row as well as 5 and 100 would (25 rows more: 25 statements more).
    for i in range(30):
        make_zone(
            app,
            "publicity" if i % 2 else "titled",
            type=["park", "scenic", "community"][i % 3],
            district=["朝阳区", "双阳区", "长春新区"][i % 3],
        )
    admin = auth.staff("admin")
    client.get("/api/admin/v1/auth/me", headers=admin)  # the token is known from now on (each process keeps it)
    costs = {}
    for per_page in (5, 30):
        with count_statements(app) as statements:
            response = client.get(f"/api/mp/v1/zones?per_page={per_page}")
        assert response.status_code == 200
        assert len(response.json["items"]) == per_page
        costs[per_page] = len(statements)
        with count_statements(app) as staff_statements:
            client.get(f"/api/admin/v1/zones?per_page={per_page}", headers=admin)
        costs[f"staff{per_page}"] = len(staff_statements)
    assert costs[5] == costs[30] <= 3, costs
    assert costs["staff5"] == costs["staff30"], costs


def test_open_data_csv_and_geojson(client, app):
    titled = make_zone(app, "titled", name="开放园区", type="park")
    make_zone(app, "applied", name="未公示项目")
    no_position = make_zone(app, "publicity", name="无坐标项目", latitude=None, longitude=None)

    response = client.get("/api/mp/v1/opendata/zones.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["ETag"]
    text = response.data.decode("utf-8-sig")
    licence, generated, *body = text.splitlines()
    assert licence.startswith("# ")
    assert "CC BY 4.0" in licence
    assert "生成时间" in generated
    assert "+08:00" in generated
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert sorted(r["name"] for r in rows) == ["开放园区", "无坐标项目"]
    park = next(r for r in rows if r["name"] == "开放园区")
    assert park["type_label"] == "园区"
    assert park["status"] == "titled"
    assert park["district"] == "朝阳区"
    assert park["indicator_name"] == "园区碳排放总量"
    assert park["coordinate_system"] == "GCJ-02"

    geo = client.get("/api/mp/v1/opendata/zones.geojson")
    assert geo.status_code == 200
    assert geo.mimetype == "application/geo+json"
    document = json.loads(geo.data)
    assert document["type"] == "FeatureCollection"
    assert "CC BY 4.0" in document["license"]
    assert document["generated_at"]
    features = {f["id"]: f for f in document["features"]}
    assert set(features) == {titled}  # the one without a position has no point
    assert features[titled]["geometry"] == {"type": "Point", "coordinates": [125.3, 43.86]}
    assert features[titled]["properties"]["level"] == "low_carbon"
    assert no_position not in features
    # cached like the list
    assert (
        client.get("/api/mp/v1/opendata/zones.geojson", headers={"If-None-Match": geo.headers["ETag"]}).status_code
        == 304
    )


@pytest.mark.postgres
def test_search_uses_the_trigram_index_on_postgres(app):
    """The search predicate zones_query builds is served by the trigram index (no full scan).
    With a handful of rows the planner would rightly scan, so scans are switched off to ask
    whether the index can answer at all."""
    from app.zones import registry
    from app.zones.models import Zone

    for i in range(30):
        make_zone(app, "titled", name=f"净月示范项目{i}", type="scenic")
    with app.app_context():
        stmt = registry.zones_query(registry.ZoneFilters(q="净月示范"), public=False).with_only_columns(Zone.id)
        compiled = stmt.compile(db.engine)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).all()
    plan = "\n".join(r[0] for r in rows)
    assert "ix_zones_search_text_trgm" in plan, plan


def test_seed_demo_zones(runner, app, client):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    from sqlalchemy import func, select

    from app.zones.constants import PUBLIC_STATUSES
    from app.zones.models import Zone, ZoneTransition

    with app.app_context():
        zones = db.session.scalars(select(Zone)).all()
        assert len(zones) >= 30
        assert {(z.type, z.level) for z in zones} == {
            (t, lv)
            for t in ("park", "factory", "building", "school", "community", "scenic")
            for lv in ("low_carbon", "near_zero", "zero_carbon")
        }
        assert {s.value for s in PUBLIC_STATUSES} <= {z.status for z in zones if z.is_public}
        assert len({z.district_id for z in zones}) >= 5
        per_zone = db.session.execute(select(ZoneTransition.zone_id, func.count()).group_by(ZoneTransition.zone_id))
        assert all((n >= 1 for _, n in per_zone))
        assert db.session.scalar(select(func.count(ZoneTransition.id))) > 100
    public = client.get("/api/mp/v1/zones?per_page=100").json
    assert public["total"] >= 25


# ---- Redis unreadable: the process-local copy is dropped, a failed bump is owed -----------------


def _failing(*args, **kwargs):
    import redis

    raise redis.ConnectionError("Redis is away (test)")


def _local_zone_pages(app):
    from app import cache

    with app.app_context():
        return [entry for entry in cache._layer().bodies.values() if entry.namespace == "zones"]


def test_a_generation_that_cannot_be_read_drops_the_local_copy(app, client, monkeypatch):
    from app import cache
    from app.extensions import kv

    make_zone(app, "titled")
    client.get("/api/mp/v1/zones")
    assert _local_zone_pages(app)  # cached in this process
    with app.app_context():
        cache._layer().generations.clear()  # as after the listener reconnects: Redis must be asked
        monkeypatch.setattr(kv.redis, "get", _failing)
        with pytest.raises(Exception, match="away"):
            cache.generation("zones")
    assert _local_zone_pages(app) == []


def test_a_page_is_built_afresh_while_its_generation_cannot_be_read(app, client, auth, monkeypatch):
    from app import cache
    from app.extensions import kv

    zone_id = make_zone(app, "publicity", name="改名之前")
    client.get(f"/api/mp/v1/zones/{zone_id}")
    with app.app_context():
        monkeypatch.setattr(kv.redis, "incr", _failing)
        cache._layer().generations.clear()
        monkeypatch.setattr(kv.redis, "get", _failing)
    client.patch(f"/api/admin/v1/zones/{zone_id}", json={"name": "改名之后"}, headers=auth.staff("admin"))
    assert client.get(f"/api/mp/v1/zones/{zone_id}").json["name"] == "改名之后"


def test_a_failed_bump_is_made_once_redis_answers(app, monkeypatch):
    from app import cache
    from app.extensions import kv

    with app.app_context():
        before = cache.generation("zones")
        with monkeypatch.context() as away:
            away.setattr(kv.redis, "incr", _failing)
            cache.invalidate("zones")
        assert cache.generation("zones") > before


def test_a_bump_still_owed_means_no_cached_generation(app, monkeypatch):
    from app import cache
    from app.extensions import kv

    with app.app_context():
        cache.generation("zones")
        monkeypatch.setattr(kv.redis, "incr", _failing)
        cache.invalidate("zones")
        with pytest.raises(Exception, match="owed"):
            cache.generation("zones")
