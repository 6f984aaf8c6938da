"""The search form asks for an age only when the search is for someone else; a long story is
searched by the sentence that asks; a place of only stop words is no place."""

from __future__ import annotations

from typing import Any

import pytest

from actions.context import LONG_MESSAGE, request_sentence
from actions.form import ValidateSearchForm, age_matters
from actions.query import build_query
from tests.actions.conftest import Run, entity, slot_events, tracker

STORY = (
    "My daughter is 9 and we just moved to Riverside in the spring. "
    "Last year she did a free art class online on Saturday mornings, and she loved it. "
    "Her teacher said she has a real talent for drawing and building things. "
    "Now she wants a coding club in Spanish."
)


def turn(
    text: str,
    *,
    intent: str = "find_opportunity",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    requested: str | None = None,
) -> Any:
    """A first search message; the slots its entities fill are set after it, as Rasa does."""
    given = {
        **(slots or {}),
        **{e["entity"]: e["value"] for e in entities or [] if e["entity"] != "topic"},
    }
    topics = [e["value"] for e in entities or [] if e["entity"] == "topic"]
    if topics:
        given["topic"] = topics
    filled = [
        {"event": "slot", "name": name, "value": given[name]}
        for name in {e["entity"] for e in entities or []}
    ]
    return tracker(
        text,
        intent=intent,
        entities=entities,
        after=filled,
        slots={"requested_slot": requested, **given},
    )


def validated(run: Run, t: Any) -> dict[str, Any]:
    """The slots one validation sets (requested_slot included)."""
    _, events = run(ValidateSearchForm(), t)
    return slot_events(events)


# -- age only when the search is for someone else ------------------------------------------


def test_a_search_for_oneself_ends_the_form_without_an_age(run: Run, directory: str) -> None:
    """ "I want to learn sign language": results at once, each showing its ages."""
    t = turn("i want to learn coding", entities=[entity("topic", "coding")])
    slots = validated(run, t)
    assert "requested_slot" in slots and slots["requested_slot"] is None
    assert slots.get("age") is None


def test_a_search_for_oneself_said_so_ends_the_form_too(run: Run, directory: str) -> None:
    """Relation "self" ("for me") is not someone else."""
    t = turn(
        "coding classes for me",
        entities=[entity("topic", "coding"), entity("relation", "self")],
    )
    assert validated(run, t)["requested_slot"] is None


def test_a_search_for_a_daughter_asks_her_age(run: Run, directory: str) -> None:
    """Listings are for ages: someone else's age is asked when unknown."""
    t = turn(
        "coding classes for my daughter",
        entities=[entity("topic", "coding"), entity("relation", "daughter")],
    )
    assert validated(run, t)["requested_slot"] == "age"


def test_a_relation_from_an_earlier_message_still_asks_the_age(run: Run, directory: str) -> None:
    """The relation slot counts as well as the message's entity."""
    t = turn("coding classes", entities=[entity("topic", "coding")], slots={"relation": "son"})
    assert validated(run, t)["requested_slot"] == "age"


def test_a_relation_only_in_the_words_asks_the_age(run: Run, directory: str) -> None:
    """The NLU missed "my daughter" (no relation entity): the words still say who it is for."""
    t = turn("coding classes for my daughter", entities=[entity("topic", "coding")])
    slots = validated(run, t)
    assert slots["relation"] == "daughter"
    assert slots["requested_slot"] == "age"


def test_a_refinement_for_someone_else_asks_their_age(run: Run, directory: str) -> None:
    """ "And for my son?" after a search for oneself: his age is asked, not guessed."""
    t = turn("and for my son?", intent="inform", slots={"topic": ["coding"], "relation": "self"})
    slots = validated(run, t)
    assert slots["relation"] == "son"
    assert slots["requested_slot"] == "age"


def test_a_known_age_is_not_asked_for(run: Run, directory: str) -> None:
    """For a daughter whose age the message says: nothing left to ask."""
    t = turn(
        "coding classes for my daughter, she is 9",
        entities=[entity("topic", "coding"), entity("relation", "daughter"), entity("age", "9")],
    )
    slots = validated(run, t)
    assert slots["requested_slot"] is None
    assert slots.get("age", 9.0) == 9.0


def test_an_age_is_still_read_when_not_required(run: Run, directory: str) -> None:
    """ "I'm 35 and want to learn coding": the age narrows the results though none was asked."""
    t = turn("i'm 35 and want to learn coding", entities=[entity("topic", "coding")])
    slots = validated(run, t)
    assert slots["age"] == 35.0
    assert slots["requested_slot"] is None


def test_no_topic_is_asked_for_first_whoever_it_is_for(run: Run, directory: str) -> None:
    """The topic is still required, for oneself too."""
    t = turn("hello there", intent="inform")
    assert validated(run, t)["requested_slot"] == "topic"


@pytest.mark.parametrize(
    ("entities", "slots", "matters"),
    [
        ([], {}, False),
        ([entity("relation", "self")], {}, False),
        ([], {"relation": "self"}, False),
        ([entity("relation", "daughter")], {}, True),
        ([], {"relation": "cousin"}, True),
        ([entity("relation", "self")], {"relation": "son"}, False),  # the newest message wins
    ],
)
def test_age_matters_for_someone_else(
    directory: str, entities: list[dict[str, Any]], slots: dict[str, Any], matters: bool
) -> None:
    """Whom the newest message names, else whom the search was for."""
    assert age_matters(tracker("coding", entities=entities, slots=slots)) is matters


# -- long messages -------------------------------------------------------------------------


def test_a_short_message_has_no_request_sentence() -> None:
    """Up to LONG_MESSAGE characters the whole message is the request."""
    short = "Last year she did art. Now she wants a coding club."
    assert len(short) <= LONG_MESSAGE
    assert request_sentence(short) is None
    assert request_sentence("x" * LONG_MESSAGE) is None


def test_the_request_sentence_is_the_last_one_that_asks() -> None:
    """A story with two asking sentences: the last one is the request."""
    assert len(STORY) > LONG_MESSAGE
    assert request_sentence(STORY) == "Now she wants a coding club in Spanish."
    story = "She wanted piano lessons last year. " * 5 + "Is there a robotics team? Thanks a lot!"
    assert request_sentence(story) == "Is there a robotics team?"


def test_a_long_message_that_asks_nothing_has_no_request_sentence() -> None:
    """No cue: the whole message is read as before."""
    story = "We moved here last spring and my son loves the park by the river. " * 4
    assert len(story) > LONG_MESSAGE
    assert request_sentence(story) is None


def test_a_long_story_takes_its_filters_only_from_the_request(run: Run, directory: str) -> None:
    """ "Free", "online", "Saturday mornings" were last year's class; Spanish is asked for now."""
    t = turn(STORY, entities=[entity("topic", "coding")])
    slots = validated(run, t)
    assert slots.get("cost") is None
    assert slots.get("schedule") is None
    assert slots.get("format") is None
    assert slots["language"] == "es"


def test_a_long_story_gives_age_place_and_relation_from_anywhere(run: Run, directory: str) -> None:
    """Who it is for, how old and where they live may be said before the request."""
    t = turn(STORY, entities=[entity("topic", "coding")])
    slots = validated(run, t)
    assert slots["age"] == 9.0
    assert slots["location"] == "Riverside"
    assert slots["relation"] == "daughter"


def test_the_same_words_in_a_short_message_keep_their_filters(run: Run, directory: str) -> None:
    """Only a long message is read by its request: a short one's filters all count."""
    text = "a free coding club online on Saturday mornings, in Spanish"
    assert len(text) <= LONG_MESSAGE
    slots = validated(run, turn(text, entities=[entity("topic", "coding")]))
    assert slots["cost"] == "free"
    assert slots["format"] == "online"
    assert slots["schedule"] == ["Sat", "morning"]
    assert slots["language"] == "es"


def test_a_long_request_drops_filters_its_request_does_not_ask_for(
    run: Run, directory: str
) -> None:
    """A filter kept from before that only the story mentions is not asked for now."""
    t = turn(STORY, entities=[entity("topic", "coding")], slots={"format": "online"})
    assert validated(run, t)["format"] is None


# -- a place of only stop words ------------------------------------------------------------


@pytest.mark.parametrize("location", ["At", "at the", "In"])
def test_a_location_of_only_stop_words_is_no_neighbourhood(location: str) -> None:
    """ "At home we speak Spanish": the NLU took "At" for a place."""
    query = build_query(tracker("x", slots={"topic": ["coding"], "location": location}))
    assert query.neighbourhood is None


@pytest.mark.parametrize("location", ["Riverside", "The Flats", "Old Town"])
def test_a_place_name_is_kept_even_beginning_with_a_stop_word(location: str) -> None:
    """ "The Flats" has a word of its own: it is a place."""
    query = build_query(tracker("x", slots={"topic": ["coding"], "location": location}))
    assert query.neighbourhood == location
