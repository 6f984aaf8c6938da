"""Fires due reminders through Rasa's HTTP API; state lives in the database, so restarts lose none.

Rasa 3.6's own ReminderScheduled lives in memory and dies with the server; ours are rows that
any worker picks up (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers never double-send).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import requests
from sqlalchemy.orm import Session, sessionmaker

from knowledge.learners import due_reminders, mark_failed, mark_sent
from knowledge.models import Reminder

logger = logging.getLogger(__name__)
INTENT = "EXTERNAL_reminder"


class Deliverer(Protocol):
    """Takes the assistant's words for a reminder to the user (the channels issue adds push)."""

    def __call__(self, sender_id: str, channel: str | None, messages: list[dict[str, Any]]) -> None:
        """Deliver or record the messages."""


def log_deliverer(sender_id: str, channel: str | None, messages: list[dict[str, Any]]) -> None:
    """The REST channel cannot push: the reminder is in the conversation history, and logged."""
    texts = " | ".join(str(message.get("text", "")) for message in messages)
    logger.info("reminder for %s via %s: %s", sender_id, channel or "rest", texts)


def trigger(
    rasa_url: str, sender_id: str, reminder_id: int, token: str | None, timeout: float = 30.0
) -> list[dict[str, Any]]:
    """POST /conversations/{id}/trigger_intent; returns the messages Rasa produced."""
    response = requests.post(
        f"{rasa_url.rstrip('/')}/conversations/{sender_id}/trigger_intent",
        params={"token": token} if token else None,
        json={"name": INTENT, "entities": {"reminder_id": str(reminder_id)}},
        timeout=timeout,
    )
    response.raise_for_status()
    body = response.json()
    return list(body.get("messages") or []) if isinstance(body, dict) else []


def run_once(
    sessions: sessionmaker[Session],
    rasa_url: str,
    *,
    token: str | None = None,
    deliver: Deliverer = log_deliverer,
    now: Callable[[], datetime] | None = None,
) -> tuple[int, int]:
    """Fire every due reminder once; returns (sent, failed). Failures retry with back-off."""
    sent = failed = 0
    with sessions.begin() as session:
        moment = now() if now else None
        for reminder in due_reminders(session, now=moment):
            if _fire(reminder, rasa_url, token, deliver, moment):
                sent += 1
            else:
                failed += 1
    return sent, failed


def _fire(
    reminder: Reminder,
    rasa_url: str,
    token: str | None,
    deliver: Deliverer,
    moment: datetime | None,
) -> bool:
    """One reminder; marks it sent or failed (one user's failure never stops the others)."""
    learner = reminder.learner
    try:
        messages = trigger(rasa_url, learner.sender_id, reminder.id, token)
        deliver(learner.sender_id, learner.channel, messages)
    except (requests.RequestException, ValueError) as error:
        logger.warning("reminder %s not delivered: %s", reminder.id, error)
        mark_failed(reminder, str(error), now=moment)
        return False
    mark_sent(reminder, now=moment)
    return True
