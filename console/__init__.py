"""The staff web console at /console/: server-rendered pages over the same services as the staff API.

Sign-in keeps a console token (an audience of its own: the staff API refuses it, and the console
refuses staff API tokens; revocable in every process at once) in a signed, HttpOnly session cookie;
every form carries a CSRF token (Flask-WTF); pages may not be framed; an idle session expires and a
form posted after that is kept as a draft for the same staff member (never its password fields) and
offered again after they sign in. Errors are pages with a clear message in Chinese, never a stack trace.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


class ConsoleCookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with nothing done for a request that has no console cookie and
    leaves the session alone: every API call (a bearer token, never a cookie) used to build the
    cookie's signer and read seven cookie settings for a session no one used."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)


def register(app: Flask) -> None:
    # CSRF is checked by the console's own before_request, not for the JSON APIs (bearer tokens).
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the session's own expiry bounds it
    # The session cookie is the console's alone, sent only to /console (Secure, HttpOnly and SameSite
    # come from load_config).
    app.config.update(
        SESSION_COOKIE_NAME="lc_console",
        SESSION_COOKIE_PATH="/console",
        PERMANENT_SESSION_LIFETIME=app.config.get("TOKEN_TTL_STAFF", 12 * 3600),
    )
    app.session_interface = ConsoleCookieSessions()
    csrf.init_app(app)

    from console import (  # noqa: F401  (each module registers its views on bp)
        charts,
        filters,
        pages,
        session,
        views_bases,
        views_campaigns,
        views_objections,
        views_other,
        views_progress,
        views_reports,
        views_zones,
    )

    app.register_blueprint(bp)
