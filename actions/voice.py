"""How an action speaks to this learner: their chat language in the city's region."""

from __future__ import annotations

from rasa_sdk import Tracker

from knowledge.city import City
from knowledge.search.formats import Voice, voice_of


def voice(tracker: Tracker, city: City) -> Voice:
    """The `chat_language` slot (None: the source language) with the city's locale."""
    language = tracker.get_slot("chat_language")
    return voice_of(str(language) if language else None, city.locale)
