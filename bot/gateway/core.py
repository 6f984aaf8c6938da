"""What every channel shares: a user message goes to Rasa (or to a navigator during a handoff),
proactive messages go out on the channel the user used, and handoffs are relayed and timed out.

Channels (bot.gateway.web, bot.gateway.telegram) turn their own updates into `converse` calls and
render the `BotMessage`s they get back; Telegram also carries the navigators' group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.api.auth import TokenBuckets
from bot.gateway import store
from bot.gateway.messages import BotMessage, merged
from bot.gateway.rasa import RasaClient, RasaUnavailable
from bot.gateway.settings import GatewaySettings
from bot.gateway.texts import privacy_text, say
from knowledge.learners import forget_learner
from knowledge.models import ChannelAddress, Handoff, utcnow

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Seconds the current message waited for Rasa (set by `converse`, read by the channel handler).
RASA_SECONDS: ContextVar[float] = ContextVar("rasa_seconds", default=0.0)
# Time a message's handling spent waiting for Telegram's Bot API (sending the reply): the
# network and Telegram's servers, not the gateway. Reported beside the gateway's own time.
BOT_API_SECONDS: ContextVar[float] = ContextVar("bot_api_seconds", default=0.0)
HANDOFF_OPENED = "handoff_opened"  # marks the reply to a request for a person (bot/domain)
# Marks the reply confirming "forget me" ran (bot/domain: utter_forgotten).
FORGOTTEN = "forgotten"
# The help's "Privacy" button and Telegram's /privacy: answered by the gateway, no intent needed.
PRIVACY = "/privacy"
LEARNER = "learner"  # who closed a handoff: the learner, a navigator or the time-out
# Payloads a learner sends during a handoff that are the assistant's to answer, not a navigator's:
# "/forget" (Telegram) and the widget's button run the forget flow, which ends the handoff.
LEAVES_RELAY = frozenset({"/forget_me"})
# Telegram allows a bot about 20 messages a minute in a group; requests leave room for the relay.
REQUESTS_POSTED_PER_MINUTE = 12
REQUESTS_BUCKET = "navigators"  # the one bucket new requests share
KEEP_TIMINGS = 10_000


class Timings:
    """The gateway's own cost per message (total handling time minus the wait for Rasa), the
    last 10,000 per channel: what /internal/stats reports and `make bench` measures."""

    def __init__(self) -> None:
        self._overhead: dict[str, deque[float]] = {}
        self._bot_api: dict[str, deque[float]] = {}
        self.counts: dict[str, int] = {}

    def record(self, channel: str, total_s: float) -> None:
        """One handled message: its total time, less the waits for Rasa and for the Bot API."""
        waited = BOT_API_SECONDS.get()
        kept = self._overhead.setdefault(channel, deque(maxlen=KEEP_TIMINGS))
        kept.append(max(0.0, total_s - RASA_SECONDS.get() - waited) * 1000)
        self._bot_api.setdefault(channel, deque(maxlen=KEEP_TIMINGS)).append(waited * 1000)
        self.counts[channel] = self.counts.get(channel, 0) + 1

    def summary(self) -> dict[str, dict[str, float]]:
        """Per channel: messages handled, overhead p50/p95/max in ms, and the Bot API's wait."""
        report: dict[str, dict[str, float]] = {}
        for channel, kept in self._overhead.items():
            ordered = sorted(kept)
            waits = sorted(self._bot_api[channel])
            report[channel] = {
                "messages": self.counts[channel],
                "overhead_p50_ms": round(_quantile(ordered, 0.5), 2),
                "overhead_p95_ms": round(_quantile(ordered, 0.95), 2),
                "overhead_max_ms": round(ordered[-1], 2),
                "bot_api_p50_ms": round(_quantile(waits, 0.5), 2),
                "bot_api_p95_ms": round(_quantile(waits, 0.95), 2),
            }
        return report


def _address_of(sender: str, session: Session) -> Any:
    """Where a sender talks (for the navigators' post)."""
    return store.address_of(session, sender)


def _quantile(ordered: Sequence[float], share: float) -> float:
    """The value below which `share` of the sorted values lie."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class Outlet(Protocol):
    """A channel that can send on its own initiative (Telegram)."""

    async def send(self, address: str, messages: Sequence[BotMessage]) -> None:
        """Deliver messages to one chat."""

    async def post(self, chat_id: str, text: str) -> int:
        """Post to the navigators' group; returns the message id (for replies)."""


@dataclass
class _Waiter:
    """What the open long polls of one sender wait on, and how many there are (a widget open in
    two tabs polls twice), so the last one to end can remove it: the map holds open polls only."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    polls: int = 0


class DeliveryBusy(Exception):
    """Another request is still sending a message under this idempotency key: try again later."""


def _forget_task(running: set[asyncio.Future[None]]) -> Callable[[asyncio.Future[None]], None]:
    """A done-callback that drops a finished delivery and takes its outcome (the caller that
    hung up cannot: its retry finds out from the receipts)."""

    def done(task: asyncio.Future[None]) -> None:
        running.discard(task)
        if not task.cancelled():
            task.exception()

    return done


@dataclass(frozen=True)
class NavigatorResult:
    """What became of a navigator's message in the group: the gateway's answer to post there."""

    reply: str | None


class Gateway:
    """The channel-independent half of the gateway."""

    def __init__(
        self, settings: GatewaySettings, sessions: sessionmaker[Session], rasa: RasaClient
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.rasa = rasa
        self.telegram: Outlet | None = None  # set while the Telegram bot runs
        self.timings = Timings()
        self._waiters: dict[str, _Waiter] = {}  # by sender: only those with a poll open
        self._sending: set[asyncio.Future[None]] = set()  # keyed deliveries still going out
        # New requests posted to the navigators' group, all learners together.
        self._navigator_posts = TokenBuckets(REQUESTS_POSTED_PER_MINUTE)

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run a short database step in a thread, in its own transaction."""

        def run() -> T:
            with self.sessions.begin() as session:
                return work(session)

        return await asyncio.to_thread(run)

    def sender_id(self, channel: str, address: str) -> str:
        """The pseudonymous id of a chat or web session."""
        return store.pseudonym(self.settings.pseudonym_key, channel, address)

    async def converse(
        self, channel: str, address: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        """One user message: to the navigator while a handoff is open, else to the assistant."""
        sender = self.sender_id(channel, address)
        RASA_SECONDS.set(0.0)
        BOT_API_SECONDS.set(0.0)
        if text.strip() == PRIVACY:  # also during a handoff: a question about us, not for them
            return [BotMessage(self.privacy_note())]
        kept = store.kept_address(self.settings.pseudonym_key, channel, address)

        def arrive(session: Session) -> tuple[Handoff | None, bool]:
            return (
                store.open_handoff_of(session, sender),
                store.address_is_current(session, sender, channel, kept),
            )

        try:
            handoff, current = await self.db(arrive)  # reads only: no wait for a writer
        except SQLAlchemyError:  # the database is down: the assistant may still answer
            logger.exception("could not read the state of %s", sender)
            handoff, current = None, True
        # A new or moved address is written while Rasa thinks: the write may queue behind
        # the action server's, and the reply needs only the read above.
        remembering = (
            None if current else asyncio.create_task(self._remember(sender, channel, kept))
        )
        try:
            if handoff is not None and handoff.posted_at is not None and self.telegram is not None:
                if text.strip() not in LEAVES_RELAY:
                    await self._to_navigators(handoff, text)
                    return [BotMessage(say("handoff_relayed"))]
                # "/forget": erasing is the assistant's to do, not a message for a navigator.
                await self.close(handoff.id, LEARNER)
            started = time.perf_counter()
            try:
                replies = merged(await self.rasa.send(sender, text, channel, metadata))
            except RasaUnavailable:
                return [BotMessage(say("rasa_unavailable"))]
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
                await self._post_new_handoff(sender, channel)
            except Exception:  # the reply matters more; housekeeping posts it a minute later
                logger.exception("could not post a handoff request for %s", sender)
        return replies

    def privacy_note(self) -> str:
        """The reply to "Privacy": the notice's address when learners can reach the gateway by one,
        else the notice itself."""
        if self.settings.public_url:
            return say("privacy_link", url=f"{self.settings.public_url}/privacy")
        return privacy_text(self.settings.retention_days)

    async def _remember(self, sender: str, channel: str, address: str) -> None:
        """Keep where the sender is; a failure is logged (the conversation goes on)."""
        try:
            await self.db(lambda session: store.remember_address(session, sender, channel, address))
        except SQLAlchemyError:
            logger.exception("could not record the address of %s", sender)

    async def post_missed_handoffs(self) -> int:
        """Post open requests that no reply posted (Telegram was down, or a gateway stopped
        between the reply and the post); returns how many were posted."""
        if self.settings.navigator_chat_id is None or self.telegram is None:
            return 0
        posted = 0
        for sender in await self.db(store.unposted_handoffs):  # oldest first: a queue
            if self._navigator_posts.wait(REQUESTS_BUCKET):
                break  # the rest wait for the next round
            address = await self.db(partial(_address_of, sender))
            channel = address.channel if address else "unknown"
            posted += await self._post_new_handoff(sender, channel)
        return posted

    async def deliver(
        self, sender_id: str, messages: Sequence[BotMessage], key: str | None = None
    ) -> bool:
        """A proactive message (reminder, navigator reply) on the sender's channel; False if we
        do not know where they are (never wrote, or asked to be forgotten).

        With an idempotency `key` (the reminder worker's) every message goes out once, however
        often it is retried: those delivered under the key before are skipped, so a retry
        resumes at the first that was not. The sending goes on when the caller hangs up (a
        worker's time-out); a retry that comes meanwhile gets DeliveryBusy.
        """
        address = await self.db(lambda session: store.address_of(session, sender_id))
        if address is None:
            return False
        if key is None:
            await self._send(sender_id, address, messages)
            return True
        sending = asyncio.ensure_future(self._send_each_once(sender_id, address, messages, key))
        self._sending.add(sending)
        sending.add_done_callback(_forget_task(self._sending))
        await asyncio.shield(sending)
        return True

    async def _send_each_once(
        self, sender_id: str, address: ChannelAddress, messages: Sequence[BotMessage], key: str
    ) -> None:
        """The messages in order, each under its own receipt (`key`/index): claimed before it is
        sent, marked delivered after; a failed send gives up its claim for the retry."""
        for index, message in enumerate(messages):
            receipt, moment = f"{key}/{index}", utcnow()
            try:
                claim = await self.db(
                    partial(store.claim_delivery, key=receipt, sender_id=sender_id, now=moment)
                )
            except IntegrityError:  # another request claimed it a moment ago
                claim = "busy"
            if claim == "delivered":
                continue
            if claim == "busy":
                raise DeliveryBusy(f"message {index + 1} under this key is being sent")
            try:
                await self._send(sender_id, address, [message], receipt)
            except Exception:
                await self.db(partial(store.release_delivery, key=receipt, claimed_at=moment))
                raise
            await self.db(partial(store.mark_delivered, key=receipt))

    async def _send(
        self,
        sender_id: str,
        address: ChannelAddress,
        messages: Sequence[BotMessage],
        receipt: str | None = None,
    ) -> None:
        """Messages out on Telegram, or into the web outbox (with their receipt marked in the
        same transaction, so a crash can never queue them twice)."""
        if address.channel == "telegram":
            if self.telegram is None:
                raise RuntimeError("Telegram is not running, so a Telegram user cannot be reached")
            await self.telegram.send(address.address, messages)
            return

        def queue(session: Session) -> None:
            for message in messages:
                store.queue_outbox(session, sender_id, message.as_json())
            if receipt is not None:
                store.mark_delivered(session, receipt)

        await self.db(queue)
        waiter = self._waiters.get(sender_id)
        if waiter is not None:  # nobody polling: the widget finds it in the outbox next time
            waiter.event.set()

    async def wait_for_outbox(self, sender_id: str, after: int, timeout_s: float) -> list[Any]:
        """Queued web messages newer than `after`, waiting up to `timeout_s` for the first one.

        Another gateway may have queued it (several behind a load balancer): the database is
        checked every second as well as when this gateway queues something.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        waiter = self._waiters.get(sender_id)
        if waiter is None:
            waiter = self._waiters[sender_id] = _Waiter()
        waiter.polls += 1
        try:
            while True:
                waiter.event.clear()  # before the read: a message queued after it wakes us
                found = await self.db(lambda s: store.outbox_after(s, sender_id, after))
                remaining = deadline - loop.time()
                if found or remaining <= 0:
                    return found
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(waiter.event.wait(), timeout=min(1.0, remaining))
        finally:  # answered, timed out or dropped by the client: the last poll out removes it
            waiter.polls -= 1
            if waiter.polls == 0:
                del self._waiters[sender_id]

    async def _post_new_handoff(self, sender: str, channel: str) -> bool:
        """The assistant just opened a handoff: post its summary to the navigators' group, unless
        requests came faster than the group can take them (then it waits its turn, oldest
        first). Whether it was posted."""
        chat = self.settings.navigator_chat_id
        if chat is None or self.telegram is None:
            return False
        handoff = await self.db(lambda session: store.open_handoff_of(session, sender))
        if handoff is None or handoff.posted_at is not None:
            return False
        if self._navigator_posts.spend(REQUESTS_BUCKET):
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
        message_id = await self.telegram.post(chat, text)
        await self.db(lambda session: store.record_post(session, handoff, chat, message_id))
        return True

    async def _to_navigators(self, handoff: Handoff, text: str) -> None:
        """A learner's message during a handoff, posted under the request in the group."""
        chat = self.settings.navigator_chat_id
        assert chat is not None and self.telegram is not None
        posted = await self.telegram.post(
            chat, say("navigator_message", number=handoff.id, text=text)
        )
        await self.db(lambda session: store.record_post(session, handoff, chat, posted))

    async def from_navigator(
        self, chat_id: str, reply_to: int | None, text: str, done: bool
    ) -> NavigatorResult:
        """A navigator wrote in the group: relay a reply to its learner, or close on /done."""
        if chat_id != self.settings.navigator_chat_id:
            return NavigatorResult(None)  # some other group the bot is in: not ours to answer
        handoff = None
        if reply_to is not None:
            handoff = await self.db(lambda s: store.handoff_of_post(s, chat_id, reply_to))
        if handoff is None:
            return NavigatorResult(say("navigator_unknown") if done or reply_to else None)
        sender = handoff.learner.sender_id
        if done:
            await self.close(handoff.id, "navigator")
            return NavigatorResult(say("navigator_closed", number=handoff.id))
        # A reply reaches the learner for as long as their data exists: the time-out only ends
        # the relay of the learner's messages ("usually within one working day").
        if handoff.status == "open":
            await self.db(lambda session: store.touch_handoff(session, handoff.id))
        await self.deliver(sender, [BotMessage(say("handoff_navigator_reply", text=text))])
        return NavigatorResult(None)

    async def close(self, handoff_id: int, by: str) -> bool:
        """Close a handoff and tell the learner the bot is back."""
        closed = await self.db(lambda session: store.close_handoff(session, handoff_id, by))
        if closed is None:
            return False
        if by == LEARNER:  # they left it themselves; the navigators are told
            await self._post_closed(handoff_id)
            return True
        key = "handoff_closed_by_navigator" if by == "navigator" else "handoff_closed_timeout"
        try:
            await self.deliver(closed.learner.sender_id, [BotMessage(say(key))])
        except Exception:  # the handoff is closed either way; the learner hears it next time
            logger.exception("could not tell learner of handoff %s that it closed", handoff_id)
        return True

    async def expire_handoffs(self) -> int:
        """Close handoffs idle longer than the time-out; returns how many."""
        idle = timedelta(seconds=self.settings.handoff_timeout_s)
        ids = await self.db(lambda session: store.idle_handoffs(session, idle))
        closed = 0
        for handoff_id in ids:
            if await self.close(handoff_id, "timeout"):
                closed += 1
                await self._post_closed(handoff_id)
        return closed

    async def _post_closed(self, handoff_id: int) -> None:
        """Tell the navigators' group that a request is closed."""
        chat = self.settings.navigator_chat_id
        if chat and self.telegram is not None:
            await self.telegram.post(chat, say("navigator_closed", number=handoff_id))
