"""The REST channel, with one promise added: a message never goes unanswered.

Rasa 3.6 logs and swallows a failing custom action (action server down, a time-out), and the user
would hear nothing. When a message gets no reply at all, this channel sends the text of the
domain's `utter_technical_trouble` instead, in both plain and `?stream=true` mode. An empty or
blank message (Rasa's intent classifier raises on one) never reaches Rasa: it gets the domain's
`utter_empty_message` ("I didn't catch that"), from every client, the gateway included.
Everything else is Rasa's RestInput: the name `rest` (so the URL stays /webhooks/rest/webhook),
`sender`, `message`, `input_channel` and `metadata` (stored on the user's event unchanged).
Configured in bot/credentials.yml by module path.
"""

from __future__ import annotations

import logging
from asyncio import Queue
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import QueueOutputChannel, RestInput
from sanic import Blueprint, Sanic

logger = logging.getLogger(__name__)
APOLOGY = "utter_technical_trouble"
EMPTY = "utter_empty_message"
# Where a message's metadata says the learner's language (bot/gateway): the conversation's, else
# the channel's guess (Telegram's or the browser's language).
LANGUAGE_KEYS = ("chat_language", "language_hint")

Handler = Callable[[UserMessage], Awaitable[Any]]


class CountingQueueOutputChannel(QueueOutputChannel):
    """Rasa's streaming output channel, counting what it sent (its queue is drained as it goes)."""

    def __init__(self, message_queue: Queue[Any] | None = None) -> None:
        super().__init__(message_queue)
        self.sent = 0

    async def _persist_message(self, message: Any) -> None:
        """Queue the message for the stream and count it."""
        self.sent += 1
        await super()._persist_message(message)


def sent_count(channel: OutputChannel | None) -> int | None:
    """How many messages the channel has sent so far; None when it cannot tell."""
    if isinstance(channel, CountingQueueOutputChannel):
        return channel.sent
    if isinstance(channel, QueueOutputChannel):
        return None
    if isinstance(channel, CollectingOutputChannel):
        return len(channel.messages)
    return None


def response_text(
    app: Sanic[Any, Any] | None, name: str, metadata: dict[str, Any] | None = None
) -> str | None:
    """The first text of the response `name`: in the learner's language when the gateway said
    which (the message's metadata) and the agent's NLG speaks it, else the loaded domain's."""
    agent = getattr(app.ctx, "agent", None) if app is not None else None
    localized = getattr(getattr(agent, "nlg", None), "first_text", None)
    if callable(localized):
        language = next(
            (metadata.get(key) for key in LANGUAGE_KEYS if metadata and metadata.get(key)), None
        )
        found = localized(name, language)
        if found is not None:
            return str(found)
    domain = getattr(agent, "domain", None)
    for variation in (domain.responses if domain is not None else {}).get(name, []):
        if variation.get("text"):
            return str(variation["text"])
    return None


def apology_text(app: Sanic[Any, Any] | None, metadata: dict[str, Any] | None = None) -> str | None:
    """The first text of utter_technical_trouble, in the learner's language when known."""
    return response_text(app, APOLOGY, metadata)


class WayfinderRestInput(RestInput):
    """RestInput that apologises instead of staying silent."""

    def __init__(self) -> None:
        self.app: Sanic[Any, Any] | None = None

    @classmethod
    def name(cls) -> str:
        """Same name as Rasa's REST channel, so the URL and `input_channel` stay `rest`."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WayfinderRestInput:
        """No settings: the apology comes from the domain."""
        return cls()

    @staticmethod
    async def on_message_wrapper(
        on_new_message: Handler,
        text: str,
        queue: Queue[Any],
        sender_id: str,
        input_channel: str,
        metadata: dict[str, Any] | None,
    ) -> None:
        """Rasa's stream-mode handler, with an output channel that counts what it sent."""
        collector = CountingQueueOutputChannel(queue)
        message = UserMessage(
            text, collector, sender_id, input_channel=input_channel, metadata=metadata
        )
        await on_new_message(message)
        await queue.put("DONE")

    def answering(self, on_new_message: Handler) -> Handler:
        """Wrap Rasa's handler: an error or a turn without a bot message gets the apology."""

        async def answered(message: UserMessage) -> None:
            if not (message.text or "").strip():
                empty = response_text(self.app, EMPTY, message.metadata)
                if empty is not None:
                    await message.output_channel.send_text_message(message.sender_id or "", empty)
                    return
                logger.error("no %s in the loaded domain: an empty message goes to Rasa", EMPTY)
            before = sent_count(message.output_channel)
            try:
                await on_new_message(message)
            except Exception:  # whatever failed, the user still gets an answer
                logger.exception("handling a message failed")
            after = sent_count(message.output_channel)
            if before is None or after is None or after > before:
                return
            text = apology_text(self.app, message.metadata)
            if text is None:
                logger.error("no %s in the loaded domain: the user got no reply", APOLOGY)
                return
            logger.warning("no reply to a message: sent %s instead", APOLOGY)
            await message.output_channel.send_text_message(message.sender_id or "", text)

        return answered

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        """Rasa's REST blueprint around the answering handler; remembers the app for its domain."""
        blueprint: Blueprint = super().blueprint(self.answering(on_new_message))

        async def remember_app(app: Sanic[Any, Any], _loop: Any) -> None:
            self.app = app

        blueprint.listener(remember_app, "before_server_start")
        return blueprint
