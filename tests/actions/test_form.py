"""The search form reads ages the ways people write them and asks again for impossible ones."""

from __future__ import annotations

from typing import Any

import pytest

from actions.form import ValidateSearchForm
from tests.actions.conftest import Run, entity, slot_events, tracker


def form_turn(
    text: str,
    *,
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    requested: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Any:
    """The form's turn: what the NLU filled from this message is set after it, as Rasa does."""
    given = slots or {}
    filled = [
        {"event": "slot", "name": e["entity"], "value": given[e["entity"]]}
        for e in entities or []
        if e["entity"] in given
    ]
    return tracker(
        text,
        intent=intent,
        entities=entities,
        events=events,
        after=filled,
        slots={"requested_slot": requested, **given},
    )


def validated(run: Run, t: Any) -> tuple[list[str], dict[str, Any], list[dict[str, Any]]]:
    """(responses sent, slots set, messages) of one validation."""
    messages, events = run(ValidateSearchForm(), t)
    return [m["response"] for m in messages], slot_events(events), messages


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("she'll be 10 next month", 10),
        ("he turns 10 soon", 10),
        ("my twins are nine", 9),
        ("she's 10", 10),
        ("she’s eleven", 11),
        ("for my 12-year-old", 12),
        ("a twelve year old", 12),
        ("9 yo", 9),
        ("8 y/o", 8),
        ("she's in 5th grade", 10),
        ("my 3rd grader", 8),
        ("kindergarten", 5),
        ("nine", 9),
        ("twelve years old", 12),
        ("about 14 i think", 14),
        ("my baby is 18 months", 1),
    ],
)
def test_ages_in_the_ways_people_write_them(run: Run, directory: str, text: str, age: int) -> None:
    sent, slots, _ = validated(run, form_turn(text, slots={"topic": ["art"]}, requested="age"))
    assert slots["age"] == float(age)
    assert "utter_invalid_age" not in sent


def test_an_age_found_in_a_search_message_fills_the_form_without_asking(
    run: Run, directory: str
) -> None:
    t = form_turn(
        "any art classes? my twins are nine",
        intent="find_opportunity",
        entities=[entity("topic", "art")],
        slots={"topic": ["art"]},
    )
    _, slots, _ = validated(run, t)
    assert slots["age"] == 9.0


def test_an_age_the_nlu_kept_as_a_word_is_read_as_a_number(run: Run, directory: str) -> None:
    t = form_turn(
        "she's nine", entities=[entity("age", "nine")], slots={"age": "nine"}, requested="age"
    )
    assert validated(run, t)[1]["age"] == 9.0


def test_a_grade_the_nlu_kept_as_a_word_becomes_an_age(run: Run, directory: str) -> None:
    t = form_turn(
        "she's in kindergarten",
        entities=[entity("grade", "kindergarten")],
        slots={"grade": "kindergarten"},
        requested="age",
    )
    assert validated(run, t)[1]["age"] == 5.0


@pytest.mark.parametrize(
    ("text", "entities", "slots"),
    [
        ("-3", [], {}),
        ("she's -3", [entity("age", "3")], {"age": 3.0}),
        ("0", [], {}),
        ("150", [entity("age", "150")], {"age": 150.0}),
        ("999", [], {}),
        ("he is 200 years old", [], {}),
    ],
)
def test_negative_or_absurd_ages_are_asked_again_saying_what_was_wrong(
    run: Run, directory: str, text: str, entities: list[dict[str, Any]], slots: dict[str, Any]
) -> None:
    t = form_turn(text, entities=entities, slots={"topic": ["art"], **slots}, requested="age")
    sent, filled, messages = validated(run, t)
    assert filled["age"] is None
    assert sent == ["utter_invalid_age"]
    assert messages[0]["given"].lstrip("-") in text


def test_a_baby_in_months_is_age_zero_not_refused(run: Run, directory: str) -> None:
    sent, slots, _ = validated(run, form_turn("6 months old", slots={"topic": ["reading"]}))
    assert slots["age"] == 0.0 and sent == []


def test_an_answer_without_an_age_asks_again(run: Run, directory: str) -> None:
    sent, slots, _ = validated(run, form_turn("hmm", slots={"topic": ["art"]}, requested="age"))
    assert slots["age"] is None and sent == ["utter_invalid_age"]


def test_someone_else_without_a_known_age_is_asked_about_without_a_complaint(
    run: Run, directory: str
) -> None:
    before = [
        {"event": "slot", "name": "relation", "value": "daughter"},
        {"event": "slot", "name": "age", "value": 9.0},
    ]
    t = form_turn(
        "and for her cousin?",
        entities=[entity("relation", "cousin")],
        slots={"topic": ["art"], "age": 9.0, "relation": "cousin"},
        events=before,
    )
    sent, slots, _ = validated(run, t)
    assert slots["age"] is None  # the form asks "how old?" for the cousin
    assert sent == []


def test_her_brother_with_his_age_keeps_the_search_for_him(run: Run, directory: str) -> None:
    t = form_turn(
        "for her brother, he's 14",
        entities=[entity("relation", "brother"), entity("age", "14")],
        slots={"topic": ["swimming"], "age": 14.0, "relation": "brother"},
        events=[{"event": "slot", "name": "relation", "value": "daughter"}],
    )
    sent, slots, _ = validated(run, t)
    assert slots.get("age", 14.0) == 14.0 and sent == []


@pytest.mark.parametrize("intent", ["out_of_scope", "greet", "thank", "help"])
def test_messages_outside_the_search_fill_nothing(run: Run, directory: str, intent: str) -> None:
    t = form_turn(
        "lol my 9 year old says robots are boring, is it sunny in Riverside on saturday?",
        intent=intent,
        slots={"topic": ["art"]},
        requested="age",
    )
    sent, slots, _ = validated(run, t)
    assert sent == []
    assert {name for name, value in slots.items() if value is not None} <= {"topic"}
    assert slots.get("topic", ["art"]) == ["art"]


def test_someone_else_the_nlu_missed_is_read_from_the_words(run: Run, directory: str) -> None:
    before = [
        {"event": "slot", "name": "relation", "value": "daughter"},
        {"event": "slot", "name": "age", "value": 9.0},
    ]
    t = form_turn(
        "and for her cousin?", slots={"topic": ["art"], "age": 9.0, "relation": "daughter"},
        events=before,
    )  # fmt: skip
    sent, slots, _ = validated(run, t)
    assert slots["relation"] == "cousin" and slots["age"] is None and sent == []


def test_with_two_ages_the_one_they_are_about_to_be_counts(run: Run, directory: str) -> None:
    t = form_turn(
        "she's 9, she'll be 10 next month",
        entities=[entity("age", "9"), entity("age", "10")],
        slots={"topic": ["art"], "age": 9.0},
        requested="age",
    )
    assert validated(run, t)[1]["age"] == 10.0


@pytest.mark.parametrize("text", ["-3", "999", "0"])
def test_a_bare_impossible_age_after_the_results_is_refused_too(
    run: Run, directory: str, text: str
) -> None:
    t = form_turn(text, slots={"topic": ["art"], "age": 9.0})  # the form is not asking
    sent, slots, _ = validated(run, t)
    assert sent == ["utter_invalid_age"] and slots["age"] is None


def test_a_number_among_other_words_is_no_age_unless_asked(run: Run, directory: str) -> None:
    sent, slots, _ = validated(run, form_turn("show me 5 more", slots={"topic": ["art"]}))
    assert "age" not in slots and sent == []
