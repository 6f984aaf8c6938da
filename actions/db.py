"""One engine per database URL for the action server's lifetime; one session per action run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from actions.settings import action_settings
from knowledge.db import make_engine


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    """Engines pool connections, so they are made once per URL, on first use (not at import)."""
    return make_engine(url)


@contextmanager
def directory_session() -> Iterator[Session]:
    """A session committed when the action succeeds and rolled back when it fails."""
    engine = _engine(action_settings().directory.database_url)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@lru_cache(maxsize=4)
def _reading_engine(url: str) -> Engine:
    """The engine's pool, its connections lent in autocommit."""
    return _engine(url).execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def directory_reads() -> Iterator[Session]:
    """A session for queries only, each on its own: no transaction around them, so PostgreSQL is
    spared the BEGIN and COMMIT round trips (two of the four a form's one look-up cost)."""
    with Session(_reading_engine(action_settings().directory.database_url)) as session:
        yield session
