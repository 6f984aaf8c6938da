"""What a question about one listing asks, read from its words with questions.yml."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.vocabulary.questions import (
    QuestionWordsError,
    asked_about,
    asking_phrases,
    question_words,
)


def attributes(text: str) -> list[str]:
    """The attributes `text` asks about, in order."""
    return [asked.attribute for asked in asked_about(text)]


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("how much is it?", "cost"),
        ("is there financial aid?", "cost"),
        ("what time is it on?", "schedule"),
        ("how often does it meet?", "schedule"),
        ("when does it start?", "dates"),
        ("how long does it last?", "dates"),
        ("what is the deadline?", "deadline"),
        ("is it too late?", "deadline"),
        ("where is it?", "place"),
        ("what's the address?", "place"),
        ("what ages is it for?", "ages"),
        ("is my son old enough?", "ages"),
        ("what language is it taught in?", "language"),
        ("is it bilingual?", "language"),
        ("what certificate do i get?", "awards"),
        ("does it give college credit?", "awards"),
        ("what comes next after it?", "next"),
        ("what does it lead to?", "next"),
        ("how do i sign up?", "apply"),
        ("is there a waiting list?", "apply"),
        ("is it wheelchair accessible?", "accessibility"),
        ("is there an elevator?", "accessibility"),
        ("how do i get there by bus?", "transport"),
        ("is there parking?", "transport"),
        ("who runs it?", "provider"),
        ("what's their phone number?", "provider"),
        ("who can join?", "eligibility"),
        ("are there any prerequisites?", "eligibility"),
    ],
)
def test_each_attribute_is_found_by_a_typical_phrase(text: str, attribute: str) -> None:
    """Learners ask in everyday words; each attribute must be reachable by them."""
    assert attributes(text) == [attribute]


def test_every_attribute_has_phrases_that_ask_it() -> None:
    """An attribute without phrases could never be asked about."""
    asks = set(question_words().asks.values())
    assert asks == {
        "cost", "schedule", "dates", "deadline", "place", "ages", "language", "awards", "next",
        "apply", "accessibility", "transport", "provider", "eligibility",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("who can join?", ["eligibility"]),  # not "join" (apply)
        ("can i join?", ["apply"]),
        ("what's the last day to apply?", ["deadline"]),  # not "apply"
        ("can i apply by friday?", ["deadline"]),
        ("is it in spanish?", ["language"]),  # "in spanish" is one phrase
    ],
)
def test_the_longest_phrase_wins(text: str, expected: list[str]) -> None:
    """Where phrases overlap, the longer one says what is meant."""
    assert attributes(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is it free?", ["cost"]),
        ("and is it online?", ["place"]),
        ("ok for a 9 year old?", ["ages"]),
        ("is it for a 4th grader?", ["ages"]),
        ("is it on weekends?", ["schedule"]),
        ("does it run in french?", ["language"]),
        ("tell me about the free one", []),
        ("the online one please", []),
        ("the free one, where is it?", ["place"]),
        ("how much is it for my 9 year old?", ["cost"]),
    ],
)
def test_value_words_only_ask_in_a_yes_or_no_question(text: str, expected: list[str]) -> None:
    """A question like "is it free?" asks the cost; in "the free one" the word names a listing."""
    assert attributes(text) == expected


@pytest.mark.parametrize(
    "text", ["tell me about it", "tell me more about the second one", "show me the details", ""]
)
def test_asking_for_the_whole_listing_asks_no_attribute(text: str) -> None:
    """Without an attribute, the whole listing is the answer."""
    assert asked_about(text) == []


def test_asking_about_something_while_saying_details_still_asks_it() -> None:
    """Words asking for the details do not hide a question the same message asks."""
    assert attributes("tell me about the cost") == ["cost"]


def test_attributes_come_in_the_order_they_are_said() -> None:
    """The first question asked is answered first."""
    assert attributes("how do i sign up and how much is it?") == ["apply", "cost"]
    assert attributes("how much is it and how do i sign up?") == ["cost", "apply"]
    assert attributes("is it free, and where is it?") == ["cost", "place"]  # a value first


def test_each_attribute_is_asked_once_at_its_first_phrase() -> None:
    """Asked twice in other words, the cost is answered once."""
    text = "how much is it, what's the price and is there a fee?"
    (asked,) = asked_about(text)
    assert asked.attribute == "cost"
    assert text[asked.start : asked.end] == "how much"


def test_every_phrase_asking_is_found_with_repeats() -> None:
    """What is left once every asking phrase is removed may name a listing."""
    text = "is it wheelchair accessible?"
    assert [text[a.start : a.end] for a in asking_phrases(text)] == ["wheelchair", "accessible"]
    assert [a.attribute for a in asking_phrases(text)] == ["accessibility", "accessibility"]


def test_accents_and_case_are_ignored_and_the_span_is_the_original_text() -> None:
    """Both "ESPAÑOL" and "espanol" are one word; the span points at what was typed."""
    assert attributes("Is It FREE?") == ["cost"]
    assert attributes("is it in ESPAÑOL?") == ["language"]
    assert attributes("is it in espanol?") == ["language"]
    text = "HOW   Much is it?"
    (asked,) = asked_about(text)
    assert text[asked.start : asked.end] == "HOW   Much"


def test_a_language_without_its_own_phrases_uses_english() -> None:
    """A city in another language still answers questions in English."""
    assert attributes_in("how much is it?", "xx") == ["cost"]


def attributes_in(text: str, language: str) -> list[str]:
    """The attributes `text` asks about in `language`."""
    return [asked.attribute for asked in asked_about(text, language)]


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """question_words is cached; a file written by a test must not linger after it."""
    question_words.cache_clear()
    yield
    question_words.cache_clear()


@pytest.mark.usefixtures("fresh_cache")
@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("es:\n  asks: {cost: [cuanto]}\n", "needs an 'en' section"),
        ("en: [how much]\n", "broken.yml: en must map"),
        ("en:\n  values: {cost: [free]}\n", "broken.yml: en.asks must map"),
        ("en:\n  asks: [how much]\n", "broken.yml: en.asks must map"),
        ("en:\n  asks: {cost: how much}\n", "broken.yml: en.asks.cost must be a list"),
        ("en:\n  asks: {cost: [how much, 3]}\n", "broken.yml: en.asks.cost must be a list"),
        ("en:\n  asks: {cost: [fee]}\n  values: [free]\n", "broken.yml: en.values must map"),
        ("en:\n  asks: {cost: [fee]}\n  whole: details\n", "broken.yml: en.whole must be a list"),
        ("en:\n  asks: {cost: [fee]}\n  yes_no: {is: it}\n", "broken.yml: en.yes_no must be"),
        ("- en\n", "needs an 'en' section"),
    ],
)
def test_a_malformed_file_is_refused_saying_where(content: str, where: str, tmp_path: Path) -> None:
    """A broken questions.yml must stop the bot with a clear message, not answer at random."""
    path = tmp_path / "broken.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(QuestionWordsError, match=where):
        question_words(path=path)


@pytest.mark.usefixtures("fresh_cache")
def test_a_well_formed_file_is_read_as_phrase_words(tmp_path: Path) -> None:
    """Phrases are folded into words, so the file may use any case and accents."""
    path = tmp_path / "questions.yml"
    path.write_text(
        "en:\n  asks: {cost: [How Much, Precio]}\n  values: {language: [Español]}\n"
        "  whole: [Tell me about]\n  yes_no: [Is it]\n",
        encoding="utf-8",
    )
    words = question_words(path=path)
    assert words.asks == {("how", "much"): "cost", ("precio",): "cost"}
    assert words.values == {("espanol",): "language"}
    assert words.whole == {("tell", "me", "about")}
    assert words.yes_no == {("is", "it")}
    assert words.longest == 3
