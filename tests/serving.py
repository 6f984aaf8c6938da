"""A Sanic app served on a free localhost port in a thread with its own loop (tests' helper), so
tests ask it over real HTTP, as browsers, Prometheus and a load balancer do."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sanic import Sanic

Sanic.test_mode = True  # several apps start in this process: Sanic must not patch its classes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving_app(app: Any) -> Iterator[str]:
    """The app listening until the block ends: its base URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: list[asyncio.Event] = []
    failure: list[BaseException] = []

    async def run() -> None:
        try:
            server = await app.create_server(
                host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
            )
            assert server is not None
            await server.startup()
            await server.before_start()
            await server.after_start()
            stop.append(asyncio.Event())
        except BaseException as error:
            failure.append(error)
            raise
        finally:
            ready.set()
        await stop[0].wait()
        await server.before_stop()
        for connection in list(server.connections):
            connection.close_if_idle() or connection.close()
        closing = server.close()
        if closing is not None:
            await closing
        await server.after_stop()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    ready.wait(30)
    if failure or not stop:
        raise RuntimeError("the app did not start") from (failure[0] if failure else None)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(30)
        loop.close()
