"""The REST channel, with one promise added: a message never goes unanswered.

Rasa 3.6 logs and swallows a failing custom action (action server down, a time-out), and the user
would hear nothing. When a message gets no reply at all, this channel sends the text of the
domain's `utter_technical_trouble` instead, in both plain and `?stream=true` mode. An empty or
blank message (Rasa's intent classifier raises on one) never reaches Rasa: it gets the domain's
`utter_empty_message` ("I didn't catch that"), from every client, the gateway included.
Everything else is Rasa's RestInput: the name `rest` (so the URL stays /webhooks/rest/webhook),
`sender`, `message`, `input_channel` and `metadata` (stored on the user's event unchanged).
Configured in bot/credentials.yml by module path.

Each message is handled once, however often it arrives. The gateway gives every learner message a
stable id (metadata `message_id`: Telegram's update id, the widget's own id), which becomes the
user event's; when it may have sent the message before (metadata `redelivered`: the widget retried
after a gateway died, another gateway took over a dead one's Telegram updates), the conversation's
lock is taken, the tracker is searched for that id, and a message found there is answered with the
replies that followed it instead of being handled again. Other messages are not searched for.
"""

from __future__ import annotations

import logging
import re
from asyncio import Queue
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import QueueOutputChannel, RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic

logger = logging.getLogger(__name__)
APOLOGY = "utter_technical_trouble"
EMPTY = "utter_empty_message"
# Where a message's metadata says the learner's language (bot/gateway): the conversation's, else
# the channel's guess (Telegram's or the browser's language).
LANGUAGE_KEYS = ("chat_language", "language_hint")

# The gateway's stable id of a learner message, and its word that the message may be a repeat.
MESSAGE_ID = "message_id"
REDELIVERED = "redelivered"
_MESSAGE_ID = re.compile(r"[A-Za-z0-9:_-]{1,128}")

Handler = Callable[[UserMessage], Awaitable[Any]]


def given_message_id(metadata: dict[str, Any] | None) -> str | None:
    """The gateway's id of the message, when it sent one that looks like one."""
    found = (metadata or {}).get(MESSAGE_ID)
    return found if isinstance(found, str) and _MESSAGE_ID.fullmatch(found) else None


def replies_to(tracker: DialogueStateTracker, message_id: str) -> list[dict[str, Any]] | None:
    """What the bot said after the user message `message_id`, up to the next user message; None
    when the tracker holds no such message (it was never handled, or its turn was lost)."""
    replies: list[dict[str, Any]] | None = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            data = {key: value for key, value in (event.data or {}).items() if value is not None}
            replies.append({"text": event.text, **data} if event.text else data)
    return replies


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
            given = given_message_id(message.metadata)
            if given is not None:
                message.message_id = given
            before = sent_count(message.output_channel)
            try:
                if given is not None and (message.metadata or {}).get(REDELIVERED) is True:
                    await self.once(message, on_new_message)
                else:
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

    async def once(self, message: UserMessage, on_new_message: Handler) -> None:
        """Handle a message that may have been handled already: under the conversation's lock,
        answer it from the tracker if it is there, else handle it (as Agent.handle_message does)."""
        agent = getattr(self.app.ctx, "agent", None) if self.app is not None else None
        if agent is None or not agent.is_ready():
            await on_new_message(message)
            return
        sender = message.sender_id or ""
        async with agent.lock_store.lock(sender):
            tracker = await agent.tracker_store.retrieve(sender)
            replies = replies_to(tracker, message.message_id) if tracker is not None else None
            if replies is None:
                await agent.processor.handle_message(message)
                return
            logger.info("message %s was handled before: its replies sent again", message.message_id)
            for reply in replies:
                await message.output_channel.send_response(sender, reply)

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        """Rasa's REST blueprint around the answering handler; remembers the app for its domain."""
        blueprint: Blueprint = super().blueprint(self.answering(on_new_message))

        async def remember_app(app: Sanic[Any, Any], _loop: Any) -> None:
            self.app = app

        blueprint.listener(remember_app, "before_server_start")
        return blueprint
