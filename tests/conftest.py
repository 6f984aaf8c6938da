"""Shared fixtures: a throwaway directory database per test, on SQLite and (when set) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from knowledge.db import make_engine
from knowledge.models import Base

POSTGRES_URL = os.environ.get("WAYFINDER_TEST_POSTGRES_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """One PostgreSQL schema per run, rebuilt from the models; tests roll back inside it."""
    if not POSTGRES_URL:
        pytest.skip("WAYFINDER_TEST_POSTGRES_URL is not set")
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs against."""
    return str(request.param)


@pytest.fixture
def session(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Session]:
    """A session on an empty directory; everything it writes is thrown away afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'directory.db'}")
        Base.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as db:
            yield db
        engine.dispose()
        return
    pg: Engine = request.getfixturevalue("postgres_engine")
    with pg.connect() as connection:
        outer = connection.begin()
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as db:
            yield db
        outer.rollback()


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file migrated and seeded with the demo city once per run, for read-only tests."""
    from knowledge.migrate import upgrade
    from knowledge.seed import seed_directory

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as db, db.begin():
        seed_directory(db)
    engine.dispose()
    return url


@pytest.fixture
def demo_session(demo_db_url: str) -> Iterator[Session]:
    """A session on the seeded demo city; whatever a test writes is rolled back."""
    engine = make_engine(demo_db_url)
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as db:
            yield db
        outer.rollback()
    engine.dispose()
