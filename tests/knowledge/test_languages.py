"""Listing languages are BCP 47 tags, from ISO 639-1 to ISO 639-3 with script and region."""

from __future__ import annotations

import pytest

from knowledge.languages import (
    LanguageCodeError,
    canonical_tag,
    language_name,
    primary_language,
)


@pytest.mark.parametrize(
    ("written", "tag"),
    [
        ("en", "en"),
        ("hmn", "hmn"),
        ("ase", "ase"),
        ("zh-Hant", "zh-Hant"),
        ("ZH-hant", "zh-Hant"),
        ("es-419", "es-419"),
        ("es_MX", "es-MX"),
        ("spa", "es"),
        (" vi ", "vi"),
    ],
)
def test_language_tags_are_accepted_in_their_standard_form(written: str, tag: str) -> None:
    assert canonical_tag(written) == tag


@pytest.mark.parametrize("written", ["xx-!!", "xx", "zz", "x-private", "", "en-"])
def test_text_that_is_no_language_tag_is_refused_with_examples(written: str) -> None:
    with pytest.raises(LanguageCodeError, match="is not a language code; write a BCP 47 tag"):
        canonical_tag(written)


def test_a_language_name_is_refused_with_its_code() -> None:
    with pytest.raises(LanguageCodeError, match="'Hmong' is not a language code; write hmn for"):
        canonical_tag("Hmong")


def test_undetermined_is_no_language() -> None:
    with pytest.raises(LanguageCodeError):
        canonical_tag("zxx")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("hmn", "Hmong"),
        ("ase", "American Sign Language"),
        ("es", "Spanish"),
        ("zh-Hant", "Chinese (Traditional)"),
    ],
)
def test_names_for_display(code: str, name: str) -> None:
    assert language_name(code) == name


def test_names_in_another_language() -> None:
    assert language_name("es", "es") == "español"
    assert language_name("en", "es") == "inglés"


def test_text_that_is_no_tag_is_shown_as_written() -> None:
    assert language_name("klingonish") == "klingonish"


def test_the_primary_language_of_a_tag() -> None:
    assert primary_language("es-419") == "es"
    assert primary_language("zh-Hant") == "zh"
    assert primary_language("hmn") == "hmn"
