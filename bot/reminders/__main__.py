"""`python -m bot.reminders`: the reminder worker loop (bot/serve.py starts it with the servers)."""

from __future__ import annotations

import logging
import os
import signal
import threading

from bot.reminders.worker import (
    Deliverer,
    GatewayDeliverer,
    LogDeliverer,
    RasaClient,
    ReminderWorker,
)
from bot.settings import ServeSettings
from knowledge.db import make_engine, make_sessionmaker
from knowledge.settings import Settings


def main() -> None:
    """Poll every WAYFINDER_REMINDER_INTERVAL seconds until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = ServeSettings.from_env()
    engine = make_engine(Settings.from_env().database_url)
    gateway = os.environ.get("WAYFINDER_GATEWAY_URL", "").strip()
    deliverer: Deliverer = (
        GatewayDeliverer(gateway, os.environ.get("WAYFINDER_GATEWAY_TOKEN", "").strip() or None)
        if gateway
        else LogDeliverer()
    )
    worker = ReminderWorker(
        make_sessionmaker(engine), RasaClient(settings.rasa_url, settings.rasa_token), deliverer
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    logging.info(
        "reminder worker: directory %r, Rasa %s, delivering via %s, every %s s",
        engine.url,
        settings.rasa_url,
        gateway or "the log (no WAYFINDER_GATEWAY_URL)",
        settings.reminder_interval_s,
    )
    worker.run_forever(settings.reminder_interval_s, stop)
    engine.dispose()
    logging.info("reminder worker stopped")


if __name__ == "__main__":
    main()
