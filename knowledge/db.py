"""Engines and sessions, made on request (never at import) so tests and tools pick the database."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite files get their folder, foreign keys and WAL."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_S = 5.0  # a pooled connection idle this long is checked before it is used
IDLE_SINCE = "wayfinder_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection is alive before use when it sat idle in the pool for
    PING_AFTER_IDLE_S, and replace it when it is not (a database restarted, a connection cut by
    a firewall). SQLAlchemy's pool_pre_ping checks every checkout: a round trip to the server
    for each of an action's transactions, which at 20 messages a second is a tenth of the
    action server's time; a connection back in the pool a moment ago needs none."""

    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_connection: Any, record: Any) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # new, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool replaces it and tries again
            raise exc.DisconnectionError(f"a pooled connection was dead: {error}") from error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys and let readers and one writer work at once; memory-map the file and
    keep a larger page cache, which halves search time on a 100k-listing directory."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_sessionmaker(
    engine: Engine, *, info: Mapping[str, Any] | None = None
) -> sessionmaker[Session]:
    """One factory per process; callers own the transaction (`with factory.begin() as s:`); `info`
    is what each session's Session.info starts with (knowledge.city.priced_in)."""
    return sessionmaker(bind=engine, expire_on_commit=False, info=dict(info or {}))
