"""`python -m bot.reminders`: the reminder worker loop (bot/serve.py starts it with the servers)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from bot.observability.logs import configure_logging
from bot.reminders.probes import serve_probes
from bot.reminders.retention import Conversations, Retention, tracker_engine
from bot.reminders.settings import WorkerSettings
from bot.reminders.worker import (
    Deliverer,
    GatewayDeliverer,
    LogDeliverer,
    RasaIntentTrigger,
    ReminderWorker,
)
from knowledge.db import make_engine, make_sessionmaker

TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"  # the worker's lines as they always were


def main() -> int:
    """Poll every WAYFINDER_REMINDER_INTERVAL seconds until SIGTERM or Ctrl-C; a bad setting is
    one clear line, exit 2."""
    try:
        settings = WorkerSettings.from_env(os.environ)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format, service="reminder_worker", text_format=TEXT_FORMAT)
    engine, tracker = make_engine(settings.database_url), tracker_engine(settings.tracker_url)
    gateway = settings.gateway_url
    deliverer: Deliverer = (
        GatewayDeliverer(gateway, settings.gateway_token) if gateway else LogDeliverer()
    )
    sessions = make_sessionmaker(engine)
    probes = None
    if settings.metrics_port is not None:
        probes = serve_probes(settings.metrics_host, settings.metrics_port, engine, sessions)
    worker = ReminderWorker(
        sessions,
        RasaIntentTrigger(settings.rasa_url, settings.rasa_token),
        deliverer,
        retention=Retention(sessions, Conversations(tracker), settings.retention_days),
        timezone=settings.timezone,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    logging.info(
        "reminder worker: directory %r, Rasa %s, delivering via %s, every %s s; erasing what "
        "no one touched for %s days, conversations included (tracker store %r)",
        engine.url,
        settings.rasa_url,
        gateway or "the log (no WAYFINDER_GATEWAY_URL)",
        settings.interval_s,
        settings.retention_days,
        tracker.url,
    )
    worker.run_forever(settings.interval_s, stop)
    if probes is not None:
        probes.shutdown()
    engine.dispose()
    tracker.dispose()
    logging.info("reminder worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
