"""Which listing the user means: by number in the last list, by name, or the one being discussed."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process, utils
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from actions.query import as_list
from knowledge.learners import get_or_create_learner
from knowledge.models import Credential, Learner, Opportunity
from knowledge.text import fold

WORDS = re.compile(r"[a-z0-9]+")
ACRONYM = re.compile(r"\(([A-Z][A-Z0-9+]{1,9})\)")  # "Child Development Associate (CDA)"
NAME_THRESHOLD = 70.0
FILLER = {"the", "one", "ones", "that", "this", "tell", "me", "about", "more", "info", "on", "save",
          "add", "it", "to", "my", "plan", "remind", "of", "please", "what", "is", "a", "an",
          "details", "show", "remove", "delete", "from", "list", "club", "class"}  # fmt: skip


# A listing named in full anywhere in the directory ("tell me about Intro to the Wood Lathe"):
# most of its title's words are in the message, spelled closely enough.
TITLE_COVERAGE = 0.75
TITLE_WORDS_MIN = 2  # one shared word ("free", "camp") names no listing
WORD_SIMILARITY = 85.0  # "construccion" ~ "construction", "electrial" ~ "electrical"
TITLE_CANDIDATES = 200  # titles compared, found by the message's longest words
LOOKUP_WORDS = 4
MIN_WORD = 2  # letters of a word that can name a listing ("i" in "Wiring I" cannot)
TITLE_STOPWORDS = {"the", "of", "for", "and", "a", "an", "to", "in", "on", "at", "with", "by",
                   "de", "la", "el", "y", "en", "ages", "age"}  # fmt: skip


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
        said = (tracker.latest_message.get("text") or "") if text is None else text
        wanted = named_in_directory(session, said)
    if wanted is None:
        wanted = tracker.get_slot("selected")
    if wanted is None and len(ids) == 1:
        wanted = ids[0]
    if wanted is None or not str(wanted).isdigit():
        return None
    return session.get(Opportunity, int(wanted))


def title_words(text: str) -> list[str]:
    """The words that can name a listing, folded: no short words, no "the", "of", "ages"."""
    return [
        word
        for word in WORDS.findall(fold(text))
        if len(word) >= MIN_WORD and word not in TITLE_STOPWORDS
    ]


def named_in(text: str, names: Iterable[tuple[int, str]]) -> int | None:
    """The id whose name the message says (most of its words, closely spelled), the fullest
    match first; None when no name is said."""
    said = title_words(text)  # "club" and "class" are words of titles too
    best: tuple[float, int, int] | None = None
    for number, name in names if said else ():
        wanted = title_words(name)
        if any(fold(acronym) in said for acronym in ACRONYM.findall(name)):
            wanted = [word for word in wanted if word in said] or wanted  # "the CDA credential"
        covered = sum(
            1 for word in wanted if any(fuzz.ratio(word, own) >= WORD_SIMILARITY for own in said)
        )
        if not wanted or covered < min(TITLE_WORDS_MIN, len(wanted)):
            continue
        coverage = covered / len(wanted)
        if coverage >= TITLE_COVERAGE and (best is None or (coverage, covered) > best[:2]):
            best = (coverage, covered, number)
    return best[2] if best is not None else None


def named_in_directory(session: Session, text: str) -> str | None:
    """The id of the active listing whose title the message says, anywhere in the directory."""
    said = [word for word in title_words(text) if word not in FILLER]
    if not said or text.startswith("/"):
        return None
    longest = sorted(set(said), key=len, reverse=True)[:LOOKUP_WORDS]
    query = (
        select(Opportunity.id, Opportunity.title)
        .where(Opportunity.status == "active")
        .where(or_(*(Opportunity.title.ilike(f"%{word}%") for word in longest)))
        .limit(TITLE_CANDIDATES)
    )
    found = named_in(text, ((number, title) for number, title in session.execute(query)))
    return str(found) if found is not None else None


def named_credential(session: Session, text: str) -> Credential | None:
    """A credential the message names ("is the CNA certificate recognised?", "what is an OSHA 10
    card?"): most of its name's words, closely spelled."""
    found = named_in(text, session.execute(select(Credential.id, Credential.name)).tuples())
    return session.get(Credential, found) if found is not None else None


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
