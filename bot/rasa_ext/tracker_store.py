"""Rasa's SQL tracker store, configured by one URL, that erases a conversation on "forget me".

Loaded by the Rasa server from bot/endpoints.yml (`type: bot.rasa_ext.tracker_store.…`). The URL
is the endpoint's `url` when given, else WAYFINDER_TRACKER_URL, else a SQLite file
var/tracker.db under the working directory. Rasa falls back to an in-memory store, with only a
warning, when it cannot import a custom store: the Rasa log line "Connected to
WayfinderTrackerStore" is how to tell it loaded.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

FORGET_ACTION = "action_forget_me"
URL_VARIABLE = "WAYFINDER_TRACKER_URL"
DEFAULT_URL = "sqlite:///var/tracker.db"
# Rasa's environment has SQLAlchemy 1.4 and psycopg2; our .venv URLs may name psycopg (3).
DRIVERS = {"postgres": "postgresql", "postgresql+psycopg": "postgresql+psycopg2"}


def tracker_url(configured: str | None = None, env: dict[str, str] | None = None) -> str:
    """The endpoint's url, else WAYFINDER_TRACKER_URL, else the SQLite default; normalised."""
    env = dict(os.environ) if env is None else env
    raw = (configured or "").strip() or env.get(URL_VARIABLE, "").strip() or DEFAULT_URL
    url = make_url(raw)
    url = url.set(drivername=DRIVERS.get(url.drivername, url.drivername))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)  # else Rasa retries forever
    return url.render_as_string(hide_password=False)


def last_forget(events: list[Event]) -> int | None:
    """Index of the last `action_forget_me` in the events, if the user asked to be forgotten."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION:
            return index
    return None


class WayfinderTrackerStore(SQLTrackerStore):
    """SQLTrackerStore from one URL; deletes a sender's stored events when they ask to be forgotten.

    Rasa appends "the tracker's events after as many as are stored since the last session start".
    A tracker that holds `action_forget_me` instead replaces everything stored for its sender by
    the events after that action, in the same transaction. Trackers read back afterwards no
    longer contain the action, so later saves append as usual and the old history never returns.
    """

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        """`host` is the endpoint's `url` (Rasa passes it under that name); usually unset."""
        url = tracker_url(host)
        logger.info("conversations are stored in %s", make_url(url).__repr__())
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)

    def _additional_events(
        self, session: Session, tracker: DialogueStateTracker
    ) -> Iterator[Event]:
        """Events to insert; after "forget me", also delete what was stored (same transaction)."""
        events = list(tracker.events)
        forget = last_forget(events)
        if forget is None:
            appended: Iterator[Event] = super()._additional_events(session, tracker)
            return appended
        deleted = (
            session.query(self.SQLEvent)
            .filter(self.SQLEvent.sender_id == tracker.sender_id)
            .delete(synchronize_session=False)
        )
        logger.info("erased %s stored events of a sender who asked to be forgotten", deleted)
        return itertools.islice(events, forget + 1, None)
