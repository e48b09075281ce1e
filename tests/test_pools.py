"""The web pools (gunicorn.conf.py's GUNICORN_POOL, deploy/nginx.conf): reads and writes apart, the
writes pool below the reads pool's priority, nginx choosing between them by method."""

import multiprocessing
import os
import re
import runpy
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.test_serving import start_gunicorn


def settings_of(project_root, monkeypatch, tmp_path, **environment) -> dict:
    """gunicorn.conf.py read with these environment settings (and no others of its own)."""
    # Set, so that reading the settings makes no metrics directory of its own.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("GUNICORN_POOL", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_NICE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = runpy.run_path(str(project_root / "gunicorn.conf.py"))
    return {"workers": settings["workers"], "threads": settings["threads"], "nice": settings["_nice"]}


CPUS = multiprocessing.cpu_count()


def test_one_pool_takes_everything_by_default(project_root, monkeypatch, tmp_path):
    assert settings_of(project_root, monkeypatch, tmp_path) == {"workers": 2 * CPUS + 1, "threads": 4, "nice": 0}


def test_the_reads_pool_has_the_usual_workers_at_normal_priority(project_root, monkeypatch, tmp_path):
    settings = settings_of(project_root, monkeypatch, tmp_path, GUNICORN_POOL="reads")
    assert settings == {"workers": 2 * CPUS + 1, "threads": 4, "nice": 0}


def test_the_writes_pool_has_fewer_workers_below_the_reads(project_root, monkeypatch, tmp_path):
    settings = settings_of(project_root, monkeypatch, tmp_path, GUNICORN_POOL="writes")
    assert settings == {"workers": CPUS + 1, "threads": 2, "nice": 10}


def test_the_settings_override_the_pools_defaults(project_root, monkeypatch, tmp_path):
    settings = settings_of(
        project_root,
        monkeypatch,
        tmp_path,
        GUNICORN_POOL="writes",
        WEB_CONCURRENCY="7",
        GUNICORN_THREADS="3",
        GUNICORN_NICE="0",
    )
    assert settings == {"workers": 7, "threads": 3, "nice": 0}


def test_an_unknown_pool_stops_gunicorn_naming_it(project_root, monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match="GUNICORN_POOL='write'"):
        settings_of(project_root, monkeypatch, tmp_path, GUNICORN_POOL="write")


def workers_of(master: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return children


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the workers from /proc (Linux)")
def test_the_writes_pools_workers_run_below_their_master(database_url, project_root):
    port = free_port()
    proc = start_gunicorn(project_root, port, DATABASE_URL=database_url, GUNICORN_POOL="writes", WEB_CONCURRENCY="2")
    try:
        workers = workers_of(proc.pid)
        niceness = {os.getpriority(os.PRIO_PROCESS, pid) - os.getpriority(os.PRIO_PROCESS, proc.pid) for pid in workers}
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    assert (len(workers), niceness) == (2, {10})


def nginx_pools(project_root) -> dict[str, str]:
    """deploy/nginx.conf's map from the request's method to the upstream."""
    text = (project_root / "deploy" / "nginx.conf").read_text()
    block = re.search(r"map \$request_method \$lowcarbon_pool \{(.*?)\}", text, re.S).group(1)
    return dict(re.findall(r"^\s*(\S+)\s+(\S+);", block, re.M))


def test_nginx_sends_reads_to_the_reads_pool(project_root):
    pools = nginx_pools(project_root)
    assert {method: pools[method] for method in ("GET", "HEAD", "OPTIONS")} == dict.fromkeys(
        ("GET", "HEAD", "OPTIONS"), "lowcarbon_reads"
    )


def test_nginx_sends_every_other_method_to_the_writes_pool(project_root):
    assert nginx_pools(project_root)["default"] == "lowcarbon_writes"


def test_nginx_proxies_every_location_through_the_methods_pool(project_root):
    text = (project_root / "deploy" / "nginx.conf").read_text()
    assert set(re.findall(r"proxy_pass (\S+);", text)) == {"http://$lowcarbon_pool"}


def test_nginx_has_an_upstream_of_each_pool(project_root):
    text = (project_root / "deploy" / "nginx.conf").read_text()
    assert set(re.findall(r"^upstream (\S+) \{", text, re.M)) == {"lowcarbon_reads", "lowcarbon_writes"}


@pytest.mark.parametrize("pool", ["reads", "writes"])
def test_each_pools_environment_file_names_its_pool(project_root, pool):
    text = (project_root / "deploy" / f"web-{pool}.env").read_text()
    assert re.findall(r"^GUNICORN_POOL=(\S+)$", text, re.M) == [pool]
