"""What every directory-backed action shares: a session, and an apology instead of silence."""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.db import directory_session

logger = logging.getLogger(__name__)

Events = list[dict[str, Any]]


class DirectoryAction(Action, metaclass=ABCMeta):
    """Runs `act` in a transaction; a database failure becomes utter_technical_trouble."""

    @abstractmethod
    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        """The action's work; messages are collected and only sent if the transaction commits."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        """Messages are held back until the commit, so the user never hears of unsaved work."""
        collected = CollectingDispatcher()
        try:
            with directory_session() as session:
                events = self.act(collected, tracker, domain, session)
        except SQLAlchemyError:
            logger.exception("%s failed on the database", self.name())
            dispatcher.utter_message(response="utter_technical_trouble")
            return []
        dispatcher.messages.extend(collected.messages)
        return events
