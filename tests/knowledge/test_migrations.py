"""The Alembic migrations own the schema: they build it from empty, match the models, keep data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from knowledge.db import make_engine
from knowledge.migrate import current_revision, head_revision, upgrade
from knowledge.models import Base


def test_upgrade_builds_every_table_from_empty(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations disagree; add a migration: {diff}"


def test_upgrade_twice_keeps_data(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO topic (name) VALUES ('chess')"))
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT name FROM topic")) == "chess"


@pytest.mark.postgres
def test_upgrade_builds_the_schema_on_postgresql() -> None:
    url = os.environ.get("WAYFINDER_TEST_POSTGRES_URL", "").strip()
    if not url:
        pytest.skip("WAYFINDER_TEST_POSTGRES_URL is not set")
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS wf_migrations CASCADE"))
        connection.execute(text("CREATE SCHEMA wf_migrations"))
    admin.dispose()
    engine = make_engine(
        url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dwf_migrations"
    )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names(schema="wf_migrations"))
    assert set(Base.metadata.tables) <= tables
    assert diff == [], f"models and migrations disagree on PostgreSQL: {diff}"
    engine.dispose()
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA wf_migrations CASCADE"))
    admin.dispose()
