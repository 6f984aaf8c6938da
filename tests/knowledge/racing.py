"""Two requests racing, each in its own thread, session and connection, on a database of its own
that really commits: a SQLite file, or a PostgreSQL schema (WAYFINDER_TEST_POSTGRES_URL).

Each racer's first read of the contested table waits until the other has made its own, so both
see the record as it was before either writes: the interleaving that lets read-then-write code
act twice, made certain instead of left to luck.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from knowledge.db import make_engine, make_sessionmaker
from knowledge.models import Base
from tests.conftest import POSTGRES_URL

BARRIER_SECONDS = 20  # a safety net against a deadlock, never a measurement


@contextmanager
def race_database(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty directory schema on `backend`, dropped afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
        Base.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    schema = f"wf_race_{os.getpid()}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def at_once(
    engine: Engine, table: str, *works: Callable[[sessionmaker[Session]], Any]
) -> list[Any]:
    """Run each work in its own thread (each opens its own transaction); returns what each
    returned or raised. Each thread's first SELECT from `table` waits for the others' first."""
    barrier = threading.Barrier(len(works))
    racer = threading.local()

    def hold(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """After a racer's first read of the table: wait until every racer has read it."""
        if not getattr(racer, "waiting", False):
            return
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table} " in statement:
            racer.waiting = False
            barrier.wait(BARRIER_SECONDS)

    results: list[Any] = [None] * len(works)
    sessions = make_sessionmaker(engine)

    def run(number: int, work: Callable[[sessionmaker[Session]], Any]) -> None:
        racer.waiting = True
        try:
            results[number] = work(sessions)
        except Exception as error:  # the loser's refusal, or a failure the test shows
            results[number] = error

    event.listen(engine, "after_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=run, args=item) for item in enumerate(works)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(2 * BARRIER_SECONDS)
    finally:
        event.remove(engine, "after_cursor_execute", hold)
    return results
