"""Calls to an endpoint reuse one kept-alive connection, and still behave as Rasa's own."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_ext import action_connections


async def _serve(calls: list[tuple[str, Any]]) -> tuple[web.AppRunner, str]:
    """A local endpoint that records each call's client port and answers JSON (or 500)."""

    async def webhook(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        calls.append((request.headers.get("X-Test", ""), peer[1] if peer else None))
        if request.query.get("fail"):
            return web.Response(status=500, text="broken")
        return web.json_response({"events": [], "echo": await request.json()})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/webhook"


def test_calls_share_one_connection_and_keep_rasas_behaviour() -> None:
    action_connections.install()

    async def scenario() -> tuple[list[tuple[str, Any]], list[Any]]:
        calls: list[tuple[str, Any]] = []
        runner, url = await _serve(calls)
        try:
            endpoint = EndpointConfig(url, headers={"X-Test": "kept"})
            answers = [await endpoint.request(json={"n": n}) for n in range(3)]
            with pytest.raises(ClientResponseError):
                await endpoint.request(json={}, params={"fail": "1"})
            answers.append(await endpoint.request(json={"n": 3}))  # the pool survives an error
            return calls, answers
        finally:
            await runner.cleanup()

    calls, answers = asyncio.run(scenario())
    assert [answer["echo"] for answer in answers] == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]
    assert {header for header, _ in calls} == {"kept"}  # the endpoint's headers still go
    assert len({port for _, port in calls}) == 1  # one connection for five calls


def test_a_conversation_arrives_as_sent() -> None:
    """Bodies are written by ujson: what the action server reads is what Rasa sent."""
    action_connections.install()
    body = {
        "sender_id": "tg-42",
        "tracker": {
            "events": [
                {"event": "user", "timestamp": 1765080000.1234567, "text": "¿clases de café?"},
                {"event": "slot", "name": "age", "value": None, "timestamp": 1e-7},
                {"event": "bot", "text": 'a/b "quoted" \u2028 ok', "data": {"buttons": []}},
            ],
            "slots": {"free_only": True, "max_cost": 12.5, "days": ["sat", "sun"]},
        },
    }

    async def scenario() -> Any:
        runner, url = await _serve([])
        try:
            return await EndpointConfig(url).request(json=body)
        finally:
            await runner.cleanup()

    assert asyncio.run(scenario())["echo"] == body


def test_a_new_event_loop_gets_its_own_session() -> None:
    action_connections.install()
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")  # one endpoint, as Rasa keeps it

    async def one_call() -> Any:
        calls: list[tuple[str, Any]] = []
        runner, url = await _serve(calls)
        endpoint.url = url
        try:
            return await endpoint.request(json={"n": 1})
        finally:
            await runner.cleanup()

    # A session is bound to its loop: the second loop must not reuse the first one's (closed).
    assert asyncio.run(one_call())["echo"] == {"n": 1}
    assert asyncio.run(one_call())["echo"] == {"n": 1}


def test_installing_twice_wraps_once() -> None:
    action_connections.install()
    first = EndpointConfig.session
    action_connections.install()
    assert EndpointConfig.session is first
