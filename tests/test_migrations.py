"""`flask db upgrade` builds the schema from empty, and the models and migrations agree."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.extensions import db


def test_upgrade_from_empty_builds_every_table(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_no_pending_autogenerate_diff(app):
    """A model change without its migration fails here (on SQLite and on PostgreSQL)."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_upgrade_command_on_a_fresh_sqlite_file(app, tmp_path, make_app):
    """What a newcomer runs: `flask --app app db upgrade` on nothing."""
    fresh = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    result = fresh.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        assert "users" in inspect(db.engine).get_table_names()


def _insert(conn, table, **values):
    """A row with the given values; every other NOT NULL column without a default gets a filler."""
    from sqlalchemy import text

    for column in inspect(conn).get_columns(table):
        if (
            column["name"] in values
            or column["nullable"]
            or column["default"] is not None
            or column.get("autoincrement") is True
        ):
            continue
        kind = str(column["type"]).upper()
        values[column["name"]] = (
            "2026-11-01"
            if "DATE" in kind or "TIME" in kind
            else "{}"
            if "JSON" in kind
            else 0
            if any(k in kind for k in ("INT", "BOOL", "NUM"))
            else "x"
        )
    names = ", ".join(values)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)


def test_unsent_campaign_announcements_are_carried_into_the_outbox(tmp_path, make_app):
    from flask_migrate import upgrade
    from sqlalchemy import text

    fresh = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'carry.sqlite3'}", WECHAT_TEMPLATE_CAMPAIGN_NEW="tpl-campaign"
    )
    with fresh.app_context():
        upgrade(revision="0011_boards")
        with db.engine.begin() as conn:
            district = conn.execute(text("SELECT id FROM districts LIMIT 1")).scalar()
            _insert(conn, "users", id=7, openid="o_fan")
            _insert(conn, "zones", id=3, name="长春市第一实验小学", type="school", district_id=district)
            _insert(conn, "campaigns", id=5, school_id=3, title="绿色出行周", starts_on="2026-12-01", actions="[]")
            _insert(conn, "campaign_announcements", campaign_id=5, user_id=7, status="failed", attempts=1)
        upgrade()
        with db.engine.connect() as conn:
            carried = conn.execute(text("SELECT kind, user_id, ref_id, status FROM outbox_messages")).all()
    assert [tuple(row) for row in carried] == [("campaign.new", 7, 5, "pending")]
