"""The gateway's periodic work, run by one gateway at a time: every minute idle handoffs are
closed, missed requests posted to the navigators and old web messages and delivery receipts
dropped; every WAYFINDER_NUDGE_INTERVAL_S providers are nudged about stale listings and members
told the organisers' decisions; once a week the organisers get their digest
(bot.gateway.organiser_digest, sent once per week under a delivery receipt).

None of these may run on two gateways at once: the handoff, nudge and decision jobs read what is
due and then mark it, without locking the rows, so two at once would close a handoff twice (two
notices), post one request twice and nudge a provider twice. So every round first takes or
renews the "housekeeping" lease (bot.gateway.shared.leases): in memory (one gateway) it is always
held; on Redis one gateway holds it and another takes over within LEASE_S of its holder dying.
Purging old rows is idempotent (a DELETE by age) and would need no lease on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.gateway.community import run_jobs as community_jobs
from bot.gateway.core import Gateway
from bot.gateway.organiser_digest import WeeklyDigest
from bot.gateway.records import purge_outbox, purge_receipts
from bot.gateway.shared.leases import Holding

logger = logging.getLogger(__name__)
HOUSEKEEPING_S = 60
LEASE = "housekeeping"  # the one lease all of this runs under


class Housekeeping:
    """The periodic jobs of one gateway, run in rounds while it holds the housekeeping lease."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.holding = Holding(gateway.shared.leases(LEASE), LEASE)
        self._community_ran = float("-inf")
        self.digest = WeeklyDigest(gateway)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Contend for the lease and run a round every HOUSEKEEPING_S (in the background)."""
        self.holding.start()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop the rounds and let the lease go, so another gateway takes over."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.holding.stop()

    async def _run(self) -> None:
        """A round every HOUSEKEEPING_S, the first one HOUSEKEEPING_S after start."""
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            await self.round()

    async def round(self) -> bool:
        """The jobs that are due, if this gateway holds the lease now; whether it did."""
        if not await self.holding.renew():
            return False
        gateway = self.gateway
        with contextlib.suppress(Exception):  # a database hiccup: try again next minute
            closed = await gateway.handoffs.expire()
            await gateway.handoffs.post_missed()
            purged = await gateway.db(purge_outbox)
            await gateway.db(purge_receipts)  # kept a week, past the reminder worker's retries
            if closed or purged:
                logger.info("handoffs timed out: %s; old web messages dropped: %s", closed, purged)
        # Its last run is this gateway's to remember: one taking over runs it at once (harmless:
        # what was nudged or told recently is marked in the database and not sent again).
        now = asyncio.get_running_loop().time()
        due = now - self._community_ran >= gateway.settings.nudge_interval_s
        if due and gateway.telegram is not None:
            self._community_ran = now
            await community_jobs(gateway)  # logs its own failures
        try:
            await self.digest.run()
        except Exception:  # its claim was given up: the next round tries again
            logger.exception("the organisers' weekly digest failed; trying again next round")
        return True
