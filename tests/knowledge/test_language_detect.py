"""The offline language detector: sure answers for clear sentences, none for too little text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from knowledge import language_detect
from knowledge.language_detect import MIN_CONFIDENCE, detect, lingua_language
from knowledge.locales import SOURCE_LANGUAGE, supported_codes


@pytest.fixture(autouse=True)
def fresh_detector() -> Iterator[None]:
    """Each test builds the detector for the languages it sees."""
    language_detect._detector.cache_clear()
    yield
    language_detect._detector.cache_clear()


def _other() -> str:
    """A supported language other than the source language (the locales/ folders have one)."""
    return next(code for code in supported_codes() if code != SOURCE_LANGUAGE)


def test_a_clear_spanish_sentence_is_found_sure_enough() -> None:
    found = detect("hola, busco clases de arte para mi hija de 8 años")
    assert found is not None
    assert found.code == _other()
    assert MIN_CONFIDENCE <= found.confidence <= 1


def test_a_clear_english_sentence_is_the_source_language() -> None:
    found = detect("are there any free coding classes for my son after school?")
    assert found is not None and found.code == SOURCE_LANGUAGE


@pytest.mark.parametrize(
    "text", ["", "ok", "no", "si", "12", "👍", "12 😀 !!", "/choose_language", "Riverside"]
)
def test_too_little_text_or_a_payload_tells_nothing(text: str) -> None:
    assert detect(text) is None


def test_a_code_switched_sentence_goes_by_its_frame() -> None:
    spanish = detect("hola, necesito un summer camp para mi hija")
    english = detect("is there anything for my sobrino, he's 11")
    assert spanish is not None and spanish.code == _other()
    assert english is not None and english.code == SOURCE_LANGUAGE


def test_a_language_added_as_data_is_detected_without_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(language_detect, "supported_codes", lambda: ("en", "es", "vi"))
    found = detect("tôi muốn tìm lớp học tiếng Anh cho con gái tôi")
    assert found is not None and found.code == "vi"


def test_nothing_is_detected_without_two_languages_lingua_knows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(language_detect, "supported_codes", lambda: ("en", "hmn", "ase"))
    assert detect("are there any free coding classes for my son after school?") is None


def test_codes_map_to_lingua_by_iso_639_1_or_3_and_unknown_ones_to_none() -> None:
    assert lingua_language(_other()) is not None
    assert lingua_language("spa") == lingua_language("es")
    assert lingua_language("hmn") is None
    assert lingua_language("xx") is None


def test_the_detector_is_built_on_first_use_and_once() -> None:
    assert language_detect._detector.cache_info().currsize == 0
    detect("free coding classes for my son")
    detect("clases de ajedrez para mi sobrino de 11")
    assert language_detect._detector.cache_info().misses == 1


def test_a_title_quoted_in_another_language_does_not_make_the_message_that_language() -> None:
    """Most of the words decide: lingua alone reads these as Spanish."""
    assert detect("tell me about Ballet Folklórico Infantil") is None
    assert detect("tell me about OSHA-10 Construcción en Español") is None
    found = detect("hola, busco clases de arte para mi hija de 8 años")
    assert found is not None and found.code == "es"
