"""Fires due reminders through Rasa's HTTP API; they live in the database, so restarts lose none.

Rasa 3.6's own reminders (ReminderScheduled) live in the Rasa server's memory and die with it.
Ours are rows (knowledge.learners). Every few seconds the worker takes the due ones one at a time,
asks Rasa to run the conversation's EXTERNAL_reminder intent, hands Rasa's words to a Deliverer and
marks the row sent, or failed with a retry later. On PostgreSQL the row stays locked (FOR UPDATE
SKIP LOCKED) while Rasa answers, so several workers never send the same reminder twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

import requests
from sqlalchemy.orm import Session, sessionmaker

from knowledge.learners import due_reminders, mark_failed, mark_sent
from knowledge.models import Reminder

logger = logging.getLogger(__name__)
INTENT = "EXTERNAL_reminder"
Messages = list[dict[str, Any]]


class Deliverer(Protocol):
    """Takes the assistant's words for a reminder to the user (the channels issue adds push)."""

    def deliver(self, sender_id: str, channel: str | None, messages: Messages) -> None:
        """Deliver the messages, or raise so the reminder is retried later."""


class LogDeliverer:
    """The REST channel cannot push: the reminder is in the conversation history and in the log."""

    def deliver(self, sender_id: str, channel: str | None, messages: Messages) -> None:
        """Record what the user would have been sent."""
        texts = " | ".join(str(message.get("text", "")) for message in messages)
        logger.info("reminder for %s (channel %s): %s", sender_id, channel or "unknown", texts)


@dataclass(frozen=True)
class GatewayDeliverer:
    """Hands the reminder to the channel gateway, which sends it on Telegram or to the widget."""

    url: str
    token: str | None = None
    timeout_s: float = 30.0

    def deliver(self, sender_id: str, channel: str | None, messages: Messages) -> None:
        """POST /internal/deliver; any failure raises, so the reminder is retried later."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = requests.post(
            f"{self.url.rstrip('/')}/internal/deliver",
            json={"sender_id": sender_id, "messages": messages},
            headers=headers,
            timeout=self.timeout_s,
        )
        if response.status_code != 200:
            raise RuntimeError(
                f"the gateway answered {response.status_code}: {response.text[:200]}"
            )


class NoReply(Exception):
    """Rasa ran the intent but said nothing: the action server was down or the reminder unknown."""


@dataclass(frozen=True)
class RasaClient:
    """The one call the worker makes to Rasa's HTTP API (`rasa run --enable-api`)."""

    url: str
    token: str | None = None
    timeout_s: float = 30.0

    def trigger_reminder(self, sender_id: str, reminder_id: int) -> Messages:
        """POST /conversations/{id}/trigger_intent; the messages Rasa produced for the user."""
        params = {"include_events": "NONE"}  # the tracker state in the answer is not needed
        if self.token:
            params["token"] = self.token
        response = requests.post(
            f"{self.url.rstrip('/')}/conversations/{quote(sender_id, safe='')}/trigger_intent",
            params=params,
            json={"name": INTENT, "entities": {"reminder_id": str(reminder_id)}},
            timeout=self.timeout_s,
        )
        response.raise_for_status()
        body = response.json()
        messages = body.get("messages") if isinstance(body, dict) else None
        if not messages:
            raise NoReply("Rasa produced no message for the reminder")
        return list(messages)


@dataclass(frozen=True)
class Tally:
    """What one pass did."""

    sent: int = 0
    failed: int = 0


@dataclass
class ReminderWorker:
    """Takes due reminders from the database and fires them into their conversations."""

    sessions: sessionmaker[Session]
    rasa: RasaClient
    deliverer: Deliverer = field(default_factory=LogDeliverer)
    batch: int = 50

    def run_once(self, now: Callable[[], datetime] | None = None) -> Tally:
        """Fire every reminder due now (at most `batch`), each in its own short transaction."""
        sent = failed = 0
        for _ in range(self.batch):
            with self.sessions.begin() as session:
                moment = now() if now else None
                due = due_reminders(session, now=moment, limit=1)
                if not due:
                    break
                if self._fire(due[0], moment):
                    sent += 1
                else:
                    failed += 1
        return Tally(sent, failed)

    def run_forever(self, interval_s: float, stop: threading.Event) -> None:
        """Pass after pass until `stop` is set; a database hiccup is logged and retried."""
        while not stop.is_set():
            try:
                tally = self.run_once()
            except Exception:  # the loop must outlive a database restart
                logger.exception("reminder pass failed; trying again in %s s", interval_s)
            else:
                if tally.sent or tally.failed:
                    logger.info("reminders: %s sent, %s failed", tally.sent, tally.failed)
            stop.wait(interval_s)

    def _fire(self, reminder: Reminder, moment: datetime | None) -> bool:
        """One reminder; marks it sent or failed (one user's failure never stops the others)."""
        learner = reminder.learner
        try:
            messages = self.rasa.trigger_reminder(learner.sender_id, reminder.id)
            self.deliverer.deliver(learner.sender_id, learner.channel, messages)
        except Exception as error:  # any failure: retry later with back-off
            logger.warning("reminder %s not delivered (attempt %s): %s", reminder.id,
                           reminder.attempts + 1, error)  # fmt: skip
            mark_failed(reminder, f"{type(error).__name__}: {error}", now=moment)
            return False
        mark_sent(reminder, now=moment)
        return True


def run_once(
    sessions: sessionmaker[Session],
    rasa_url: str,
    *,
    token: str | None = None,
    deliverer: Deliverer | None = None,
    now: Callable[[], datetime] | None = None,
) -> tuple[int, int]:
    """One pass with default settings; returns (sent, failed)."""
    worker = ReminderWorker(sessions, RasaClient(rasa_url, token), deliverer or LogDeliverer())
    tally = worker.run_once(now)
    return tally.sent, tally.failed
