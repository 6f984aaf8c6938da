"""What every channel shares: a user message goes to Rasa (or to a navigator during a handoff),
and the gateway's parts (the outbox for proactive messages, the handoff relay, the timings) are
put together for the channels.

Channels (bot.gateway.web, bot.gateway.telegram) turn their own updates into `converse` calls and
render the `BotMessage`s they get back; Telegram also carries the navigators' group.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway import records
from bot.gateway.handoff import HANDOFF_OPENED, HandoffRelay
from bot.gateway.messages import BotMessage, merged
from bot.gateway.outbox import Outbox, Outlet
from bot.gateway.rasa import RasaClient, RasaUnavailable
from bot.gateway.settings import GatewaySettings
from bot.gateway.shared import SharedState, memory_state
from bot.gateway.texts import privacy_text, say
from bot.gateway.timings import BOT_API_SECONDS, RASA_SECONDS, Timings
from bot.observability.logs import ensure_request_id
from bot.observability.metrics import GATEWAY_ERRORS, MESSAGES
from knowledge.chat_language import ChatLanguage, read_as, settled
from knowledge.handoffs import open_handoff_of
from knowledge.language_detect import detected_code
from knowledge.learners import forget_learner
from knowledge.locales import supported
from knowledge.models import Handoff

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Marks the reply confirming "forget me" ran (bot/domain: utter_forgotten).
FORGOTTEN = "forgotten"
# The help's "Privacy" button and Telegram's /privacy: answered by the gateway, no intent needed.
PRIVACY = "/privacy"
# The channel's guess at the learner's language (Telegram's language_code, the browser's
# navigator.language), passed to the assistant in the message's metadata (actions/language.py).
HINT = "language_hint"
# Slots this message surely leaves as they are, so the assistant skips deciding them again (a call
# to the action server saved; bot/rasa_ext/settled_slots.py): the chat's language, mostly.
SETTLED = "settled_slots"
LANGUAGE_SLOT = "chat_language"
# Otherwise, what the message reads as (a language code, or None when too short or unsure): a
# session's first message then has its language decided by the session start, which Rasa calls
# anyway, instead of by one more call (actions/session_start.py, bot/rasa_ext/settled_slots.py).
LANGUAGE_READ = "language_read"
# A learner message's stable id ("tg-<update_id>", "web-<the widget's id>"), which Rasa gives its
# user event; and the word that the message may have reached Rasa before (a retry, a replayed
# update): Rasa then answers one it finds in the conversation with the replies it had, instead of
# handling it twice (bot/rasa_ext/channels.py).
MESSAGE_ID = "message_id"
REDELIVERED = "redelivered"
_TAG = re.compile(r"[A-Za-z0-9-]{2,35}")  # a BCP 47 tag's characters, at a length one may have
_MESSAGE_ID = re.compile(r"[A-Za-z0-9:_-]{1,128}")  # what Rasa takes as a message id


def with_message_id(
    metadata: dict[str, Any] | None, message_id: str | None, redelivered: bool
) -> dict[str, Any] | None:
    """The message's metadata naming its stable id (and, when it may be a repeat, saying so: the
    only case Rasa spends a look at the conversation on)."""
    if message_id is None:
        return metadata
    if not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError(f"not a message id: {message_id!r:.140}")
    extra: dict[str, Any] = {MESSAGE_ID: message_id}
    if redelivered:
        extra[REDELIVERED] = True
    return {**(metadata or {}), **extra}


def with_settled_slots(
    metadata: dict[str, Any] | None, kept: ChatLanguage | None, text: str
) -> dict[str, Any]:
    """The message's metadata, naming the chat's language among the slots it leaves as they are
    when it surely does (the assistant then skips deciding it again), else saying what language
    the message reads as (so that a new session decides it as it starts)."""
    if settled(kept, text=text, detect=detected_code):
        return {**(metadata or {}), SETTLED: [LANGUAGE_SLOT]}
    return {**(metadata or {}), LANGUAGE_READ: read_as(text, detected_code)}


def language_hint(tag: object) -> str | None:
    """A channel's language tag when it looks like one ('es-MX'), else None: it goes to the
    assistant and into our pages, so anything else is dropped."""
    return tag if isinstance(tag, str) and _TAG.fullmatch(tag) else None


class Gateway:
    """The channel-independent half of the gateway."""

    def __init__(
        self,
        settings: GatewaySettings,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        shared: SharedState | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.rasa = rasa
        # What other gateways must see (bot.gateway.shared): this process's memory by default.
        self.shared = memory_state() if shared is None else shared
        self.timings = Timings()
        self.outbox = Outbox(self.db, self.shared.wakes)
        self.handoffs = HandoffRelay(
            self.db,
            self.outbox,
            settings.navigator_chat_id,
            settings.handoff_timeout_s,
            self.shared.buckets,
        )

    @property
    def telegram(self) -> Outlet | None:
        """The Telegram outlet while the bot runs (the outbox sends through it)."""
        return self.outbox.telegram

    @telegram.setter
    def telegram(self, outlet: Outlet | None) -> None:
        self.outbox.telegram = outlet

    async def close(self) -> None:
        """Close the connections to Rasa and to the shared state."""
        await self.rasa.close()
        await self.shared.close()

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run a short database step in a thread, in its own transaction."""

        def run() -> T:
            with self.sessions.begin() as session:
                return work(session)

        try:
            return await asyncio.to_thread(run)
        except SQLAlchemyError:
            GATEWAY_ERRORS.labels("database").inc()
            raise

    def sender_id(self, channel: str, address: str) -> str:
        """The pseudonymous id of a chat or web session."""
        return records.pseudonym(self.settings.pseudonym_key, channel, address)

    async def converse(
        self,
        channel: str,
        address: str,
        text: str,
        metadata: dict[str, Any] | None = None,
        *,
        hint: str | None = None,
        message_id: str | None = None,
        redelivered: bool = False,
    ) -> list[BotMessage]:
        """One user message: to the navigator while a handoff is open, else to the assistant;
        `hint` is the channel's guess at the learner's language, a BCP 47 tag; `message_id` the
        channel's stable id of the message, `redelivered` that it may have reached Rasa before."""
        ensure_request_id()  # the channel's, else one for this message (logs, Rasa, actions)
        MESSAGES.labels(channel).inc()
        sender = self.sender_id(channel, address)
        RASA_SECONDS.set(0.0)
        BOT_API_SECONDS.set(0.0)
        hint = language_hint(hint)
        if hint is not None:  # whatever else the channel sent goes on unchanged
            metadata = {**(metadata or {}), HINT: hint}
        metadata = with_message_id(metadata, message_id, redelivered)
        kept = records.kept_address(self.settings.pseudonym_key, channel, address)

        def arrive(session: Session) -> tuple[Handoff | None, bool, ChatLanguage | None]:
            return (
                open_handoff_of(session, sender),
                records.address_is_current(session, sender, channel, kept),
                records.kept_chat_language(session, sender),
            )

        try:
            handoff, current, stored = await self.db(arrive)  # reads only: no wait for a writer
        except SQLAlchemyError:  # the database is down: the assistant may still answer
            logger.exception("could not read the state of %s", sender)
            handoff, current, stored = None, True, None
        # For our own words; None: English.
        language = supported(stored.code if stored else None) or supported(hint)
        metadata = with_settled_slots(metadata, stored, text)
        if text.strip() == PRIVACY:  # also during a handoff: a question about us, not for them
            return [BotMessage(self.privacy_note(language))]
        # A new or moved address is written while Rasa thinks: the write may queue behind
        # the action server's, and the reply needs only the read above.
        remembering = (
            None if current else asyncio.create_task(self._remember(sender, channel, kept))
        )
        try:
            if await self.handoffs.relayed(handoff, text):
                return [BotMessage(say("handoff_relayed", language))]
            started = time.perf_counter()
            try:
                replies = merged(await self.rasa.send(sender, text, channel, metadata))
            except RasaUnavailable:
                GATEWAY_ERRORS.labels("rasa_unavailable").inc()
                return [BotMessage(say("rasa_unavailable", language))]
            finally:
                RASA_SECONDS.set(time.perf_counter() - started)
        finally:
            if remembering is not None:
                await remembering  # kept before the reply goes out (reminders, navigators)
        if any(reply.custom.get(FORGOTTEN) for reply in replies):
            # The assistant erased the learner; an address this turn wrote after that goes too.
            try:
                await self.db(lambda session: forget_learner(session, sender))
            except SQLAlchemyError:
                logger.exception("could not erase the address of %s after forget me", sender)
        if any(reply.custom.get(HANDOFF_OPENED) for reply in replies):
            try:
                await self.handoffs.post_new(sender, channel)
            except Exception:  # the reply matters more; housekeeping posts it a minute later
                logger.exception("could not post a handoff request for %s", sender)
        return replies

    def privacy_note(self, language: str | None = None) -> str:
        """The reply to "Privacy": the notice's address when learners can reach the gateway by one,
        else the notice itself; in the learner's language either way."""
        if self.settings.public_url:
            page = f"{self.settings.public_url}/privacy"
            if language is not None:
                page += f"?lang={language}"
            return say("privacy_link", language, url=page)
        return privacy_text(self.settings.retention_days, language)

    async def chat_language(
        self, channel: str, address: str, hint: str | None = None
    ) -> str | None:
        """The language to speak to a learner in, outside a turn (a stale button, a photo, the
        widget's interface after a reply): their profile's, else the channel's hint, else None
        (the source language)."""
        sender = self.sender_id(channel, address)
        try:
            stored = await self.db(lambda session: records.chat_language_of(session, sender))
        except SQLAlchemyError:
            logger.exception("could not read the chat language of %s", sender)
            stored = None
        return supported(stored) or supported(language_hint(hint))

    async def _remember(self, sender: str, channel: str, address: str) -> None:
        """Keep where the sender is; a failure is logged (the conversation goes on)."""
        try:
            await self.db(
                lambda session: records.remember_address(session, sender, channel, address)
            )
        except SQLAlchemyError:
            logger.exception("could not record the address of %s", sender)
