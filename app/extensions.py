"""Extensions, created bare here and bound to the app with init_app in create_app. (The rate
limiter lives with its keys in app.web.ratelimit: its keys need the signed-in user; the flask-smorest
Api lives in app.web.api: nothing below the web layer needs it.)"""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.kv import KeyValueStore


class Base(DeclarativeBase):
    # Named constraints so Alembic can alter them on every backend (SQLite batch mode too).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
kv = KeyValueStore()
