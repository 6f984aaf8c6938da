"""Pooled PostgreSQL connections are checked before use only when they sat idle: a connection
back in the pool a moment ago is used as it is, one idle for a while is pinged and, if its server
side is gone, replaced without the caller seeing an error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from knowledge import db as db_module
from knowledge.db import make_engine
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="WAYFINDER_TEST_POSTGRES_URL is not set")


@pytest.fixture
def pings() -> list[Any]:
    """The connections the engine pinged, in order."""
    return []


@pytest.fixture
def engine(pings: list[Any]) -> Iterator[Engine]:
    """An engine of its own (its own pool), its pings kept in `pings`."""
    made = make_engine(POSTGRES_URL)
    ping = made.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    made.dialect.do_ping = counted  # type: ignore[method-assign]
    yield made
    made.dispose()


def _backend(engine: Engine) -> int:
    """The server process of the pooled connection the next use gets."""
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")) or 0)


def test_a_connection_used_a_moment_ago_is_not_pinged(engine: Engine, pings: list[Any]) -> None:
    first = _backend(engine)
    for _ in range(5):
        assert _backend(engine) == first  # the same pooled connection each time
    assert pings == []


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced_unseen(
    engine: Engine, pings: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend(engine)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)  # every connection counts as idle
    assert _backend(engine) == first
    assert len(pings) == 1
    admin = make_engine(POSTGRES_URL)
    with admin.connect() as other:  # the server drops the pooled one
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    replaced = _backend(engine)  # no error: the ping found it dead and the pool reconnected
    assert replaced != first
    assert len(pings) == 2
