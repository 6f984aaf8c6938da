"""Fires due reminders through Rasa's HTTP API; they live in the database, so restarts lose none.

Rasa 3.6's own reminders (ReminderScheduled) live in the Rasa server's memory and die with it.
Ours are rows (knowledge.learners). Every few seconds the worker takes the due ones one at a time
and asks Rasa to run the conversation's EXTERNAL_reminder intent, once: Rasa's words are kept on
the row with an idempotency key. Then it hands those words and the key to a Deliverer and marks
the row sent, or failed with a retry later (for two days). Every retry resends the same words
under the same key, and the gateway sends each message of a key once, so a retry after a time-out
or a half-delivered set sends only what is missing. On PostgreSQL the row is locked (FOR UPDATE
SKIP LOCKED) while Rasa answers and while the gateway delivers, so workers never share one.

Rasa's HTTP API reads its token from the query string only (rasa/server.py, `requires_auth`), so
the token is in every URL the worker calls: no error text, log line or stored error may carry it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

import requests
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, object_session, sessionmaker

from bot.observability.logs import HEADER, REQUEST_ID, ensure_request_id, new_request_id
from bot.observability.metrics import (
    REMINDERS,
    WORKER_ERRORS,
    WORKER_LAST_PASS,
    WORKER_PASS_SECONDS,
)
from bot.reminders.retention import Retention
from knowledge.city import City
from knowledge.learners import (
    due_reminders,
    keep_words,
    mark_failed,
    mark_sent,
    reminder_to_deliver,
)
from knowledge.models import Reminder
from knowledge.reports.recording import record_usage

logger = logging.getLogger(__name__)
INTENT = "EXTERNAL_reminder"
Messages = list[dict[str, Any]]
TOKEN_PARAMETER = re.compile(r"(token=)[^&\s'\"]+", re.IGNORECASE)
# urllib3's loggers that write request URLs (path and query string) into their records.
URL_LOGGERS = ("urllib3.connectionpool", "urllib3.poolmanager", "urllib3.util.retry")


def redact(text: str, *secrets: str | None) -> str:
    """The text without the given secrets (as they are or URL-encoded) or any `token=` value."""
    for secret in secrets:
        if secret:
            for form in {secret, quote(secret, safe="")}:
                text = text.replace(form, "***")
    return TOKEN_PARAMETER.sub(r"\1***", text)


class _RedactTokens(logging.Filter):
    """Rewrites a record whose message has a `token=` query parameter (urllib3 logs each request's
    URL at DEBUG, and retried ones at WARNING) so that Rasa's token never reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, its token replaced by ***."""
        message = record.getMessage()
        if TOKEN_PARAMETER.search(message):
            record.msg, record.args = redact(message), ()
        return True


_REDACT_TOKENS = _RedactTokens()


class Deliverer(Protocol):
    """Takes the assistant's words for a reminder to the user (the channels issue adds push)."""

    def deliver(self, sender_id: str, channel: str | None, messages: Messages, key: str) -> None:
        """Deliver each message once per `key` (a retry with the same key sends only those not
        delivered yet), or raise so the reminder is retried later."""


class LogDeliverer:
    """The REST channel cannot push: the reminder is in the conversation history and in the log."""

    def deliver(self, sender_id: str, channel: str | None, messages: Messages, key: str) -> None:
        """Record what the user would have been sent."""
        texts = " | ".join(str(message.get("text", "")) for message in messages)
        logger.info("reminder for %s (channel %s): %s", sender_id, channel or "unknown", texts)


@dataclass(frozen=True)
class GatewayDeliverer:
    """Hands the reminder to the channel gateway, which sends it on Telegram or to the widget."""

    url: str
    token: str | None = None
    timeout_s: float = 30.0

    def deliver(self, sender_id: str, channel: str | None, messages: Messages, key: str) -> None:
        """POST /internal/deliver with the key as Idempotency-Key (and the reminder's request id,
        for the gateway's log lines); any failure raises, so the reminder is retried later (the
        gateway skips the messages it delivered already)."""
        headers = {"Idempotency-Key": key, HEADER: ensure_request_id()}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
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


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with an error; the message never holds the URL."""


@dataclass(frozen=True)
class RasaIntentTrigger:
    """The one call the worker makes to Rasa's HTTP API (`rasa run --enable-api`)."""

    url: str
    token: str | None = None
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        """The token travels in URLs: keep it out of urllib3's log records too."""
        if self.token:
            for name in URL_LOGGERS:
                url_logger = logging.getLogger(name)
                if _REDACT_TOKENS not in url_logger.filters:
                    url_logger.addFilter(_REDACT_TOKENS)

    def trigger_reminder(self, sender_id: str, reminder_id: int) -> Messages:
        """POST /conversations/{id}/trigger_intent; the messages Rasa produced for the user.

        Failures raise RasaUnavailable with the kind of error or the status only: `requests`
        puts the URL, token and all, into its own messages, so they are not chained either.
        """
        params = {"include_events": "NONE"}  # the tracker state in the answer is not needed
        if self.token:
            params["token"] = self.token  # Rasa 3.6 reads no header for --auth-token
        try:
            response = requests.post(
                f"{self.url.rstrip('/')}/conversations/{quote(sender_id, safe='')}/trigger_intent",
                params=params,
                json={"name": INTENT, "entities": {"reminder_id": str(reminder_id)}},
                timeout=self.timeout_s,
            )
        except requests.RequestException as error:
            raise RasaUnavailable(f"Rasa did not answer ({type(error).__name__})") from None
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise RasaUnavailable("Rasa's answer was not JSON") from None
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
    rasa: RasaIntentTrigger
    deliverer: Deliverer = field(default_factory=LogDeliverer)
    batch: int = 50
    retention: Retention | None = None  # erases what no one touched for long, once a day
    timezone: str = "UTC"  # the city's: a reminder sent is counted on the city's date (#17)

    def run_once(self, now: Callable[[], datetime] | None = None) -> Tally:
        """Fire every reminder due now (at most `batch`), each in two short transactions: one
        asks Rasa for the words (first time only) and keeps them, one delivers them."""
        sent = failed = 0
        started = time.perf_counter()
        for _ in range(self.batch):
            REQUEST_ID.set(new_request_id())  # one per reminder: its lines here and the gateway's
            moment = now() if now else None
            with self.sessions.begin() as session:
                due = due_reminders(session, now=moment, limit=1)
                if not due:
                    break
                reminder_id = due[0].id
                worded = due[0].delivery_key is not None or self._word(due[0], moment)
            if not worded:
                failed += 1
                continue
            with self.sessions.begin() as session:
                reminder = reminder_to_deliver(session, reminder_id)
                if reminder is None:  # another worker took it over meanwhile
                    continue
                if self._deliver(reminder, moment):
                    sent += 1
                else:
                    failed += 1
        REQUEST_ID.set(None)  # the pass's other lines (retention) belong to no reminder
        REMINDERS.labels("sent").inc(sent)
        REMINDERS.labels("failed").inc(failed)
        WORKER_PASS_SECONDS.observe(time.perf_counter() - started)
        WORKER_LAST_PASS.set_to_current_time()
        return Tally(sent, failed)

    def run_forever(self, interval_s: float, stop: threading.Event) -> None:
        """Pass after pass until `stop` is set; a database hiccup is logged and retried. Each
        pass also takes one batch of the day's retention sweep, after the reminders."""
        while not stop.is_set():
            try:
                tally = self.run_once()
            except Exception as error:  # the loop must outlive a database restart
                kind = "database" if isinstance(error, SQLAlchemyError) else "worker_pass"
                WORKER_ERRORS.labels(kind).inc()
                logger.exception("reminder pass failed; trying again in %s s", interval_s)
            else:
                if tally.sent or tally.failed:
                    logger.info("reminders: %s sent, %s failed", tally.sent, tally.failed)
            if self.retention is not None:
                self.retention.step()  # logs its own failures, by kind only
            stop.wait(interval_s)

    def _word(self, reminder: Reminder, moment: datetime | None) -> bool:
        """Ask Rasa for the reminder's words and keep them; False (marked failed) if Rasa fails."""
        try:
            messages = self.rasa.trigger_reminder(reminder.learner.sender_id, reminder.id)
        except Exception as error:  # any failure: retry later with back-off
            WORKER_ERRORS.labels("rasa_unavailable").inc()
            self._failed(reminder, error, moment)
            return False
        keep_words(reminder, messages)
        return True

    def _deliver(self, reminder: Reminder, moment: datetime | None) -> bool:
        """Hand the kept words over under their key; marks the reminder sent or failed (one
        user's failure never stops the others)."""
        learner = reminder.learner
        assert reminder.messages is not None and reminder.delivery_key is not None
        try:
            self.deliverer.deliver(
                learner.sender_id, learner.channel, reminder.messages, reminder.delivery_key
            )
        except Exception as error:  # any failure: retry later with back-off
            WORKER_ERRORS.labels("delivery").inc()
            self._failed(reminder, error, moment)
            return False
        mark_sent(reminder, now=moment)
        day = City(None, self.timezone, "", "").today(moment)  # the city's date, as reports count
        record_usage(object_session(reminder), "reminder_sent", learner.channel, day=day)
        return True

    def _failed(self, reminder: Reminder, error: Exception, moment: datetime | None) -> None:
        """Log and keep the error, without Rasa's token, and schedule the retry."""
        reason = redact(f"{type(error).__name__}: {error}", self.rasa.token)
        logger.warning("reminder %s not delivered (attempt %s): %s", reminder.id,
                       reminder.attempts + 1, reason)  # fmt: skip
        mark_failed(reminder, reason, now=moment)


def run_once(
    sessions: sessionmaker[Session],
    rasa_url: str,
    *,
    token: str | None = None,
    deliverer: Deliverer | None = None,
    now: Callable[[], datetime] | None = None,
) -> tuple[int, int]:
    """One pass with default settings; returns (sent, failed)."""
    worker = ReminderWorker(
        sessions, RasaIntentTrigger(rasa_url, token), deliverer or LogDeliverer()
    )
    tally = worker.run_once(now)
    return tally.sent, tally.failed
