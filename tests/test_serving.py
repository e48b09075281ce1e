"""The service under gunicorn as a real process: several workers, login through the fake WeChat."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import free_port


def start_gunicorn(project_root, port, **settings) -> subprocess.Popen:
    """`gunicorn -c gunicorn.conf.py` on `port` with these environment settings, once it answers /healthz."""
    env = dict(os.environ, SECRET_KEY="smoke-test-secret", GUNICORN_BIND=f"127.0.0.1:{port}")
    env.pop("REDIS_URL", None)
    env.update({k: v for k, v in settings.items() if v})
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=project_root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return proc
        except requests.RequestException:  # not listening yet, or still booting
            pass
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "gunicorn did not come up"
        time.sleep(0.2)


def test_gunicorn_serves_login_across_workers(database_url, fake_wechat, app, project_root):
    port = free_port()
    proc = start_gunicorn(
        project_root,
        port,
        DATABASE_URL=database_url,
        WECHAT_APPID="wxsmoketest000001",
        WECHAT_SECRET="smoke-secret",
        WECHAT_API_BASE_URL=fake_wechat.url,
        WEB_CONCURRENCY="2",
        REDIS_URL=app.config["REDIS_URL"],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        maps = Path(f"/proc/{proc.pid}/maps")
        if maps.exists():  # Linux: the master imported the app's modules (gunicorn.conf.py when_ready)
            assert "cryptography/hazmat/bindings" in maps.read_text()
        login = requests.post(f"{base}/api/mp/v1/auth/login", json={"code": "smoke:1"}, timeout=10)
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        # Whichever worker answers, the token works: nothing lives in one process.
        ids = {requests.get(f"{base}/api/mp/v1/me", headers=headers, timeout=5).json()["id"] for _ in range(10)}
        assert ids == {login.json()["user"]["id"]}
        assert requests.post(f"{base}/api/mp/v1/auth/logout", headers=headers, timeout=5).status_code == 204
        for _ in range(4):
            assert requests.get(f"{base}/api/mp/v1/me", headers=headers, timeout=5).status_code == 401
        bad = requests.post(f"{base}/api/mp/v1/auth/login", json={"code": "invalid"}, timeout=5)
        assert bad.status_code == 401
        assert bad.json()["error"]["code"] == "wechat_code_invalid"
        health = requests.get(f"{base}/healthz", timeout=5).json()
        assert health["database"] == "ok"
        assert health["redis"] == ("ok" if app.config["REDIS_URL"] else "absent")
        # A query string far longer than 8 KB (the fuzzer sends such) reaches the app: a JSON 422.
        long_url = f"{base}/api/mp/v1/zones?" + "&".join(f"page=%7B%7D{i}" for i in range(2000))
        too_long = requests.get(long_url, timeout=10)
        assert (too_long.status_code, too_long.headers["Content-Type"]) == (422, "application/json")
    finally:
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert "smoke:1" not in output  # the WeChat code is a secret: never logged


def test_a_request_gunicorn_cannot_parse_gets_the_error_shape(database_url, project_root):
    """A control character in a header: gunicorn refuses the request before the app sees it, and
    answered with an HTML page (app/web/server_errors.py)."""
    import socket

    port = free_port()
    proc = start_gunicorn(project_root, port, DATABASE_URL=database_url, WEB_CONCURRENCY="1")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /api/mp/v1/meta HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n")
            raw = b""
            while chunk := sock.recv(4096):
                raw += chunk
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    head, _, body = raw.partition(b"\r\n\r\n")
    answer = (head.split(b"\r\n")[0], b"Content-Type: application/json" in head, json.loads(body)["error"]["code"])
    assert answer == (b"HTTP/1.1 400 Bad Request", True, "bad_request")


def test_fake_wechat_command_serves_wechat_paths(project_root):
    """`flask --app app wechat fake --port N`, as the README and dev.sh run it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "wechat", "fake", "--port", str(port)],
        cwd=project_root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = requests.get(f"{base}/sns/jscode2session", params={"js_code": "cli:1"}, timeout=1)
                break
            except requests.RequestException:
                assert proc.poll() is None
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert answer.json()["openid"] == "o_fake_cli"
        token = requests.get(f"{base}/cgi-bin/token", params={"appid": "a", "secret": "b"}, timeout=2).json()
        assert token["expires_in"] == 7200
        assert token["access_token"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_worker_freezes_what_it_built_at_start_up(project_root, monkeypatch, tmp_path):
    """gunicorn.conf.py's post_worker_init moves the start-up objects out of the collector's reach:
    full collections over them paused every thread of a worker for 300-500 ms under load."""
    import gc
    import runpy

    # Set, so that reading the settings makes no metrics directory of its own (and the environment
    # of later tests is as it was).
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings = runpy.run_path(str(project_root / "gunicorn.conf.py"))
    gc.unfreeze()
    try:
        settings["post_worker_init"](None)
        frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()
    assert frozen > 0
