"""Calls to the action server over kept-alive connections, not a new one per call.

Rasa 3.6's `EndpointConfig.request` opens an aiohttp session, and so a TCP connection, for every
call and closes it after: a search turn makes three or four calls (slot mappings, the form's
validation, the search), and opening and closing their sessions and connections was a tenth of the
Rasa server's CPU under load (py-spy, 2026-12-06), with the same again on the action server's side.
Here each endpoint keeps one session per event loop, whose pool keeps an idle connection
KEEP_ALIVE_S: less than the action server's (Sanic, 120 s) and HAProxy's (docker/haproxy.cfg,
`timeout http-keep-alive 10s`) idle time-outs, so the client closes an idle connection first and
never sends on one the server has dropped. Each call's body (the whole conversation so far) is
written by ujson, which Rasa already needs, not by the standard library's encoder: a tenth of
the time of the call on the Rasa server's side (3 % of its CPU at 20 msg/s, py-spy 2026-12-07).
Requests, headers, time-outs and errors are Rasa's own. `install()` runs when the Rasa server
builds our tracker store (bot/endpoints.yml), at start-up.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any

import aiohttp
import ujson
from rasa.utils.endpoints import EndpointConfig

KEEP_ALIVE_S = 5.0
_SESSIONS = "_wayfinder_sessions"


class _Kept:
    """`async with` over a kept session: entering gives it, leaving keeps it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


def kept_session(endpoint: EndpointConfig, build: Callable[[], aiohttp.ClientSession]) -> _Kept:
    """The endpoint's session for the running loop, built on first use (and again if closed)."""
    sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
        endpoint.__dict__.setdefault(_SESSIONS, weakref.WeakKeyDictionary())
    )
    loop = asyncio.get_running_loop()
    session = sessions.get(loop)
    if session is None or session.closed:
        session = sessions[loop] = build()
    return _Kept(session)


def kept_alive(made: aiohttp.ClientSession) -> aiohttp.ClientSession:
    """Rasa's session (headers, auth, time-out) on a pool that keeps connections KEEP_ALIVE_S,
    writing bodies with ujson."""
    connector = aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_S)
    kept = aiohttp.ClientSession(
        headers=made.headers,
        auth=made.auth,
        timeout=made.timeout,
        connector=connector,
        json_serialize=ujson.dumps,
    )
    asyncio.get_running_loop().create_task(made.close())  # Rasa's own, never used
    return kept


def install() -> None:
    """Make EndpointConfig.session hand out kept sessions (once)."""
    original: Any = EndpointConfig.session
    if getattr(original, "wayfinder_kept", False):
        return

    def session(self: EndpointConfig) -> _Kept:
        return kept_session(self, lambda: kept_alive(original(self)))

    session.wayfinder_kept = True  # type: ignore[attr-defined]
    EndpointConfig.session = session
