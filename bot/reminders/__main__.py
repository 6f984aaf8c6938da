"""`python -m bot.reminders`: the reminder worker loop (started by `make run`)."""

from __future__ import annotations

import logging
import signal
import threading

from bot.reminders.worker import run_once
from bot.settings import ServeSettings
from knowledge.db import make_engine, make_sessionmaker
from knowledge.settings import Settings


def main() -> None:
    """Poll every WAYFINDER_REMINDER_INTERVAL seconds until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = ServeSettings.from_env()
    sessions = make_sessionmaker(make_engine(Settings.from_env().database_url))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logging.info(
        "reminder worker polling %s every %s s", settings.rasa_url, settings.reminder_interval_s
    )
    try:
        while not stop.is_set():
            sent, failed = run_once(sessions, settings.rasa_url, token=settings.rasa_token)
            if sent or failed:
                logging.info("reminders: %s sent, %s failed (will retry)", sent, failed)
            stop.wait(settings.reminder_interval_s)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
