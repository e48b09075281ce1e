"""The front end's API types (miniprogram/src/api/schema.d.ts) are generated from this service's
OpenAPI document; a change to the API without `npm run gen:api` (in miniprogram/) fails here."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import IN_CI


@pytest.fixture
def openapi_typescript(project_root):
    cli = project_root / "miniprogram" / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
    node = shutil.which("node")
    if node is None or not cli.exists():
        if IN_CI:
            pytest.fail("CI needs Node and miniprogram/node_modules (scripts/frontend.sh runs npm ci)")
        pytest.skip("Node or miniprogram/node_modules is missing (cd miniprogram && npm ci)")
    return [node, str(cli)]


@pytest.mark.embedded  # the document is written without the pass's database or Redis
def test_the_committed_api_types_match_the_openapi_document(project_root, tmp_path, openapi_typescript):
    document = tmp_path / "openapi.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "openapi", "write", str(document)],
        cwd=project_root,
        env=env,
        check=True,
        capture_output=True,
    )
    generated = tmp_path / "schema.d.ts"
    subprocess.run([*openapi_typescript, str(document), "-o", str(generated)], check=True, capture_output=True)
    committed = project_root / "miniprogram" / "src" / "api" / "schema.d.ts"
    assert committed.read_text(encoding="utf-8") == generated.read_text(encoding="utf-8"), (
        "miniprogram/src/api/schema.d.ts is stale: run `npm run gen:api` in miniprogram/ and commit it"
    )


def test_the_openapi_command_writes_the_served_document(client, runner, tmp_path):
    import json

    target = tmp_path / "openapi.json"
    runner.invoke(args=["openapi", "write", str(target)])
    assert json.loads(target.read_text(encoding="utf-8")) == client.get("/api/openapi.json").json
