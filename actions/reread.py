"""When the NLU hears something off-topic or is unsure, the directory may still know the words: a
listing's title ("how much is Power Hour Homework Help?"), a credential's name ("what is an OSHA
10 card?") or a subject its listings teach ("food handlers card"). Such a message is read again
as the request it is — the way Rasa's two-stage fallback re-reads a confirmed message — so a
city's own names work without any of them in the training data."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, UserUttered
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.base import Events
from actions.resolve import named_credential, named_in_directory, title_words
from knowledge.models import Opportunity
from knowledge.search.interpret import interpret
from knowledge.search.locale_rules import asks_where_to_get
from knowledge.taxonomy import Match, load_taxonomy

DETAILS, CREDENTIAL, SEARCH = "opportunity_details", "ask_credential", "find_opportunity"
MIN_STEM = 4  # letters of a subject word looked for in titles ("handl" finds "Handler")
MIN_SUBJECT_WORD = 5  # shorter words ("game", "art") say too little off-topic
TITLES_PER_WORD = 500  # titles counted per word (a word in more says little on its own)


# "where can I get a forklift licence?", "how do I get my CPR card": a place to get it, not what
# the kind of credential is.
def read_again(session: Session, text: str, *, to_get: bool = False) -> str | None:
    """The intent the directory says the words are: a listing named (details), a credential
    named (what it is), a subject in some listing's title (a search); else None. `to_get`: the
    words name something the learner does not have yet ("food handlers card"), so where to get
    it (a search) comes before what it is."""
    if not text.strip() or text.startswith("/"):
        return None
    if named_in_directory(session, text) is not None:
        return DETAILS
    if to_get and taught_subject(session, text):
        return SEARCH
    if named_credential(session, text) is not None:
        return CREDENTIAL
    return SEARCH if not to_get and taught_subject(session, text) else None


def taught_subject(session: Session, text: str) -> bool:
    """The words name a topic (the city's or the starter vocabulary's) whose own words are in an
    active listing's title: "food handlers" in "Food Handler License Class", while "weather"
    (earth science, which no title here says) stays off-topic."""
    reading = interpret(text, load_taxonomy(session))
    return any(_in_a_title(session, match) for match in [*reading.topics, *reading.concepts])


def _in_a_title(session: Session, match: Match) -> bool:
    """At least half the words the learner used for the topic are in one active listing's title
    ("food handlers card": "Food Handler License Class")."""
    stems = [
        word[: max(MIN_STEM, len(word) - 2)]
        for word in title_words(match.typed)
        if len(word) >= MIN_SUBJECT_WORD
    ]
    counts: Counter[int] = Counter()
    for stem in dict.fromkeys(stems):
        counts.update(
            session.scalars(
                select(Opportunity.id)
                .where(Opportunity.status == "active", Opportunity.title.ilike(f"%{stem}%"))
                .limit(TITLES_PER_WORD)
            )
        )
    needed = (len(set(stems)) + 1) // 2
    return bool(stems) and any(count >= needed for count in counts.values())


def as_if(tracker: Tracker, intent: str) -> Events:
    """The newest message again, as `intent`, for the policies to answer."""
    message: dict[str, Any] = dict(tracker.latest_message or {})
    message["intent"] = {"name": intent, "confidence": 1.0}
    message["intent_ranking"] = [message["intent"]]
    return [
        ActionExecuted("action_listen"),
        UserUttered(
            str(message.get("text") or ""),
            parse_data=message,
            input_channel=tracker.get_latest_input_channel(),
        ),
    ]


def where_to_get(text: str) -> bool:
    """The message asks where or how to get something, not what it is."""
    return asks_where_to_get(text)
