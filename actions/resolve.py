"""Which listing the user means: by number in the last list, by name, or the one being discussed."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process, utils
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.query import as_list
from knowledge.learners import get_or_create_learner
from knowledge.models import Learner, Opportunity

WORDS = re.compile(r"[a-z0-9]+")
NAME_THRESHOLD = 70.0
FILLER = {"the", "one", "ones", "that", "this", "tell", "me", "about", "more", "info", "on", "save",
          "add", "it", "to", "my", "plan", "remind", "of", "please", "what", "is", "a", "an",
          "details", "show", "remove", "delete", "from", "list", "club", "class"}  # fmt: skip


def ordinal_index(value: object, count: int) -> int | None:
    """'2' → 1, 'last' → count-1; None when it does not point into the list."""
    text = str(value or "").strip().lower()
    if text == "last" and count:
        return count - 1
    if text.isdigit() and 1 <= int(text) <= count:
        return int(text) - 1
    return None


def latest_entity(tracker: Tracker, name: str) -> str | None:
    """An entity of the newest message only (slots keep old values; this must not)."""
    values = list(tracker.get_latest_entity_values(name))
    return str(values[0]) if values else None


def by_name(text: str, candidates: dict[str, str]) -> str | None:
    """The candidate id whose title best matches the message ("the robotics one")."""
    words = " ".join(w for w in WORDS.findall(text.lower()) if w not in FILLER)
    if len(words) < 3 or not candidates:
        return None
    # Titles are compared in lower case, as the message is ("the follow up one" ~ "Follow Up …").
    best = process.extractOne(
        words, candidates, scorer=fuzz.partial_ratio, processor=utils.default_process
    )
    if best is None or best[1] < NAME_THRESHOLD:
        return None
    return str(best[2])


def shown_ids(tracker: Tracker) -> list[str]:
    """The ids listed so far, in the numbering the user saw."""
    results = as_list(tracker.get_slot("results"))
    shown = int(float(tracker.get_slot("results_shown") or 0))
    return results[: shown or len(results)]


def resolve_opportunity(
    session: Session, tracker: Tracker, ids: list[str] | None = None, text: str | None = None
) -> Opportunity | None:
    """The listing meant by ordinal, by name (in `text`, else the message), the selected one, or
    the only one listed — in that order. A number that points at nothing is not guessed at."""
    ids = shown_ids(tracker) if ids is None else ids
    wanted: str | None = None
    ordinal = latest_entity(tracker, "ordinal")
    index = ordinal_index(ordinal, len(ids))
    if index is not None:
        wanted = ids[index]
    elif ordinal is not None:
        return None  # "the fifth one" of three: ask, rather than answer about another listing
    if wanted is None and ids:
        titles = _titles(session, ids)
        said = (tracker.latest_message.get("text") or "") if text is None else text
        wanted = by_name(said, titles)
    if wanted is None:
        wanted = tracker.get_slot("selected")
    if wanted is None and len(ids) == 1:
        wanted = ids[0]
    if wanted is None or not str(wanted).isdigit():
        return None
    return session.get(Opportunity, int(wanted))


def resolve_or_ask(
    dispatcher: CollectingDispatcher, session: Session, tracker: Tracker, text: str | None = None
) -> Opportunity | None:
    """The listing meant, or None after asking the user which one (utter_which_one)."""
    opportunity = resolve_opportunity(session, tracker, text=text)
    if opportunity is None:
        dispatcher.utter_message(response="utter_which_one")
    return opportunity


def current_learner(session: Session, tracker: Tracker) -> Learner:
    """The learner behind this conversation, created on first use, with the channel they use."""
    return get_or_create_learner(session, tracker.sender_id, tracker.get_latest_input_channel())


def _titles(session: Session, ids: list[str]) -> dict[str, str]:
    """id → title for the listed ids that still exist."""
    found: dict[str, str] = {}
    for value in ids:
        if value.isdigit():
            opportunity = session.get(Opportunity, int(value))
            if opportunity is not None:
                found[value] = opportunity.title
    return found
