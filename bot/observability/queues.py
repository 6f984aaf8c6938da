"""Gauges of the work waiting in the database (the web outbox, proactive deliveries under way,
reminders, handoffs), read when Prometheus scrapes, at most once per few seconds per process.

Every gateway and worker reports the same figures (they share the database): aggregate them with
max(), not sum(). Each read is a handful of COUNTs on indexed columns in one short transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from knowledge.models import DeliveryReceipt, Handoff, OutboxMessage, Reminder, utcnow

logger = logging.getLogger(__name__)
CACHE_S = 10.0  # Prometheus scrapes every 15-60 s; several scrapers share one read


@dataclass(frozen=True)
class QueueDepths:
    """One reading of the queues."""

    outbox_messages: int
    deliveries_unfinished: int
    reminders_pending: int
    reminders_due: int
    reminders_due_oldest_s: float
    handoffs_open: int
    handoffs_unposted: int


def read_depths(session: Session, now: datetime | None = None) -> QueueDepths:
    """Count what is waiting; `now` for tests."""
    moment = now or utcnow()
    pending = Reminder.status == "pending"
    due = select(func.count(), func.min(Reminder.due_at)).where(pending, Reminder.due_at <= moment)
    due_count, oldest = session.execute(due).one()
    is_open = Handoff.status == "open"

    def count(*where: object) -> int:
        return int(session.scalar(select(func.count()).where(*where)) or 0)  # type: ignore[arg-type]

    return QueueDepths(
        outbox_messages=int(session.scalar(select(func.count(OutboxMessage.id))) or 0),
        deliveries_unfinished=count(DeliveryReceipt.delivered_at.is_(None)),
        reminders_pending=count(pending),
        reminders_due=int(due_count or 0),
        reminders_due_oldest_s=max(0.0, (moment - oldest).total_seconds()) if oldest else 0.0,
        handoffs_open=count(is_open),
        handoffs_unposted=count(is_open, Handoff.posted_at.is_(None)),
    )


GAUGES: dict[str, tuple[str, Callable[[QueueDepths], float]]] = {
    "wayfinder_outbox_messages": (
        "Proactive messages kept for web widgets (a week once fetched, unfetched up to 60 days).",
        lambda depths: depths.outbox_messages,
    ),
    "wayfinder_deliveries_unfinished": (
        "Proactive deliveries claimed but not finished (sending now, or interrupted: retried).",
        lambda depths: depths.deliveries_unfinished,
    ),
    "wayfinder_reminders_pending": (
        "Reminders not sent yet, due or not (failed ones waiting for their retry included).",
        lambda depths: depths.reminders_pending,
    ),
    "wayfinder_reminders_due": (
        "Reminders whose time has come and that are not sent yet.",
        lambda depths: depths.reminders_due,
    ),
    "wayfinder_reminders_due_oldest_seconds": (
        "How long the oldest due reminder has been waiting (0 when none is due).",
        lambda depths: depths.reminders_due_oldest_s,
    ),
    "wayfinder_handoffs_open": (
        "Learners waiting for or talking to a navigator.",
        lambda depths: depths.handoffs_open,
    ),
    "wayfinder_handoffs_unposted": (
        "Open handoffs not yet posted to the navigators' group (Telegram down or not set).",
        lambda depths: depths.handoffs_unposted,
    ),
}


class QueueGauges(Collector):
    """A Prometheus collector reading the queue depths, cached for `cache_s`; when the database
    does not answer the gauges are left out of the page (and `on_error` is told)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        cache_s: float = CACHE_S,
        on_error: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.cache_s = cache_s
        self.on_error = on_error
        self.clock = clock
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._depths: QueueDepths | None = None

    def describe(self) -> Iterator[Metric]:
        """The gauges' names and help, without a database read."""
        for name, (documentation, _) in GAUGES.items():
            yield GaugeMetricFamily(name, documentation)

    def collect(self) -> Iterator[Metric]:
        """The gauges, from the cache or a fresh read."""
        depths = self.depths()
        if depths is None:
            return
        for name, (documentation, value) in GAUGES.items():
            yield GaugeMetricFamily(name, documentation, value=value(depths))

    def depths(self) -> QueueDepths | None:
        """The last reading when it is fresh enough, else a new one (None if it failed)."""
        with self._lock:  # two scrapes at once read once
            if self.clock() - self._read_at < self.cache_s:
                return self._depths
            try:
                with self.sessions.begin() as session:
                    self._depths = read_depths(session)
            except SQLAlchemyError as error:
                logger.warning(
                    "queue gauges: the database did not answer (%s)", type(error).__name__
                )
                self._depths = None
                if self.on_error is not None:
                    self.on_error()
            self._read_at = self.clock()
            return self._depths
