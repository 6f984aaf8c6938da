"""Rasa's SQL tracker store, configured by one URL, that erases a conversation on "forget me".

Loaded by the Rasa server from bot/endpoints.yml (`type: bot.rasa_ext.tracker_store.…`);
`url` comes from WAYFINDER_TRACKER_URL (any SQLAlchemy URL; SQLite file by default).
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine.url import make_url

logger = logging.getLogger(__name__)
FORGET_ACTION = "action_forget_me"


class WayfinderTrackerStore(SQLTrackerStore):
    """From one URL; deletes a sender's stored events when they ask to be forgotten."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        """`host` is the endpoint's `url`: e.g. sqlite:///var/tracker.db or postgresql://…"""
        url = make_url(host or "sqlite:///var/tracker.db")
        dialect = url.drivername.split("+")[0]  # Rasa's venv has psycopg2: drop "+psycopg"
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=url.host,
            port=url.port,
            db=url.database or "",
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            **kwargs,
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store new events; after `action_forget_me`, delete everything stored before it."""
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            new = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            forgets = [
                i
                for i, event in enumerate(new)
                if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION
            ]
            if not forgets:
                await super().save(tracker)
                return
            session.query(self.SQLEvent).filter(
                self.SQLEvent.sender_id == tracker.sender_id
            ).delete(synchronize_session=False)
            session.commit()
        kept = new[forgets[-1] + 1 :]
        logger.info("erased the stored conversation of a sender who asked to be forgotten")
        forgotten = DialogueStateTracker.from_events(
            tracker.sender_id, kept, slots=list(tracker.slots.values())
        )
        await super().save(forgotten)
