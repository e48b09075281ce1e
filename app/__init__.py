"""Application factory: `flask --app app …` and `gunicorn 'app:create_app()'` both start here."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, send_file, send_from_directory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from swagger_ui_bundle import swagger_ui_path
from werkzeug.middleware.proxy_fix import ProxyFix

from app import metrics, pg_connections
from app.config import load_config, startup_notices
from app.extensions import db, kv, migrate
from app.privacy import PersonalDataCipher
from app.web.api import BoundedIntConverter, api, numeric_bounds
from app.web.errors import JsonErrorsEverywhere, handle_error
from app.web.fastreads import FastReads
from app.web.logging import configure_logging
from app.web.ratelimit import limiter

log = logging.getLogger("app")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    # An id in a path beyond the database's INTEGER is a plain 404, not an overflow in the driver.
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.update(load_config(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    # Every checkout pings the database first, except psycopg's: pinged only when the server spoke.
    engine_options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    engine_options.setdefault("pool_pre_ping", not pg_connections.uses_psycopg(app.config["SQLALCHEMY_DATABASE_URI"]))
    app.json.ensure_ascii = False  # Chinese stays readable in JSON
    app.json.sort_keys = False

    configure_logging(app)
    for notice in startup_notices(app.config):
        log.warning(notice)

    # Cached public reads are answered before Flask runs (inside ProxyFix: the same origin as the view).
    app.wsgi_app = FastReads(app.wsgi_app, app)  # type: ignore[method-assign]
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.wsgi_app = JsonErrorsEverywhere(app.wsgi_app)  # type: ignore[method-assign]

    app.extensions["cipher"] = PersonalDataCipher.from_settings(
        app.config["PERSONAL_DATA_KEYS"], app.config["SECRET_KEY"], app.config["PERSONAL_DATA_INDEX_KEY"]
    )
    db.init_app(app)
    with app.app_context():
        pg_connections.install(db.engine)  # two round trips a request fewer (the module says how)
    import_modules()
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    kv.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    app.register_error_handler(Exception, handle_error)  # the one error shape, for every error
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.ma_plugin.converter.add_attribute_function(numeric_bounds)

    from admin_api import register as register_admin_api
    from miniprogram_api import register as register_mp_api

    register_mp_api(api)
    register_admin_api(api)

    from console import register as register_console

    register_console(app)

    from app.web import h5

    h5.register(app)

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_ui_assets(filename: str):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    @app.get("/media/uploads/<path:relative>")
    def uploaded_file(relative: str):
        from app.errors import NotFound
        from app.media.services import resolve

        target = resolve(Path(app.config["UPLOAD_ROOT"]), relative)
        if target is None:
            raise NotFound("文件不存在")
        # Names are random and never reused, but evidence and students' photos are personal and a
        # purged file must stop being shown: a day in the phone's own cache, never a shared one.
        response = send_file(target, max_age=86400, conditional=True)
        response.cache_control.public = False
        response.cache_control.private = True
        response.headers["Referrer-Policy"] = "no-referrer"  # the unguessable name is the key
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    @app.get("/media/content/<path:served>")
    def content_image(served: str):
        from app.errors import NotFound
        from app.knowledge.content import resolve_media

        target = resolve_media(Path(app.config["CONTENT_ROOT"]) / "images", served)
        if target is None:
            raise NotFound("图片不存在")
        # The URL carries the file's hash: a changed image gets a new URL, so cache for a year.
        response = send_file(target, max_age=365 * 86400, conditional=True)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
            database = "ok"
        except SQLAlchemyError:
            db.session.rollback()
            database = "down"
        redis_status = kv.status()
        # Without Redis the service still answers (rate limits open, cache and WeChat token in
        # memory): a load balancer must keep the instance. Without the database it cannot.
        status = "ok" if database == "ok" and redis_status != "down" else "degraded"
        body = {"status": status, "database": database, "redis": redis_status}
        return body, 200 if database == "ok" else 503

    @app.after_request
    def security_headers(response):
        # Browsers must take the declared type (uploads are served as images, never sniffed as HTML).
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    from app.cli import register_commands

    register_commands(app)
    # Last: its middleware wraps everything above, so a request answered below Flask is counted too.
    metrics.init_app(app)
    return app


def import_modules() -> None:
    """Every model module, so metadata (and Alembic autogenerate) sees all tables, and the faces
    create_app registers (imported here, not at the top: they import this package). gunicorn's master
    calls it before forking its workers (gunicorn.conf.py), so that a worker only builds the app."""
    import admin_api  # noqa: F401
    import app.accounts.models  # noqa: F401
    import app.audit.models  # noqa: F401
    import app.campaigns.models  # noqa: F401
    import app.cli  # noqa: F401
    import app.idempotency  # noqa: F401
    import app.jobs.models  # noqa: F401
    import app.knowledge.models  # noqa: F401
    import app.media.models  # noqa: F401
    import app.outbox.models  # noqa: F401
    import app.policies.models  # noqa: F401
    import app.progress.models  # noqa: F401
    import app.publicity.models  # noqa: F401
    import app.visits.models  # noqa: F401
    import app.web.h5  # noqa: F401
    import app.zones.models  # noqa: F401
    import console  # noqa: F401
    import miniprogram_api  # noqa: F401
