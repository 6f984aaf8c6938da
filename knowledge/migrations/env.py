"""Alembic environment: the URL comes from the caller's config (set by knowledge.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from knowledge.db import make_engine
from knowledge.models import Base
from knowledge.models.search import in_model_comparison

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    """Migrate on one connection; batch mode lets SQLite alter tables safely."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=in_model_comparison,  # the engine's full-text objects are DDL, not models
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection when given one (tests), else open the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit(
        "Offline (SQL script) migrations are not supported; run `wayfinder db upgrade`."
    )
run_migrations_online()
