"""Readiness: whether this process can do its work now, by checking what it depends on (the
database, Rasa, Redis), each with a short time-out. Liveness (/health) only says the process
answers; a load balancer or Kubernetes takes a replica out of rotation while /ready says 503.

The body names every check: {"status": "ready", "checks": {"database": {"ok": true, "ms": 1.2}}};
a failure gives the kind of error only (never a URL or a password).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from sqlalchemy import Engine, text

TIMEOUT_S = 2.0
Check = Callable[[], Awaitable[None]]  # returns when the dependency answered, else raises


async def readiness(
    checks: Mapping[str, Check], timeout_s: float = TIMEOUT_S
) -> tuple[int, dict[str, Any]]:
    """Run the checks at once, each given `timeout_s`: (200 or 503, the body naming each)."""
    names = list(checks)
    results = await asyncio.gather(*(_timed(checks[name], timeout_s) for name in names))
    report = dict(zip(names, results, strict=True))
    ready = all(result["ok"] for result in report.values())
    return (200 if ready else 503), {"status": "ready" if ready else "not ready", "checks": report}


async def _timed(check: Check, timeout_s: float) -> dict[str, Any]:
    """One check's result: ok, how long it took, and the kind of error when it failed."""
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout_s)
    except TimeoutError:
        error: str | None = f"no answer within {timeout_s:g} s"
    except Exception as failure:
        error = type(failure).__name__
    else:
        error = None
    result: dict[str, Any] = {
        "ok": error is None,
        "ms": round(1000 * (time.perf_counter() - started), 1),
    }
    if error is not None:
        result["error"] = error
    return result


class StillWaiting(Exception):
    """The previous probe's connection attempt has not ended: the database is not answering."""


class DatabaseCheck:
    """SELECT 1 through the process's own engine, in a thread of its own (not the loop's pool: a
    connection attempt that hangs keeps its thread, and the next probe fails at once instead of
    starting another)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._running = threading.Lock()

    async def __call__(self) -> None:
        """Return when the database answered."""
        if not self._running.acquire(blocking=False):
            raise StillWaiting("the previous check is still waiting for the database")
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[None] = loop.create_future()

        def settle(error: BaseException | None) -> None:
            if not answered.done():
                answered.set_exception(error) if error else answered.set_result(None)

        def select_one() -> None:
            error: BaseException | None = None
            try:
                with self.engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
            except Exception as failure:
                error = failure
            finally:
                self._running.release()
            with contextlib.suppress(RuntimeError):  # the probe's loop is gone: nobody waits
                loop.call_soon_threadsafe(settle, error)

        threading.Thread(target=select_one, name="ready-database", daemon=True).start()
        await answered


def http_check(client: httpx.AsyncClient, url: str) -> Check:
    """GET `url` answers 2xx (Rasa's / says "Hello from Rasa")."""

    async def check() -> None:
        response = await client.get(url)
        response.raise_for_status()

    return check


def redis_check(url: str) -> Check:
    """PING answered PONG, over a fresh connection (AUTH first when the URL has a password):
    redis://[user:password@]host[:port][/db], rediss:// for TLS, unix:///path/to/socket."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"} or not (parts.hostname or parts.path):
        raise ValueError("WAYFINDER_REDIS_URL must look like redis://host:6379/0")
    context = ssl.create_default_context() if parts.scheme == "rediss" else None
    auth = [unquote(parts.username or ""), unquote(parts.password)] if parts.password else []

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if parts.scheme == "unix":
            return await asyncio.open_unix_connection(parts.path)
        return await asyncio.open_connection(parts.hostname, parts.port or 6379, ssl=context)

    async def check() -> None:
        reader, writer = await connect()
        try:
            if auth:
                writer.write(_command("AUTH", *[word for word in auth if word]))
                await _expect(reader, b"+OK")
            writer.write(_command("PING"))
            await _expect(reader, b"+PONG")
        finally:
            writer.close()

    return check


def _command(*words: str) -> bytes:
    """A Redis command in RESP, the protocol's array of bulk strings."""
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


async def _expect(reader: asyncio.StreamReader, answer: bytes) -> None:
    """The next reply line is `answer`, else ConnectionError (the reply's kind, not its text)."""
    line = (await reader.readline()).rstrip(b"\r\n")
    if line != answer:
        raise ConnectionError("Redis refused" if line.startswith(b"-") else "not Redis")
