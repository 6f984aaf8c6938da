"""The gateway's own words in every language: each book the gateway, the widget and Telegram's
menu read is complete in every supported language, and a text falls back to English, never to
nothing."""

from __future__ import annotations

import string

import pytest

from bot.gateway.texts import privacy_sections, privacy_text, say
from knowledge.locales import SOURCE_LANGUAGE, book, supported_codes

BOOKS = ("gateway", "widget", "telegram")  # locales/<language>/<book>.yml
OTHERS = [code for code in supported_codes() if code != SOURCE_LANGUAGE]


def placeholders(text: str) -> set[str]:
    """The {names} a text fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("name", BOOKS)
@pytest.mark.parametrize("language", OTHERS)
def test_every_text_has_a_translation_with_the_same_placeholders(name: str, language: str) -> None:
    source, translated = book(SOURCE_LANGUAGE, name), book(language, name)
    assert source, f"locales/{SOURCE_LANGUAGE}/{name}.yml is missing or empty"
    missing = sorted(key for key in source if not str(translated.get(key) or "").strip())
    assert not missing, f"locales/{language}/{name}.yml lacks {missing}"
    assert not sorted(set(translated) - set(source)), "keys English does not have"
    for key, text in source.items():
        assert placeholders(str(translated[key])) == placeholders(str(text)), key


def test_there_is_a_language_besides_the_source_to_check() -> None:
    assert OTHERS, "only the source language is supported: the test above checks nothing"


def test_a_text_is_said_in_the_language_asked_and_in_english_otherwise() -> None:
    english = say("stale_button")
    assert say("stale_button", SOURCE_LANGUAGE) == english
    assert say("stale_button", "zz") == english  # not a supported language
    for language in OTHERS:
        assert say("stale_button", language) != english
        assert say("stale_button", f"{language}-US") == say("stale_button", language)


def test_a_placeholder_may_share_a_name_with_the_lookups_own_parameters() -> None:
    assert "report.csv" in say("upload_too_big", None, limit_mb=2) + say(
        "upload_not_csv", None, name="report.csv"
    )


@pytest.mark.parametrize("language", OTHERS)
def test_the_privacy_notice_keeps_its_shape_in_every_language(language: str) -> None:
    english, translated = privacy_sections(30), privacy_sections(30, language)
    assert [len(lines) for _, lines in translated] == [len(lines) for _, lines in english]
    for (_, lines), (_, source) in zip(translated, english, strict=True):
        assert [line.startswith("- ") for line in lines] == [
            line.startswith("- ") for line in source
        ]
    assert "30" in privacy_text(30, language)
    assert privacy_text(30, language) != privacy_text(30)
