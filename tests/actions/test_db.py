"""Actions' sessions: a transaction for work, none around a form's look-ups (actions/db.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from actions.db import directory_reads, directory_session
from tests.actions.conftest import Configure
from tests.conftest import BACKENDS, POSTGRES_URL


def autocommit(session: Session) -> bool:
    """Whether the session's database connection commits each statement on its own."""
    connection: Any = session.connection().connection.dbapi_connection
    if hasattr(connection, "pgconn"):  # psycopg
        return bool(connection.autocommit)
    return connection.isolation_level is None  # sqlite3: no BEGIN is sent


@pytest.mark.parametrize("backend", BACKENDS)
def test_reads_run_without_a_transaction_and_work_keeps_its_own(
    backend: str, tmp_path: Path, configure: Configure
) -> None:
    url = f"sqlite:///{tmp_path / 'directory.db'}" if backend == "sqlite" else POSTGRES_URL
    configure(WAYFINDER_DATABASE_URL=url)
    for _ in range(2):  # the pool lends the same connection back and forth
        with directory_reads() as reads:
            assert reads.scalar(text("SELECT 1")) == 1
            assert autocommit(reads)
        with directory_session() as work:
            assert work.scalar(text("SELECT 1")) == 1
            assert not autocommit(work)
