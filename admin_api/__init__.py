"""The staff API, /api/admin/v1 (docs/api.md). Thin: parse, call a service, dump."""

from __future__ import annotations

from admin_api import (
    audit,
    auth,
    campaigns,
    dashboard,
    districts,
    jobs,
    knowledge,
    progress,
    publicity,
    uploads,
    users,
    visits,
    zones,
)

PREFIX = "/api/admin/v1"


def register(api) -> None:
    for module in (
        auth,
        users,
        dashboard,
        zones,
        districts,
        publicity,
        visits,
        knowledge,
        campaigns,
        progress,
        uploads,
        jobs,
        audit,
    ):
        api.register_blueprint(module.blp, url_prefix=PREFIX + module.PATH)
