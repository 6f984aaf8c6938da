"""The Prometheus metrics of each kind of process, one registry each (docs/operations.md).

Every process serves its own /metrics (Prometheus scrapes each replica behind the load balancer
and sums): no multiprocess mode, no shared directory. A process's page is its own registry, the
process and Python collectors of prometheus_client's default registry, and the queue gauges read
from the database (bot.observability.queues).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Reply times: the assistant's p95 is about 100 ms at 5 msg/s and 300 ms at 20 msg/s on 2 cores
# (docs/benchmarks-assistant.md); a reply over 5 s is an outage to the learner.
REPLY_BUCKETS = (0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)
# Actions: most read the database (search p95 8-21 ms, docs/benchmarks.md) or set a slot.
ACTION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

GATEWAY = CollectorRegistry(auto_describe=True)
ACTION_SERVER = CollectorRegistry(auto_describe=True)
WORKER = CollectorRegistry(auto_describe=True)

# The gateway (bot/gateway).
MESSAGES = Counter(
    "wayfinder_messages",
    "Learner messages received by the gateway, by channel (web, telegram).",
    ["channel"],
    registry=GATEWAY,
)
REPLY_SECONDS = Histogram(
    "wayfinder_reply_seconds",
    "Time from a learner's message to the gateway's reply going out, by channel.",
    ["channel"],
    buckets=REPLY_BUCKETS,
    registry=GATEWAY,
)
RASA_WAIT_SECONDS = Histogram(
    "wayfinder_rasa_seconds",
    "Time each replied message waited for the Rasa server (NLU, policies and actions), by channel.",
    ["channel"],
    buckets=REPLY_BUCKETS,
    registry=GATEWAY,
)
GATEWAY_ERRORS = Counter(
    "wayfinder_errors",
    "Failures by kind: rasa_unavailable, database, telegram_api, unhandled.",
    ["kind"],
    registry=GATEWAY,
)
TELEGRAM_RETRY_AFTER = Counter(
    "wayfinder_telegram_429",
    "Bot API calls Telegram answered with 429 Too Many Requests (retried after its RetryAfter).",
    registry=GATEWAY,
)
HTTP_REQUESTS = Counter(
    "wayfinder_http_requests",
    "HTTP requests the gateway answered, by area (web, api, internal, telegram, probe, other) "
    "and status class (2xx, 4xx, 5xx).",
    ["area", "status"],
    registry=GATEWAY,
)

# The action server (bot/action_server.py).
ACTION_SECONDS = Histogram(
    "wayfinder_action_seconds",
    "Run time of each custom action call, by action name.",
    ["action"],
    buckets=ACTION_BUCKETS,
    registry=ACTION_SERVER,
)
ACTION_ERRORS = Counter(
    "wayfinder_errors",
    "Failures by kind: action_failed (an action raised), unknown_action.",
    ["kind"],
    registry=ACTION_SERVER,
)

# The reminder worker (bot/reminders).
REMINDERS = Counter(
    "wayfinder_reminders_processed",
    "Reminders the worker tried to deliver, by outcome (sent, failed: retried later).",
    ["outcome"],
    registry=WORKER,
)
WORKER_ERRORS = Counter(
    "wayfinder_errors",
    "Failures by kind: rasa_unavailable, delivery (the gateway refused or failed), database, "
    "worker_pass.",
    ["kind"],
    registry=WORKER,
)
WORKER_LAST_PASS = Gauge(
    "wayfinder_worker_last_pass_timestamp_seconds",
    "When the worker last finished a pass over due reminders (Unix time).",
    registry=WORKER,
)
WORKER_PASS_SECONDS = Histogram(
    "wayfinder_worker_pass_seconds",
    "Time one pass over due reminders took (Rasa's words and the gateway's delivery included).",
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
    registry=WORKER,
)


def exposition(*sources: CollectorRegistry | Collector) -> bytes:
    """The text a scrape gets: the given registries or collectors, then the process's own
    (CPU, memory, file descriptors, garbage collection) from the default registry."""
    pages: list[bytes] = []
    for source in (*sources, REGISTRY):
        if isinstance(source, CollectorRegistry):
            pages.append(generate_latest(source))
        else:
            single = CollectorRegistry(auto_describe=False)
            single.register(source)
            pages.append(generate_latest(single))
    return b"".join(pages)


def metric_names(sources: Iterable[CollectorRegistry | Collector]) -> set[str]:
    """The series names (as PromQL sees them: _total, _bucket, …) the sources expose, without
    reading anything: for the dashboard test and the docs."""
    names: set[str] = set()
    for source in sources:
        describe = getattr(source, "describe", None)  # a collector's, without reading
        families = list(
            describe()
            if describe and not isinstance(source, CollectorRegistry)
            else source.collect()
        )
        for family in families:
            names.add(family.name)
            for suffix in _SUFFIXES.get(family.type, ()):
                names.add(family.name + suffix)
    return names


_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
}


async def counted_bot_api(call: Awaitable[tuple[int, bytes]]) -> tuple[int, bytes]:
    """A Bot API call's (status, body), counting 429s and failed calls (an error status, or no
    answer at all) on the way: the Telegram request class wraps its HTTP calls in it."""
    try:
        status, payload = await call
    except Exception:
        GATEWAY_ERRORS.labels("telegram_api").inc()
        raise
    if status == 429:  # retried: a sign of sending too fast, not a lost message
        TELEGRAM_RETRY_AFTER.inc()
    elif status >= 400:
        GATEWAY_ERRORS.labels("telegram_api").inc()
    return status, payload
