"""The chat's language rule: a choice sticks, a long message may switch a guess."""

from __future__ import annotations

from knowledge.chat_language import (
    ChatLanguage,
    language_named_in,
    named_language,
    next_language,
    word_count,
)
from knowledge.locales import SOURCE_LANGUAGE, supported_codes, supported_languages

OTHER = next(code for code in supported_codes() if code != SOURCE_LANGUAGE)


def reads_as(language: str | None) -> object:
    """A detector that reads every text as `language` (None: cannot tell)."""
    return lambda text: language


def test_a_named_language_is_chosen_over_everything() -> None:
    current = ChatLanguage(SOURCE_LANGUAGE, chosen=True)
    assert next_language(current, text="en español", named=OTHER, hint=SOURCE_LANGUAGE) == (
        ChatLanguage(OTHER, chosen=True)
    )


def test_a_choice_sticks_whatever_the_message_is_written_in() -> None:
    current = ChatLanguage(OTHER, chosen=True)
    detected = next_language(
        current, text="I am looking for art classes for my daughter", detect=reads_as("en")
    )
    assert detected == current


def test_a_long_message_switches_a_guessed_language() -> None:
    current = ChatLanguage(SOURCE_LANGUAGE, chosen=False)
    found = next_language(
        current, text="hola, busco clases de arte para mi hija", detect=reads_as(OTHER)
    )
    assert found == ChatLanguage(OTHER, chosen=False)


def test_a_short_message_never_switches() -> None:
    current = ChatLanguage(OTHER, chosen=False)
    for text in ("ok", "taller", "sí gracias", "12", "👍 ok"):
        assert next_language(current, text=text, detect=reads_as("en")) == current


def test_without_a_current_language_the_hint_then_the_source_language() -> None:
    assert next_language(None, text="hi", hint=f"{OTHER}-MX") == ChatLanguage(OTHER, False)
    assert next_language(None, text="hi", hint="xx-YY") == ChatLanguage(SOURCE_LANGUAGE, False)
    assert next_language(None, text="hi") == ChatLanguage(SOURCE_LANGUAGE, False)


def test_a_detection_overrides_the_hint_on_a_long_first_message() -> None:
    found = next_language(
        None, text="busco clases de arte para mi hija", hint="en-US", detect=reads_as(OTHER)
    )
    assert found == ChatLanguage(OTHER, chosen=False)


def test_an_unsure_or_unsupported_detection_changes_nothing() -> None:
    current = ChatLanguage(OTHER, chosen=False)
    assert next_language(current, text="one two three four", detect=reads_as(None)) == current
    assert next_language(current, text="one two three four", detect=reads_as("xx")) == current


def test_named_language_reads_codes_and_names() -> None:
    assert named_language(OTHER) == OTHER
    assert named_language(f"{OTHER.upper()}-419") == OTHER
    assert named_language("English") == SOURCE_LANGUAGE
    assert named_language("ENGLISH") == SOURCE_LANGUAGE
    assert named_language("klingon") is None
    assert named_language(None) is None


def test_words_are_letters_only() -> None:
    assert word_count("12 👍 !!") == 0
    assert word_count("mi hija de 8 años") == 4


def test_a_message_naming_one_language_in_words_names_it() -> None:
    assert language_named_in("English please") == SOURCE_LANGUAGE
    assert language_named_in("en ENGLISH, porfa") == SOURCE_LANGUAGE  # "en" is a word here
    assert language_named_in("quiero clases") is None
    names = " ".join(language.native_name for language in supported_languages())
    assert language_named_in(names) is None  # several: not a choice


def test_a_longer_message_naming_a_language_is_not_a_choice() -> None:
    assert language_named_in("I want to learn English") is None
    assert language_named_in("english please") == SOURCE_LANGUAGE
