"""Settings, read once from the environment (docs/api.md: Names operators rely on)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

WECHAT_PUBLIC_API = "https://api.weixin.qq.com"
# Where `flask --app app wechat fake` listens by default, and so where development points.
FAKE_WECHAT_DEFAULT_URL = "http://127.0.0.1:8001"
FAKE_WECHAT_APPID = "wxfakeappid0000001"
FAKE_WECHAT_SECRET = "fake-wechat-secret"  # noqa: S105 - the bundled fake only
# Where a Prometheus scraping the workers directly may sit: loopback and the private networks.
DEFAULT_METRICS_ALLOW_FROM = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"


def normalise_database_url(url: str) -> str:
    """Production URLs often say postgres:// or postgresql://; we always drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"setting {name} must be an integer, got {raw!r}") from exc


def _dev_secret_key(instance_path: Path) -> str:
    """A generated key kept under instance/ so every local process (and restart) agrees on it."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    env = dict(os.environ if env is None else env)
    database_url = env.get("DATABASE_URL")
    if database_url:
        database_url = normalise_database_url(database_url)
    else:
        instance_path.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance_path / 'lowcarbon.sqlite3'}"

    redis_url = env.get("REDIS_URL") or None

    production = env.get("APP_ENV") == "production"
    secret_key = env.get("SECRET_KEY")
    secret_key_generated = not secret_key
    if not secret_key:
        if production:
            raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
        secret_key = _dev_secret_key(instance_path)
    if production:
        missing = [name for name in ("PERSONAL_DATA_KEYS", "PERSONAL_DATA_INDEX_KEY") if not env.get(name)]
        if missing:
            raise RuntimeError(f"{' and '.join(missing)} must be set when APP_ENV=production (see the README)")

    appid = env.get("WECHAT_APPID")
    wechat_secret = env.get("WECHAT_SECRET")
    if appid and wechat_secret:
        wechat_base = env.get("WECHAT_API_BASE_URL") or WECHAT_PUBLIC_API
    else:
        appid, wechat_secret = FAKE_WECHAT_APPID, FAKE_WECHAT_SECRET
        wechat_base = env.get("WECHAT_API_BASE_URL") or FAKE_WECHAT_DEFAULT_URL

    return {
        "APP_ENV": env.get("APP_ENV") or "development",
        "SECRET_KEY": secret_key,
        "SECRET_KEY_GENERATED": secret_key_generated,
        # The console's session cookie (Flask's own settings): never read by scripts, never sent on
        # cross-site posts, and in production only over HTTPS.
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # pool_pre_ping, unless the URL is psycopg's: create_app (app.pg_connections) decides.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": redis_url,
        # The job queue may live in a Redis of its own, kept on disk, while REDIS_URL's may evict.
        "JOBS_REDIS_URL": env.get("JOBS_REDIS_URL") or None,  # unset: REDIS_URL (app.jobs.queue.redis_url)
        "APP_TIMEZONE": env.get("APP_TIMEZONE") or "Asia/Shanghai",
        "WECHAT_APPID": appid,
        "WECHAT_SECRET": wechat_secret,
        "WECHAT_API_BASE_URL": wechat_base.rstrip("/"),
        "WECHAT_TIMEOUT": _int(env, "WECHAT_TIMEOUT", 5),
        # Personal data at rest: comma-separated Fernet keys, newest first (rotation keeps old ones).
        "PERSONAL_DATA_KEYS": env.get("PERSONAL_DATA_KEYS") or "",
        # Key of the blind indexes (one booking per ID number and day); never rotated with the above.
        "PERSONAL_DATA_INDEX_KEY": env.get("PERSONAL_DATA_INDEX_KEY") or "",
        # How long a retry with the same Idempotency-Key gets the first answer; then the record goes.
        "IDEMPOTENCY_TTL_HOURS": _int(env, "IDEMPOTENCY_TTL_HOURS", 24),
        "TOKEN_TTL_MP": _int(env, "TOKEN_TTL_MP", 7 * 24 * 3600),
        "TOKEN_TTL_STAFF": _int(env, "TOKEN_TTL_STAFF", 12 * 3600),
        # Logins: a generous ceiling per address (a school or a carrier's NAT is one address), the
        # real limits per code / username, and one for the whole service below WeChat's quota.
        "RATELIMIT_LOGIN": env.get("RATELIMIT_LOGIN") or "600 per minute",
        "RATELIMIT_LOGIN_PER_CODE": env.get("RATELIMIT_LOGIN_PER_CODE") or "5 per minute",
        "RATELIMIT_LOGIN_PER_USERNAME": env.get("RATELIMIT_LOGIN_PER_USERNAME") or "10 per minute",
        "RATELIMIT_LOGIN_SERVICE": env.get("RATELIMIT_LOGIN_SERVICE") or "3000 per minute",
        # Writes per verified user (per address only without a valid token).
        "RATELIMIT_WRITE": env.get("RATELIMIT_WRITE") or "120 per minute",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # No X-RateLimit-* headers on every write (two Redis reads each); a 429 still says Retry-After.
        "RATELIMIT_HEADERS_ENABLED": False,
        # Redis down is not an outage: limits fail open (one warning line per request) and
        # recover by themselves; a hanging Redis costs at most a second.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # JSON bodies are small; uploads (a later issue) get their own limit.
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 1024 * 1024),
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        # Prometheus metrics at /metrics (app.metrics), answered only to these networks (comma-separated;
        # loopback and the private networks by default); from anywhere else /metrics is a 404.
        "METRICS_ENABLED": (env.get("METRICS_ENABLED") or "1").strip().lower() not in ("0", "false", "no", "off"),
        "METRICS_ALLOW_FROM": env.get("METRICS_ALLOW_FROM") or DEFAULT_METRICS_ALLOW_FROM,
        "CONTENT_ROOT": env.get("CONTENT_ROOT") or str(instance_path.parent / "content"),
        # Uploaded images (objection evidence): local disk by default.
        "UPLOAD_ROOT": env.get("UPLOAD_ROOT") or str(instance_path / "uploads"),
        "UPLOAD_MAX_BYTES": _int(env, "UPLOAD_MAX_BYTES", 5 * 1024 * 1024),
        # The mini-program's h5 build, served at /h5/ when the directory exists (production: nginx).
        "H5_ROOT": env.get("H5_ROOT") or str(instance_path.parent / "miniprogram" / "dist-h5"),
        # Hosts under which this service's own upload URLs may be given back in absolute form.
        "PUBLIC_HOSTS": [h.strip() for h in (env.get("PUBLIC_HOSTS") or "").split(",") if h.strip()],
        # The service's public origin (https://host), for absolute media URLs in answers.
        "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        "OBJECTIONS_PER_NOTICE": _int(env, "OBJECTIONS_PER_NOTICE", 5),
        # Reports that hide a student's post until the school reviews it (Decidim hides at 3).
        "MODERATION_HIDE_AFTER": _int(env, "MODERATION_HIDE_AFTER", 3),
        "CONSOLE_IDLE_MINUTES": _int(env, "CONSOLE_IDLE_MINUTES", 30),
        # Staff passwords: werkzeug's scrypt. Not an environment setting (nobody should weaken it in
        # production); only the test suite swaps in a cheap method so signing in costs no CPU there.
        "PASSWORD_HASH_METHOD": "scrypt",
        "OBJECTION_RETENTION_DAYS": _int(env, "OBJECTION_RETENTION_DAYS", 365),
        # Visitors' names, documents and phones, counted from the end of the visit (docs/privacy.md).
        "BOOKING_RETENTION_DAYS": _int(env, "BOOKING_RETENTION_DAYS", 180),
        # Check-in notes and photos, counted from the end of their campaign (points and CO2 stay).
        "CHECKIN_RETENTION_DAYS": _int(env, "CHECKIN_RETENTION_DAYS", 90),
        # Visits (education bases): museum practice by default.
        "BOOKING_CANCEL_CUTOFF_MINUTES": _int(env, "BOOKING_CANCEL_CUTOFF_MINUTES", 120),
        "BOOKING_LATE_CANCEL_MINUTES": _int(env, "BOOKING_LATE_CANCEL_MINUTES", 24 * 60),
        "BOOKING_LATE_CANCEL_COUNTS_AS_NO_SHOW": (env.get("BOOKING_LATE_CANCEL_COUNTS_AS_NO_SHOW") or "").lower()
        in ("1", "true", "yes"),
        "NO_SHOW_LIMIT": _int(env, "NO_SHOW_LIMIT", 3),
        "NO_SHOW_WINDOW_DAYS": _int(env, "NO_SHOW_WINDOW_DAYS", 90),
        "NO_SHOW_SUSPENSION_DAYS": _int(env, "NO_SHOW_SUSPENSION_DAYS", 30),
        "WECHAT_TEMPLATE_BOOKING_REMINDER": env.get("WECHAT_TEMPLATE_BOOKING_REMINDER") or None,
        "WECHAT_TEMPLATE_BOOKING_CHANGE": env.get("WECHAT_TEMPLATE_BOOKING_CHANGE") or None,
        "WECHAT_TEMPLATE_CAPACITY_ALERT": env.get("WECHAT_TEMPLATE_CAPACITY_ALERT") or None,
        "WECHAT_TEMPLATE_CAMPAIGN_NEW": env.get("WECHAT_TEMPLATE_CAMPAIGN_NEW") or None,
        # Followers of a zone: titled, revoked, opened to visitors (thing1 zone, phrase2 status, date3).
        "WECHAT_TEMPLATE_ZONE_UPDATE": env.get("WECHAT_TEMPLATE_ZONE_UPDATE") or None,
        "WECHAT_TEMPLATE_REPORT_DUE": env.get("WECHAT_TEMPLATE_REPORT_DUE") or None,
        # Subscribe-message template ids from the mini-program's console (unset: nothing is sent).
        "WECHAT_TEMPLATE_OBJECTION_RESULT": env.get("WECHAT_TEMPLATE_OBJECTION_RESULT") or None,
        "LOG_LEVEL": env.get("LOG_LEVEL") or "INFO",
        # flask-smorest / OpenAPI
        "API_TITLE": "长春市低碳示范区公众服务 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Served from the swagger-ui-bundle package, so the docs work offline too.
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
        "OPENAPI_REDOC_PATH": None,
        "JSON_SORT_KEYS": False,
    }


def startup_notices(config: dict[str, Any]) -> list[str]:
    """What create_app says once at start-up about the fallbacks in use."""
    notices = []
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        notices.append(f"embedded SQLite database in use: {config['SQLALCHEMY_DATABASE_URI']} (set DATABASE_URL)")
    if not config.get("REDIS_URL"):
        notices.append(
            "REDIS_URL is not set: cache, rate limits and the WeChat access token live in this "
            "process only (fine for one process, wrong for several)"
        )
    if config.get("SECRET_KEY_GENERATED"):
        notices.append("SECRET_KEY is not set: using a generated development key (never in production)")
    if config["WECHAT_APPID"] == FAKE_WECHAT_APPID:
        notices.append(
            f"WECHAT_APPID/WECHAT_SECRET are not set: using the fake WeChat at {config['WECHAT_API_BASE_URL']}"
        )
    return notices
