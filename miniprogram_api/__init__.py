"""The mini-program API, /api/mp/v1 (docs/api.md). Thin: parse, call a service, dump."""

from __future__ import annotations

from miniprogram_api import (
    auth,
    campaigns,
    follows,
    guardians,
    knowledge,
    me,
    meta,
    policies,
    programme,
    publicity,
    uploads,
    visits,
    zones,
)

PREFIX = "/api/mp/v1"


def register(api) -> None:
    for module in (
        auth,
        me,
        meta,
        policies,
        zones,
        follows,
        programme,
        publicity,
        uploads,
        visits,
        knowledge,
        campaigns,
        guardians,
    ):
        api.register_blueprint(module.blp, url_prefix=PREFIX + module.PATH)
