from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db


def test_seed_demo_is_idempotent(runner, app, client):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == count
    # The demo accounts printed by the command can sign in.
    response = client.post("/api/admin/v1/auth/login", json={"username": "admin", "password": "admin-demo-2026"})
    assert response.status_code == 200
