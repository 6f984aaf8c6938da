"""How Telegram's updates reach the handlers when several gateways serve one bot: each update
handled once (bot.gateway.shared.updates), one chat's updates in the order they arrived, and
getUpdates called by the one gateway holding the polling lease.

Polling: a gateway polls only while it holds the lease, renewed every third of its length; the
others wait and take over within LEASE_S when it stops renewing (it died). Webhook: every gateway
behind the load balancer takes updates; each is handled before Telegram gets its answer, so an
update whose gateway died on the way is sent again by Telegram, and one still in hand elsewhere is
answered 503 (Telegram retries it later).

Whatever may have reached the assistant before goes to it marked redelivered (it then answers a
message it already handled with the replies it gave): a webhook update whose earlier delivery's
gateway died mid-way (Claim.RETRY), and in polling mode the updates a dead poller had fetched.
Those were confirmed to Telegram by its next getUpdates and are never sent again, so each polled
update is written down before it is queued and crossed out once handled (shared.journal); the
gateway taking the polling lease over first replays, oldest first, what is still written down.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from redis.exceptions import RedisError
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor

from bot.gateway.shared.journal import MemoryUpdateJournal, UpdateJournal
from bot.gateway.shared.leases import Holding
from bot.gateway.shared.locks import MemoryChatLocks
from bot.gateway.shared.updates import Claim, PollingLease, SeenUpdates

logger = logging.getLogger(__name__)
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
# While an update's handlers run: whether it may have reached the assistant before (the handlers
# run in the update's own task, so this stays with its update).
REDELIVERED: ContextVar[bool] = ContextVar("wayfinder_redelivered", default=False)


class JournaledQueue(asyncio.Queue[object]):
    """python-telegram-bot's update queue, writing each polled update down before queueing it,
    and so before the next getUpdates confirms it to Telegram."""

    def __init__(self, journal: UpdateJournal) -> None:
        super().__init__()
        self.journal = journal

    async def put(self, item: object) -> None:
        """Write an update down (Redis away: queued anyway, unwritten), then queue it."""
        if isinstance(item, Update):
            try:
                await self.journal.keep(item.update_id, item.to_json())
            except (RedisError, OSError) as error:
                logger.warning("update %s not written down: %s", item.update_id, error)
        await super().put(item)


class OnceInOrder(BaseUpdateProcessor):
    """Updates side by side across chats, one at a time per chat in arrival order, each once.

    The chat's place is taken before anything is awaited (python-telegram-bot starts update tasks
    in arrival order), so a chat's messages stay in order however long a lookup takes.
    """

    def __init__(
        self,
        seen: SeenUpdates,
        max_concurrent_updates: int,
        journal: UpdateJournal | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.seen = seen
        self.journal = journal or MemoryUpdateJournal()
        self._order = MemoryChatLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle a polled (or queued) update."""
        await self.handle(update, coroutine)

    async def handle(
        self, update: object, coroutine: Awaitable[Any], *, replayed: bool = False
    ) -> Claim:
        """Run `coroutine` (the update's handlers) unless the update was handled or is in hand
        elsewhere; what its delivery found. Without Redis it is handled anyway: better twice than
        never. `replayed`: a dead poller had fetched it (it may have reached the assistant)."""
        if not isinstance(update, Update):
            await coroutine
            return Claim.NEW
        async with self._order.hold(_order_key(update)):
            ran = False
            try:
                async with self.seen.handling(update.update_id) as claim:
                    if claim.ours:
                        ran = True
                        await _marked(coroutine, replayed or claim is Claim.RETRY)
            except (RedisError, OSError) as error:
                if ran:  # handled; only marking it so failed
                    logger.warning("update %s handled but not marked: %s", update.update_id, error)
                    return Claim.NEW
                logger.warning(
                    "Redis unavailable, update %s handled unchecked: %s", update.update_id, error
                )
                await _marked(coroutine, replayed)
                return Claim.NEW
            if not ran:
                logger.info("update %s dropped: %s", update.update_id, claim.value)
                if inspect.iscoroutine(coroutine):
                    coroutine.close()
            if claim is not Claim.BUSY:  # handled, here or before: nothing left to replay
                await self.cross_out(update.update_id)
            return claim

    async def cross_out(self, update_id: int) -> None:
        """Cross a handled update out of the journal (a failure leaves it to the next poller,
        which finds it handled)."""
        try:
            await self.journal.drop(update_id)
        except (RedisError, OSError) as error:
            logger.warning("update %s handled but not crossed out: %s", update_id, error)

    async def initialize(self) -> None:
        """Nothing to open: the shared state belongs to the gateway."""

    async def shutdown(self) -> None:
        """Nothing to close."""


async def _marked(coroutine: Awaitable[Any], redelivered: bool) -> None:
    """Run an update's handlers, telling them whether it may have reached the assistant before."""
    token = REDELIVERED.set(redelivered)
    try:
        await coroutine
    finally:
        REDELIVERED.reset(token)


def _order_key(update: Update) -> str:
    """Updates of one chat (or one user outside chats) queue behind each other."""
    if update.effective_chat is not None:
        return f"chat:{update.effective_chat.id}"
    if update.effective_user is not None:
        return f"user:{update.effective_user.id}"
    return f"update:{update.update_id}"


async def handle_pushed(application: AnyApplication, update: Update) -> Claim:
    """An update from the webhook, handled now (not queued): what its delivery found."""
    processor = application.update_processor
    if isinstance(processor, OnceInOrder):
        return await processor.handle(update, application.process_update(update))
    await application.process_update(update)
    return Claim.NEW


class LeasedPolling:
    """getUpdates from this gateway while it holds the polling lease, and not otherwise."""

    def __init__(self, application: AnyApplication, lease: PollingLease) -> None:
        self.application = application
        self.lease = lease
        self.holding = Holding(lease, "Telegram polling")
        self.polling = False
        self.replayed = 0  # updates a dead poller had fetched, handled again here
        self._task: asyncio.Task[None] | None = None
        self._replays: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Begin contending for the lease (in the background)."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop polling and give the lease up, so another gateway takes over at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        """Hold or wait for the lease, polling while held."""
        try:
            while True:
                await self._round()
                await asyncio.sleep(self.lease.lease_s / 3)
        finally:
            await self._stop_polling()
            await self.holding.stop()

    async def _round(self) -> None:
        """Renew (or take) the lease; start or stop polling to match. With Redis away nobody can
        take the lease, so a poller goes on polling and a waiter goes on waiting."""
        held = await self.holding.renew()
        if held and not self.polling:
            await self._replay()
            try:
                await self.application.bot.delete_webhook()
                assert self.application.updater is not None
                await self.application.updater.start_polling(drop_pending_updates=False)
            except TelegramError as error:  # Telegram away: try again next round
                logger.warning("could not start polling Telegram: %s", error)
                await self.holding.stop()  # let go: another gateway may reach Telegram
                return
            self.polling = True
            logger.info("Telegram: long polling as @%s", self.application.bot.username)
        elif not held and self.polling:
            await self._stop_polling()
            logger.warning("Telegram: the polling lease went to another gateway; not polling")

    async def _replay(self) -> None:
        """Start handling what a dead poller fetched and did not finish (still written down; its
        claims lapsed before its lease did), oldest first: each takes its chat's place before
        any newly polled update can."""
        processor = self.application.update_processor
        if not isinstance(processor, OnceInOrder):
            return
        try:
            pending = await processor.journal.pending()
        except (RedisError, OSError) as error:
            logger.warning("could not read the updates a previous poller left: %s", error)
            return
        for update_id, data in pending:
            try:
                update = Update.de_json(json.loads(data), self.application.bot)
            except (ValueError, TypeError, KeyError, RecursionError) as error:
                logger.warning("update %s left unreadable, dropped: %s", update_id, error)
                await processor.cross_out(update_id)
                continue
            assert update is not None
            task = asyncio.create_task(self._replay_one(processor, update))
            self._replays.add(task)
            task.add_done_callback(self._replays.discard)
        if pending:
            logger.info("Telegram: %d updates left by a previous poller", len(pending))
            await asyncio.sleep(0)  # each replay takes its chat's place now

    async def _replay_one(self, processor: OnceInOrder, update: Update) -> None:
        """One update a previous poller left, handled unless it was (each outcome logged)."""
        coroutine = self.application.process_update(update)
        try:
            claim = await processor.handle(update, coroutine, replayed=True)
        except Exception:  # left written down: the next poller tries it again
            logger.exception("update %s failed when replayed", update.update_id)
            return
        if claim.ours:
            self.replayed += 1
        logger.info("update %s replayed after takeover: %s", update.update_id, claim.value)

    async def _stop_polling(self) -> None:
        """Stop getUpdates if running."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        self.polling = False
