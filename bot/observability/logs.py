"""Logs a machine can read: one JSON object per line, each carrying the request id of the message
being handled, so one learner message can be followed from the gateway through Rasa to its actions.

The gateway makes the id (or takes the load balancer's X-Request-ID), sends it to Rasa in the
message's metadata (`request_id`), and the action server sets it again for each action run from
tracker.latest_message["metadata"].
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# The id of the message being handled in this task (None outside one).
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
METADATA_KEY = "request_id"  # in the message metadata Rasa hands to the actions
HEADER = "X-Request-ID"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # what a load balancer's id looks like
# LogRecord's own attributes: anything else on a record came from `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def new_request_id() -> str:
    """A fresh id: 32 hex digits."""
    return uuid.uuid4().hex


def accepted_request_id(given: object) -> str | None:
    """An id from outside (a header, message metadata) when it looks like one, else None: it goes
    into every log line, so anything longer or stranger is replaced rather than trusted."""
    return given if isinstance(given, str) and _ACCEPTED.fullmatch(given) else None


def ensure_request_id() -> str:
    """The current id, made and set now when there is none (a message that came in without one)."""
    current = REQUEST_ID.get()
    if current is None:
        current = new_request_id()
        REQUEST_ID.set(current)
    return current


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record the handler writes (None outside a message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, with its request_id set."""
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id, the
    service, any `extra=` fields, and the traceback when there is one."""

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        if self.service:
            entry["service"] = self.service
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(
    log_format: str, *, service: str, level: int = logging.INFO, text_format: str = TEXT_FORMAT
) -> logging.Handler:
    """The root logger writing to stderr as text (as before) or JSON; httpx's request lines turned
    down to WARNING. Returns the handler (tests take it off again)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(text_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
