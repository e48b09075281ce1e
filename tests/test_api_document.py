"""The OpenAPI document is written on first read, not while an app is built (app.web.api.Api)."""

import threading

from app.web.api import api


def test_building_an_app_leaves_its_document_unwritten(make_app):
    make_app()
    assert len(api._unwritten) > 0


def test_the_first_read_writes_every_operation(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert {"/api/mp/v1/bookings", "/api/admin/v1/zones"} <= set(paths)


def test_the_first_read_writes_every_tag(client):
    tags = {tag["name"] for tag in client.get("/api/openapi.json").json["tags"]}
    assert {"mp_visits", "admin_zones"} <= tags


def test_two_first_reads_at_once_both_get_the_whole_document(make_app):
    fresh = make_app()
    documents = []
    barrier = threading.Barrier(2)

    def read():
        with fresh.test_client() as client:
            barrier.wait()
            documents.append(client.get("/api/openapi.json").json)

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    whole = fresh.test_client().get("/api/openapi.json").json
    assert documents == [whole, whole]


def test_a_second_read_writes_nothing_again(client):
    first = client.get("/api/openapi.json").json
    assert client.get("/api/openapi.json").json == first
