"""Messages the gateway sends on its own initiative (reminders, navigators' replies, handoff
notices): out on Telegram, or into the web outbox that the widget's long poll reads; with an
idempotency key, each message goes out once however often the caller retries.

Whichever gateway queues a web message (the reminder worker reaches any of them through
/internal/deliver) wakes the long polls waiting for it on every gateway (bot.gateway.shared.wakes:
Redis pub/sub when set), so a poll reads the database when something arrived, plus a slow
re-check as a safety net."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.gateway import records
from bot.gateway.messages import BotMessage
from bot.gateway.shared.wakes import MemoryWakes, Wakes
from bot.transactions import DatabaseRunner
from knowledge.models import ChannelAddress, utcnow

logger = logging.getLogger(__name__)


class Outlet(Protocol):
    """A channel that can send on its own initiative (Telegram)."""

    async def send(self, address: str, messages: Sequence[BotMessage]) -> None:
        """Deliver messages to one chat."""

    async def post(self, chat_id: str, text: str) -> int:
        """Post to the navigators' group; returns the message id (for replies)."""


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


class Outbox:
    """Proactive delivery on the sender's channel, and the web outbox's long polls."""

    def __init__(self, db: DatabaseRunner, wakes: Wakes | None = None) -> None:
        self.db = db
        self.telegram: Outlet | None = None  # set while the Telegram bot runs
        self.wakes = MemoryWakes() if wakes is None else wakes  # the open long polls, by sender
        self._sending: set[asyncio.Future[None]] = set()  # keyed deliveries still going out

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
        address = await self.db(lambda session: records.address_of(session, sender_id))
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
                    partial(records.claim_delivery, key=receipt, sender_id=sender_id, now=moment)
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
                await self.db(partial(records.release_delivery, key=receipt, claimed_at=moment))
                raise
            await self.db(partial(records.mark_delivered, key=receipt))

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
                records.queue_outbox(session, sender_id, message.as_json())
            if receipt is not None:
                records.mark_delivered(session, receipt)

        await self.db(queue)
        try:  # nobody polling: it waits, and the widget finds it when the chat is next open
            await self.wakes.publish(_topic(sender_id))
        except Exception:  # queued all the same: the polls' re-check finds it
            logger.warning("could not wake the long polls of %s", sender_id, exc_info=True)

    async def wait(self, sender_id: str, after: int, timeout_s: float) -> list[Any]:
        """Queued web messages newer than `after`, waiting up to `timeout_s` for the first one:
        the database is read when a gateway queued something for this sender, and every
        `wakes.recheck_s` in case a wake-up went missing. What is found is marked fetched: until
        then a message (a reminder while the chat was closed) waits for the learner's return."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        async with self.wakes.listen(_topic(sender_id)) as wake:
            while True:
                wake.clear()  # before the read: a message queued after it wakes us
                found = await self.db(lambda s: records.fetch_outbox(s, sender_id, after))
                remaining = deadline - loop.time()
                if found or remaining <= 0:
                    return found
                await wake.wait(min(self.wakes.recheck_s, remaining))


def _topic(sender_id: str) -> str:
    """What the long polls of one sender listen to."""
    return f"outbox:{sender_id}"
