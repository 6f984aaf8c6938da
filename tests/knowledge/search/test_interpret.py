"""Reading plain sentences as filters: ages, costs, times, formats, languages, topics, places."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from knowledge.search import interpret as interpret_module
from knowledge.search.interpret import (
    MAX_INTERPRETED_CHARS,
    RULES,
    grade_value,
    interpret,
    number_value,
)
from knowledge.taxonomy import Taxonomy
from tests.deadline import deadline

TAXONOMY = Taxonomy(
    topics=[(1, "coding"), (2, "art"), (3, "robotics"), (4, "english language"), (5, "spanish")],
    synonyms=[
        (1, "programming"),
        (1, "computer science"),
        (2, "painting"),
        (2, "drawing"),
        (3, "lego robotics"),
        (4, "esl"),
        (5, "learn spanish"),
    ],
    neighbourhoods=[(1, "Riverside", 41.49, -81.69), (2, "Old Town", 41.5, -81.67)],
    aliases=[(2, "downtown")],
)


def understood(text: str) -> dict[str, Any]:
    """The interpretation's non-empty fields, topics and place by name."""
    found = interpret(text, TAXONOMY)
    fields = {
        key: value
        for key, value in vars(found).items()
        if value not in (None, False, [], "") and key not in {"text", "topics", "neighbourhood"}
    }
    if found.topics:
        fields["topics"] = [match.name for match in found.topics]
    if found.neighbourhood is not None:
        fields["place"] = found.neighbourhood.name
    return fields


def test_free_coding_club_for_a_12_year_old() -> None:
    assert understood("free coding club for a 12 year old") == {
        "age": 12,
        "free_only": True,
        "topics": ["coding"],
        "terms": ["club"],
    }


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("coding for my 9-year-old", 9),
        ("coding for a 12yo", 12),
        ("coding for 12 yo", 12),
        ("coding 14 years old", 14),
        ("coding aged 12", 12),
        ("coding age 11", 11),
        ("coding for a 7th grader", 12),
        ("coding for a 7th-grader", 12),
        ("coding grade 7", 12),
        ("coding for 1st grade", 6),
        ("coding for kindergarteners", 5),
        ("I'm 16 and like coding", 16),
        ("she's 11 and likes coding", 11),
        ("coding for my twins, they are nine", 9),
        ("my twins are nine and like coding", 9),
        ("my son's 12, into coding", 12),
        ("coding for my daughter who is 8", 8),
        ("she’s 10 and loves coding", 10),
        ("coding for a twelve year old", 12),
        ("coding for my nine-year-old", 9),
        ("coding, aged nine", 9),
        ("age: 14", 14),
        ("I'm twenty-one and want coding", 21),
        ("coding for a 9 y/o", 9),
        ("coding for a 3rd grader", 8),
        ("coding for a fifth-grader", 10),
        ("second grade coding", 7),
        ("coding for kindergartners", 5),
        ("pre-k coding", 4),
        # the age they are about to be: programmes enrol ahead
        ("she'll be 10 next month", 10),
        ("he turns 10 soon", 10),
        ("she just turned four in september", 4),
        ("my daughter turned 12 last week", 12),
        ("she is turning seven", 7),
        ("my 12 yr old turns 13 next month", 13),
        ("he's going to be 13 in may", 13),
        # babies: months in whole years
        ("story time for my 18 month old", 1),
        ("my baby is 6 months", 0),
    ],
)
def test_ages_are_read_in_the_ways_people_write_them(text: str, age: int) -> None:
    assert interpret(text, TAXONOMY).age == age


@pytest.mark.parametrize(
    "text",
    [
        "coding for 10 minutes",
        "coding in 3d",
        "grade 15 coding",
        "I'm one of the parents asking about coding",
        "i'm 5 minutes away from the library",
        "there will be 5 kids",
        "they're 3 of us",
        "coding for -3 year olds",
        "coding for 1.5 years old",
        "coding ages 8-10",
        "the class is 10 dollars",
    ],
)
def test_numbers_that_are_not_ages_are_not_taken_as_ages(text: str) -> None:
    assert "age" not in understood(text)


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), ("nine", 9), ("Twenty-One", 21), ("twenty one", 21), ("zero", 0)],
)
def test_numbers_in_digits_or_words(text: str, number: int) -> None:
    assert number_value(text) == number


@pytest.mark.parametrize("text", ["", "nine nine", "ten one", "12.5", "one two three", "lots"])
def test_what_is_not_one_whole_number_is_none(text: str) -> None:
    assert number_value(text) is None


@pytest.mark.parametrize(
    ("text", "grade"), [("7", 7), ("7th", 7), ("seventh", 7), ("k", 0), ("Kindergarten", 0)]
)
def test_grades_in_digits_ordinals_or_words(text: str, grade: int) -> None:
    assert grade_value(text) == grade


# Texts built to make a pattern backtrack over a run of spaces. Where a rule matches it leaves a
# space, so " 1yo" * n once became a run of 2n spaces after "after" or "3", which
# "after\s*-?\s*school" and the "3-d" word pattern tried every split of (the first took 7.8 s
# on 100,000 characters). Each is `n` characters long or so.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "spaces after a number": lambda n: "1" + " " * n + "x",  # 4.9 s at 20,000 when not collapsed
    "spaces after an age": lambda n: "she is " + " " * n + "x",
    "repeated people": lambda n: "my twins are " * (n // 13),
    "repeated numbers": lambda n: "twenty " * (n // 7),
    "dashes after grade": lambda n: "grade" + " -" * (n // 2),
    "dashes before years": lambda n: "9" + " - " * (n // 3) + "years",
    "numbers": lambda n: "1 " * (n // 2),
    "dashed words": lambda n: "a - " * (n // 4),
    "ages claimed after 'after'": lambda n: "after" + " 1yo" * (n // 4),
    "ages claimed after 'face'": lambda n: "face" + " 1yo" * (n // 4),
    "ages claimed after a language": lambda n: "spanish" + " 1yo" * (n // 4),
    "ages claimed after '3'": lambda n: "3" + " 1yo" * (n // 4),
}
# Seconds a 200,000-character text may take to read: ~0.5 s now, a minute when quadratic.
GENEROUS = 10


@pytest.mark.parametrize("make", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_long_messages_are_read_in_linear_time(
    make: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read whole (past the length bound), so it is the patterns that must stay linear.
    monkeypatch.setattr(interpret_module, "MAX_INTERPRETED_CHARS", 1_000_000)
    with deadline(GENEROUS):
        interpret(make(200_000))


@pytest.mark.parametrize(
    "word", ["after", "in", "on", "face", "spanish", "under", "week", "free", "she", "i", "3"]
)
def test_no_pattern_backtracks_over_a_run_of_spaces(word: str) -> None:
    # Whitespace is collapsed before each pattern; this holds even if a run slipped through.
    text = word + " " * 100_000 + "!"
    with deadline(GENEROUS):
        for pattern, _handler in RULES:
            pattern.sub(" ", text)


def test_only_the_start_of_a_long_message_is_read() -> None:
    text = "free coding " + "and also " * (MAX_INTERPRETED_CHARS // 9) + "near Riverside"
    found = understood(text)
    assert found["free_only"] is True
    assert "place" not in found


def test_a_word_cut_by_the_length_bound_is_left_out() -> None:
    # "freedom" is not "free"; its first four letters alone would be.
    text = "x" * (MAX_INTERPRETED_CHARS - 5) + " freedom"
    assert "free_only" not in understood(text)
    assert "free_only" in understood("x" * (MAX_INTERPRETED_CHARS - 5) + " free")


@pytest.mark.parametrize(
    "text", ["free coding", "coding free of charge", "coding at no cost", "no-cost coding"]
)
def test_free_is_read_from_its_usual_phrasings(text: str) -> None:
    assert understood(text)["free_only"] is True


@pytest.mark.parametrize("text", ["coding in my free time", "sugar-free cooking"])
def test_free_in_other_senses_is_not_a_cost_filter(text: str) -> None:
    assert "free_only" not in understood(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("coding under $50", Decimal("50")),
        ("coding less than 30 dollars", Decimal("30")),
        ("coding $25 or less", Decimal("25")),
        ("coding up to $12.50", Decimal("12.50")),
    ],
)
def test_a_price_ceiling_is_read_with_its_amount(text: str, amount: Decimal) -> None:
    assert understood(text)["max_cost"] == amount


def test_under_a_bare_number_is_not_a_price() -> None:
    assert "max_cost" not in understood("coding for kids under 12")


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("coding on weekends", "when", ["weekend"]),
        ("coding after-school", "when", ["after_school"]),
        ("coding after school", "when", ["after_school"]),
        ("coding in the evening", "when", ["evening"]),
        ("coding saturday mornings", "when", ["morning"]),
        ("coding saturday mornings", "days", ["Sat"]),
        ("coding this summer", "when", ["summer"]),
        ("coding on weeknights", "when", ["weekday", "evening"]),
        ("coding online", "format", "online"),
        ("virtual coding", "format", "online"),
        ("in-person coding", "format", "in_person"),
        ("coding in person", "format", "in_person"),
        ("coding in Spanish", "language", "es"),
        ("coding en español", "language", "es"),
        ("coding for Arabic speakers", "language", "ar"),
        ("coding starting this month", "upcoming_days", 31),
    ],
)
def test_times_formats_and_languages(text: str, field: str, value: object) -> None:
    assert understood(text)[field] == value


def test_a_language_as_the_subject_is_a_topic_not_a_language_filter() -> None:
    assert understood("learn spanish") == {"topics": ["spanish"]}
    assert understood("esl classes in spanish") == {
        "topics": ["english language"],
        "language": "es",
        "terms": ["class"],
    }


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("art near Riverside", "Riverside"),
        ("art in old town", "Old Town"),
        ("art downtown", "Old Town"),
        ("art near Riversid", "Riverside"),
        ("art near rivrside", "Riverside"),
    ],
)
def test_neighbourhoods_by_name_alias_or_typo(text: str, place: str) -> None:
    assert understood(text)["place"] == place


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("programming", ["coding"]),
        ("computer science", ["coding"]),
        ("robtics", ["robotics"]),
        ("codding", ["coding"]),
        ("paintings", ["art"]),
        ("lego robotics and drawing", ["robotics", "art"]),
    ],
)
def test_topics_by_name_synonym_lemma_or_typo(text: str, topics: list[str]) -> None:
    assert understood(text)["topics"] == topics


def test_words_about_the_kind_of_listing_are_never_corrected_into_topics() -> None:
    # "program" is one letter away from "programme", the lemma of "programming".
    assert understood("summer program") == {"when": ["summer"], "terms": ["program"]}


def test_without_a_taxonomy_only_filters_are_read() -> None:
    found = interpret("free coding near Riverside for a 10 year old")
    assert (found.free_only, found.age, found.topics, found.neighbourhood) == (True, 10, [], None)
    assert found.terms == ["code", "riverside"]


@pytest.mark.parametrize(
    ("text", "audience"),
    [
        ("coding for teens", (13, 18)),
        ("art for kids and teenagers", (5, 18)),
        ("english classes for adults", (18, 120)),
        ("computer help for seniors", (55, 120)),
    ],
)
def test_who_it_is_for_is_read_as_an_age_span(text: str, audience: tuple[int, int]) -> None:
    assert interpret(text, TAXONOMY).audience == audience


@pytest.mark.parametrize(
    ("text", "relation"),
    [
        ("and for her cousin?", "cousin"),
        ("for my son, he's 7", "son"),
        ("my twins are nine", "child"),
        ("something for me please", "self"),
        ("i'm 11 and i like robotics", "self"),  # a child speaking for themselves (issue #13)
        ("I am 35 and want english classes", "self"),
        ("art for my granddaughter", "grandchild"),
        ("my english is not so good", None),
        ("coding for kids", None),
    ],
)
def test_who_it_is_for_is_read_without_taking_the_words(text: str, relation: str | None) -> None:
    assert interpret(text).relation == relation


def test_a_relation_word_still_says_which_ages_fit() -> None:
    assert interpret("art for my kid", TAXONOMY).audience == (5, 12)
