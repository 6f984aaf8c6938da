"""The handoff to a human navigator, on the gateway's side: a request the assistant opened is
posted to the navigators' Telegram group (at the group's pace), the learner's messages are relayed
under it, a navigator's reply goes back to the learner, and /done or the time-out closes it.

Its records and queries are knowledge.handoffs' (the assistant opens requests there too).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from bot.api.auth import BucketsFor, memory_buckets
from bot.gateway import records
from bot.gateway.messages import BotMessage
from bot.gateway.outbox import Outbox
from bot.gateway.texts import say
from bot.transactions import DatabaseRunner
from knowledge import handoffs
from knowledge.models import Handoff

logger = logging.getLogger(__name__)
HANDOFF_OPENED = "handoff_opened"  # marks the reply to a request for a person (bot/domain)
LEARNER = "learner"  # who closed a handoff: the learner, a navigator or the time-out
NAVIGATOR = "navigator"
TIMEOUT = "timeout"
# Payloads a learner sends during a handoff that are the assistant's to answer, not a navigator's:
# "/forget" (Telegram) and the widget's button run the forget flow, which ends the handoff.
LEAVES_RELAY = frozenset({"/forget_me"})
# Telegram allows a bot about 20 messages a minute in a group; requests leave room for the relay.
REQUESTS_POSTED_PER_MINUTE = 12
REQUESTS_BUCKET = "navigators"  # the one bucket new requests share


@dataclass(frozen=True)
class NavigatorResult:
    """What became of a navigator's message in the group: the gateway's answer to post there."""

    reply: str | None


class HandoffRelay:
    """Requests for a person between the learners' channels and the navigators' group."""

    def __init__(
        self,
        db: DatabaseRunner,
        outbox: Outbox,
        navigator_chat_id: str | None,
        timeout_s: float,
        buckets_for: BucketsFor = memory_buckets,
    ) -> None:
        self.db = db
        self.outbox = outbox  # the learners' side, and the Telegram outlet the group is on
        self.chat_id = navigator_chat_id
        self.timeout = timedelta(seconds=timeout_s)
        # New requests posted to the navigators' group, all learners (and gateways) together.
        self._navigator_posts = buckets_for("navigator_posts", REQUESTS_POSTED_PER_MINUTE)

    async def relayed(self, handoff: Handoff | None, text: str) -> bool:
        """A learner's message while their request is posted: under it in the group (True), or,
        for "/forget", the request closed and the message left to the assistant (False)."""
        if handoff is None or handoff.posted_at is None or self.outbox.telegram is None:
            return False
        if text.strip() not in LEAVES_RELAY:
            await self._to_navigators(handoff, text)
            return True
        # "/forget": erasing is the assistant's to do, not a message for a navigator.
        await self.close(handoff.id, LEARNER)
        return False

    async def post_missed(self) -> int:
        """Post open requests that no reply posted (Telegram was down, or a gateway stopped
        between the reply and the post); returns how many were posted."""
        if self.chat_id is None or self.outbox.telegram is None:
            return 0
        posted = 0
        for sender in await self.db(handoffs.unposted_handoffs):  # oldest first: a queue
            if await self._navigator_posts.wait(REQUESTS_BUCKET):
                break  # the rest wait for the next round
            address = await self.db(partial(records.address_of, sender_id=sender))
            channel = address.channel if address else "unknown"
            posted += await self.post_new(sender, channel)
        return posted

    async def post_new(self, sender: str, channel: str) -> bool:
        """The assistant just opened a handoff: post its summary to the navigators' group, unless
        requests came faster than the group can take them (then it waits its turn, oldest
        first). Whether it was posted."""
        chat, telegram = self.chat_id, self.outbox.telegram
        if chat is None or telegram is None:
            return False
        handoff = await self.db(lambda session: handoffs.open_handoff_of(session, sender))
        if handoff is None or handoff.posted_at is not None:
            return False
        if await self._navigator_posts.spend(REQUESTS_BUCKET):
            return False  # the group is at its rate: housekeeping posts it when there is room
        summary = handoff.summary or {}
        text = say(
            "navigator_request",
            number=handoff.id,
            channel=channel,
            topics=", ".join(summary.get("topics") or []) or "—",
            age_band=summary.get("age_band") or "—",
            relation=summary.get("for") or "—",
            neighbourhood=summary.get("neighbourhood") or "—",
        )
        message_id = await telegram.post(chat, text)
        await self.db(lambda session: handoffs.record_post(session, handoff, chat, message_id))
        return True

    async def _to_navigators(self, handoff: Handoff, text: str) -> None:
        """A learner's message during a handoff, posted under the request in the group."""
        chat, telegram = self.chat_id, self.outbox.telegram
        assert chat is not None and telegram is not None
        posted = await telegram.post(chat, say("navigator_message", number=handoff.id, text=text))
        await self.db(lambda session: handoffs.record_post(session, handoff, chat, posted))

    async def from_navigator(
        self, chat_id: str, reply_to: int | None, text: str, done: bool
    ) -> NavigatorResult:
        """A navigator wrote in the group: relay a reply to its learner, or close on /done."""
        if chat_id != self.chat_id:
            return NavigatorResult(None)  # some other group the bot is in: not ours to answer
        handoff = None
        if reply_to is not None:
            handoff = await self.db(lambda s: handoffs.handoff_of_post(s, chat_id, reply_to))
        if handoff is None:
            return NavigatorResult(say("navigator_unknown") if done or reply_to else None)
        sender = handoff.learner.sender_id
        if done:
            await self.close(handoff.id, NAVIGATOR)
            return NavigatorResult(say("navigator_closed", number=handoff.id))
        # A reply reaches the learner for as long as their data exists: the time-out only ends
        # the relay of the learner's messages ("usually within one working day").
        if handoff.status == "open":
            await self.db(lambda session: handoffs.touch_handoff(session, handoff.id))
        language = handoff.learner.chat_language  # the navigator's words are theirs, untranslated
        reply = say("handoff_navigator_reply", language, text=text)
        await self.outbox.deliver(sender, [BotMessage(reply)])
        return NavigatorResult(None)

    async def close(self, handoff_id: int, by: str) -> bool:
        """Close a handoff and tell the learner the bot is back."""
        closed = await self.db(lambda session: handoffs.close_handoff(session, handoff_id, by))
        if closed is None:
            return False
        if by == LEARNER:  # they left it themselves; the navigators are told
            await self._post_closed(handoff_id)
            return True
        key = "handoff_closed_by_navigator" if by == NAVIGATOR else "handoff_closed_timeout"
        notice = BotMessage(say(key, closed.learner.chat_language))
        try:
            await self.outbox.deliver(closed.learner.sender_id, [notice])
        except Exception:  # the handoff is closed either way; the learner hears it next time
            logger.exception("could not tell learner of handoff %s that it closed", handoff_id)
        return True

    async def expire(self) -> int:
        """Close handoffs idle longer than the time-out; returns how many."""
        ids = await self.db(lambda session: handoffs.idle_handoffs(session, self.timeout))
        closed = 0
        for handoff_id in ids:
            if await self.close(handoff_id, TIMEOUT):
                closed += 1
                await self._post_closed(handoff_id)
        return closed

    async def _post_closed(self, handoff_id: int) -> None:
        """Tell the navigators' group that a request is closed."""
        chat, telegram = self.chat_id, self.outbox.telegram
        if chat and telegram is not None:
            await telegram.post(chat, say("navigator_closed", number=handoff_id))
