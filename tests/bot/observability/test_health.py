"""Readiness checks: each dependency named, with its result, within a short time-out
(bot/observability/health.py). Redis is the machine's own, on 127.0.0.1:6379."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from bot.observability.health import DatabaseCheck, http_check, readiness, redis_check
from knowledge.db import make_engine
from tests.serving import free_port

NOWHERE_DB = "postgresql+psycopg://root@127.0.0.1:{port}/nowhere"


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ready.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def nowhere() -> Iterator[Engine]:
    """An engine for a PostgreSQL where nothing listens."""
    engine = make_engine(NOWHERE_DB.format(port=free_port()))
    yield engine
    engine.dispose()


async def never() -> None:
    await asyncio.sleep(60)


async def fine() -> None:
    return None


def test_ready_when_every_check_passes_else_503_naming_the_failure(
    sqlite: Engine, nowhere: Engine
) -> None:
    status, body = asyncio.run(readiness({"database": DatabaseCheck(sqlite), "rasa": fine}))
    assert status == 200 and body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["rasa"]["ok"]

    status, body = asyncio.run(readiness({"database": DatabaseCheck(nowhere), "rasa": fine}))
    assert status == 503 and body["status"] == "not ready"
    assert body["checks"]["database"] == {
        "ok": False,
        "ms": body["checks"]["database"]["ms"],
        "error": "OperationalError",
    }
    assert body["checks"]["rasa"]["ok"]
    assert "127.0.0.1" not in str(body)  # the kind of error only, never the address


def test_a_check_that_hangs_fails_at_its_time_out_and_the_others_still_answer() -> None:
    status, body = asyncio.run(readiness({"slow": never, "fast": fine}, timeout_s=0.2))
    assert status == 503
    assert body["checks"]["slow"]["error"] == "no answer within 0.2 s"
    assert body["checks"]["slow"]["ms"] < 1000 and body["checks"]["fast"]["ok"]


def test_a_database_check_still_waiting_is_not_started_twice(sqlite: Engine) -> None:
    check = DatabaseCheck(sqlite)
    assert check._running.acquire()  # as if a connection attempt hung in its thread
    status, body = asyncio.run(readiness({"database": check}))
    assert status == 503 and body["checks"]["database"]["error"] == "StillWaiting"
    check._running.release()
    assert asyncio.run(readiness({"database": check}))[0] == 200


def test_the_http_check_wants_a_2xx() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200 if request.url.path == "/" else 500, text="Hello from Rasa")

    async def run(path: str) -> int:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            return (await readiness({"rasa": http_check(client, f"http://rasa{path}")}))[0]

    assert asyncio.run(run("/")) == 200
    assert asyncio.run(run("/status")) == 503


def test_redis_answers_pong_and_a_closed_port_is_a_failure() -> None:
    status, body = asyncio.run(readiness({"redis": redis_check("redis://127.0.0.1:6379/13")}))
    assert status == 200, body
    closed = redis_check(f"redis://127.0.0.1:{free_port()}/0")
    status, body = asyncio.run(readiness({"redis": closed}))
    assert status == 503 and body["checks"]["redis"]["error"] == "ConnectionRefusedError"


def test_a_server_that_is_not_redis_is_not_taken_for_one() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        async def serve_once() -> tuple[int, dict[str, object]]:
            loop = asyncio.get_running_loop()
            listener.setblocking(False)
            probe = asyncio.ensure_future(
                readiness({"redis": redis_check(f"redis://127.0.0.1:{port}")})
            )
            connection, _ = await loop.sock_accept(listener)
            await loop.sock_sendall(connection, b"HTTP/1.1 400 Bad Request\r\n\r\n")
            result = await probe
            connection.close()
            return result

        status, body = asyncio.run(serve_once())
    assert status == 503 and body["checks"]["redis"]["error"] == "ConnectionError"  # type: ignore[index]


def test_a_redis_url_must_be_one() -> None:
    with pytest.raises(ValueError, match="WAYFINDER_REDIS_URL"):
        redis_check("http://127.0.0.1:6379")
