"""The REST channel over real HTTP (Sanic on localhost, registered the way `rasa run` does it)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage, register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic

from bot.rasa_ext.channels import WayfinderRestInput

APOLOGY = "Sorry, something went wrong on my side."
DIDNT_CATCH = "I didn't catch that."
DOMAIN = Domain.from_yaml(
    f"""
version: "3.1"
responses:
  utter_technical_trouble:
    - text: "{APOLOGY}"
  utter_empty_message:
    - text: "{DIDNT_CATCH}"
"""
)
Sanic.test_mode = True  # several apps in one process

Behaviour = Callable[[UserMessage], Awaitable[None]]


class FakeAgent:
    """Stands in for Rasa's Agent: the loaded domain and a message handler."""

    def __init__(self, behaviour: Behaviour, domain: Domain = DOMAIN) -> None:
        self.domain = domain
        self.behaviour = behaviour
        self.seen: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.seen.append(message)
        await self.behaviour(message)


async def silent(message: UserMessage) -> None:
    """What Rasa does when a custom action fails: logs it, says nothing."""


async def replies(message: UserMessage) -> None:
    await message.output_channel.send_text_message(message.sender_id, "Hello!")


async def crashes(message: UserMessage) -> None:
    raise RuntimeError("tracker store down")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(agent: FakeAgent, body: dict[str, Any], query: str = "") -> tuple[int, str]:
    """Serve the channel as `rasa run` registers it, POST one message, return status and body."""
    ((status, text),) = _serve_and_post(agent, [body], query)
    return status, text


def post_together(agent: FakeAgent, bodies: list[dict[str, Any]]) -> list[str]:
    """POST several messages to one server at once (each a moment after the one before)."""
    return [text for _, text in _serve_and_post(agent, bodies, "")]


def _serve_and_post(
    agent: FakeAgent, bodies: list[dict[str, Any]], query: str
) -> list[tuple[int, str]]:
    """Serve the channel as `rasa run` registers it and POST the bodies concurrently."""

    async def run() -> list[tuple[int, str]]:
        app = Sanic(f"channel_test_{free_port()}")
        app.ctx.agent = agent
        register([WayfinderRestInput.from_credentials(None)], app, "/webhooks/")
        port = free_port()
        server = await app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
        )
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()

        async def one(client: aiohttp.ClientSession, index: int) -> tuple[int, str]:
            await asyncio.sleep(0.01 * index)
            async with client.post(
                f"http://127.0.0.1:{port}/webhooks/rest/webhook{query}",
                json=bodies[index],
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                return response.status, await response.text()

        try:
            async with aiohttp.ClientSession() as client:
                return list(await asyncio.gather(*(one(client, i) for i in range(len(bodies)))))
        finally:
            await server.before_stop()
            await server.close()
            await server.after_stop()

    return asyncio.run(run())


def texts(body: str) -> list[str]:
    return [message["text"] for message in json.loads(body)]


def test_a_silent_turn_gets_the_domains_apology() -> None:
    status, body = post(FakeAgent(silent), {"sender": "a", "message": "coding clubs"})
    assert status == 200
    assert texts(body) == [APOLOGY]
    assert json.loads(body)[0]["recipient_id"] == "a"


def test_a_failing_turn_gets_the_apology() -> None:
    assert texts(post(FakeAgent(crashes), {"sender": "a", "message": "hi"})[1]) == [APOLOGY]


def test_a_normal_reply_is_left_alone() -> None:
    assert texts(post(FakeAgent(replies), {"sender": "a", "message": "hi"})[1]) == ["Hello!"]


def test_without_the_response_in_the_domain_the_reply_stays_empty() -> None:
    agent = FakeAgent(silent, domain=Domain.empty())
    assert json.loads(post(agent, {"sender": "a", "message": "hi"})[1]) == []


@pytest.mark.parametrize(
    ("behaviour", "expected"), [(silent, [APOLOGY]), (crashes, [APOLOGY]), (replies, ["Hello!"])]
)
def test_stream_mode_apologises_too(behaviour: Behaviour, expected: list[str]) -> None:
    status, body = post(FakeAgent(behaviour), {"sender": "s", "message": "hi"}, "?stream=true")
    assert status == 200
    assert [json.loads(line)["text"] for line in body.splitlines() if line] == expected


def test_sender_channel_and_metadata_reach_rasa_unchanged() -> None:
    agent = FakeAgent(replies)
    metadata = {"locale": "es", "nested": {"a": [1, 2]}}
    post(agent, {"sender": "m", "message": "hola", "metadata": metadata})
    (message,) = agent.seen
    assert (message.sender_id, message.text, message.input_channel) == ("m", "hola", "rest")
    assert message.metadata == metadata


def test_the_channel_keeps_rasas_rest_name() -> None:
    assert WayfinderRestInput.name() == "rest"
    assert WayfinderRestInput().url_prefix() == "rest"


@pytest.mark.parametrize("body", [{"message": ""}, {"message": "  \n\t "}, {}])
@pytest.mark.parametrize("query", ["", "?stream=true"])
def test_an_empty_message_gets_i_didnt_catch_that_and_never_reaches_rasa(
    body: dict[str, str], query: str
) -> None:
    agent = FakeAgent(crashes)  # Rasa's intent classifier raises on empty text
    status, reply = post(agent, {"sender": "e", **body}, query)
    assert status == 200
    lines = (
        [json.loads(line) for line in reply.splitlines() if line] if query else json.loads(reply)
    )
    assert [message["text"] for message in lines] == [DIDNT_CATCH]
    assert agent.seen == []


def test_without_the_response_an_empty_message_still_gets_an_answer() -> None:
    agent = FakeAgent(
        crashes,
        domain=Domain.from_yaml(DOMAIN.as_yaml().replace("utter_empty_message", "utter_other")),
    )
    assert texts(post(agent, {"sender": "e", "message": " "})[1]) == [APOLOGY]


def test_the_apology_and_didnt_catch_that_are_in_the_learners_language() -> None:
    """The gateway's metadata names the language; the localized NLG has the text in it."""
    from bot.rasa_ext.localized_nlg import LocalizedNLG

    domain = Domain.from_path("bot/domain")
    nlg = LocalizedNLG(endpoint_config=None, domain=domain)
    nlg.responses = domain.responses
    agent = FakeAgent(silent, domain=domain)
    agent.nlg = nlg  # type: ignore[attr-defined]
    spanish = nlg.first_text("utter_technical_trouble", "es")
    english = nlg.first_text("utter_technical_trouble", "en")
    assert spanish and english and spanish != english
    for metadata in ({"chat_language": "es"}, {"language_hint": "es-MX"}):
        body = {"sender": "a", "message": "hola", "metadata": metadata}
        assert texts(post(agent, body)[1]) == [spanish]
    assert texts(post(agent, {"sender": "a", "message": "hi"})[1]) == [english]
    empty = nlg.first_text("utter_empty_message", "es")
    body = {"sender": "a", "message": " ", "metadata": {"chat_language": "es"}}
    assert texts(post(agent, body)[1]) == [empty]


class RecordingAgent(FakeAgent):
    """A fake agent built as Rasa's is (a lock store, a tracker store, and a processor that
    handles a turn without locking: the agent's handle_message takes the lock), recording each
    handled turn (the user event and the bot's replies)."""

    def __init__(self) -> None:
        super().__init__(self._turn)
        self.lock_store = InMemoryLockStore()
        self.tracker_store = InMemoryTrackerStore(DOMAIN)
        self.processor = SimpleNamespace(handle_message=self._turn)
        self.handled: list[str] = []

    def is_ready(self) -> bool:
        return True

    async def handle_message(self, message: UserMessage) -> None:
        async with self.lock_store.lock(message.sender_id or ""):
            await super().handle_message(message)

    async def _turn(self, message: UserMessage) -> None:
        """Handle the message as Rasa would: events stored, replies sent."""
        await asyncio.sleep(0.05)  # long enough for a repeat to arrive meanwhile
        self.handled.append(message.message_id)
        sender = message.sender_id or ""
        tracker = await self.tracker_store.get_or_create_tracker(sender)
        tracker.update(UserUttered(message.text, message_id=message.message_id))
        reply = f"You said {message.text}"
        tracker.update(BotUttered(reply, {"buttons": [{"title": "More", "payload": "/more"}]}))
        await self.tracker_store.save(tracker)
        await message.output_channel.send_response(
            sender, {"text": reply, "buttons": [{"title": "More", "payload": "/more"}]}
        )


def test_a_redelivered_message_is_answered_from_the_tracker_not_handled_again() -> None:
    agent = RecordingAgent()
    first = {"sender": "r", "message": "chess", "metadata": {"message_id": "web-1"}}
    again = {**first, "metadata": {"message_id": "web-1", "redelivered": True}}
    _, original = post(agent, first)
    _, repeated = post(agent, again)
    assert agent.handled == ["web-1"]  # handled once, under the gateway's id
    assert json.loads(repeated) == json.loads(original)  # the same replies, buttons and all
    assert texts(repeated) == ["You said chess"]


def test_a_redelivered_message_never_handled_is_handled() -> None:
    agent = RecordingAgent()
    post(agent, {"sender": "r", "message": "a", "metadata": {"message_id": "tg-1"}})
    body = {"sender": "r", "message": "b", "metadata": {"message_id": "tg-2", "redelivered": True}}
    assert texts(post(agent, body)[1]) == ["You said b"]
    assert agent.handled == ["tg-1", "tg-2"]


def test_without_redelivered_a_repeated_id_is_not_looked_up() -> None:
    agent = RecordingAgent()
    body = {"sender": "r", "message": "a", "metadata": {"message_id": "tg-1"}}
    post(agent, body)
    post(agent, body)
    assert agent.handled == ["tg-1", "tg-1"]  # no cost for messages the gateway sends once


@pytest.mark.parametrize("given", ["", "x" * 129, "a b", "<script>", 7, None])
def test_a_malformed_id_is_not_used(given: Any) -> None:
    agent = RecordingAgent()
    body = {"sender": "r", "message": "a", "metadata": {"message_id": given, "redelivered": True}}
    post(agent, body)
    post(agent, body)
    assert len(agent.handled) == 2 and given not in agent.handled


def test_a_repeat_arriving_while_the_first_is_handled_waits_and_is_not_handled_twice() -> None:
    agent = RecordingAgent()
    body = {"sender": "c", "message": "hi", "metadata": {"message_id": "web-9"}}
    again = {**body, "metadata": {"message_id": "web-9", "redelivered": True}}
    first, second = post_together(agent, [body, again])
    assert agent.handled == ["web-9"]
    assert texts(first) == texts(second) == ["You said hi"]
