"""The mini-program's h5 build at /h5/ for a local run (scripts/dev.sh builds it); in production nginx
serves the same files (deploy/). Absent build directory: no route, /h5/ is the usual JSON 404."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, redirect, send_from_directory

from app.errors import NotFound

PREFIX = "/h5"


def register(app: Flask) -> None:
    root = Path(app.config["H5_ROOT"])
    if not (root / "index.html").is_file():
        return

    @app.get(f"{PREFIX}/", defaults={"path": ""})
    @app.get(f"{PREFIX}/<path:path>")
    def h5_page(path: str):
        if path and (root / path).is_file():
            # Taro puts a content hash in every script and style name: those are kept for a year.
            hashed = path.startswith(("js/", "css/"))
            return send_from_directory(root, path, max_age=365 * 86400 if hashed else 3600)
        if path and "." in path.rsplit("/", 1)[-1]:
            # A missing asset stays a 404; only page routes fall back to the single-page entry.
            raise NotFound("文件不存在")
        response = send_from_directory(root, "index.html", max_age=0)
        response.headers["Cache-Control"] = "no-cache"  # a new build must reach the phone at once
        return response

    @app.get(PREFIX)
    def h5_root():
        return redirect(f"{PREFIX}/", code=308)
