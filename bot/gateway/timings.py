"""The gateway's own time per message, told apart from the waits for Rasa and for Telegram's
Bot API: what /internal/stats reports and `make bench` measures, and the reply-time histograms
Prometheus scrapes (bot.observability.metrics), fed from the same record."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from contextvars import ContextVar

from bot.observability import metrics

# Seconds the current message waited for Rasa (set by `converse`, read by the channel handler).
RASA_SECONDS: ContextVar[float] = ContextVar("rasa_seconds", default=0.0)
# Time a message's handling spent waiting for Telegram's Bot API (sending the reply): the
# network and Telegram's servers, not the gateway. Reported beside the gateway's own time.
BOT_API_SECONDS: ContextVar[float] = ContextVar("bot_api_seconds", default=0.0)
KEEP_TIMINGS = 10_000
logger = logging.getLogger(__name__)


class Timings:
    """The gateway's own cost per message (total handling time minus the wait for Rasa), the
    last 10,000 per channel: what /internal/stats reports and `make bench` measures."""

    def __init__(self) -> None:
        self._overhead: dict[str, deque[float]] = {}
        self._bot_api: dict[str, deque[float]] = {}
        self.counts: dict[str, int] = {}

    def record(self, channel: str, total_s: float) -> None:
        """One handled message: its total time, less the waits for Rasa and for the Bot API."""
        waited, rasa = BOT_API_SECONDS.get(), RASA_SECONDS.get()
        metrics.REPLY_SECONDS.labels(channel).observe(total_s)
        metrics.RASA_WAIT_SECONDS.labels(channel).observe(rasa)
        # One line per message, carrying its request id: the line to start from in the logs.
        logger.info(
            "%s message answered in %.0f ms (Rasa %.0f ms)", channel, total_s * 1000, rasa * 1000
        )
        kept = self._overhead.setdefault(channel, deque(maxlen=KEEP_TIMINGS))
        kept.append(max(0.0, total_s - rasa - waited) * 1000)
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


def _quantile(ordered: Sequence[float], share: float) -> float:
    """The value below which `share` of the sorted values lie."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]
