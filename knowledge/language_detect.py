"""Which supported language a message is written in, offline: lingua's models ship inside its
package, so nothing is downloaded and nothing leaves the machine. Figures and the choice of
thresholds: docs/benchmarks-languages.md."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from knowledge.locales import supported_codes

if TYPE_CHECKING:
    from lingua import Language, LanguageDetector

# Below these, lingua's guess is too often wrong to act on (docs/benchmarks-languages.md): a
# message with fewer letters ("ok", "12", "👍", "si") or a guess less sure than this is no
# evidence either way. A caller must still not flip the chat's language on one word.
MIN_LETTERS = 3
MIN_CONFIDENCE = 0.7
# A message mixing languages is the learner's own only where most of its words are: "tell me
# about Ballet Folklórico Infantil" quotes a Spanish title in an English sentence (lingua alone is
# 0.93 sure it is Spanish), so the guess must also hold this share of the words lingua assigns.
MIN_WORD_SHARE = 0.6


@dataclass(frozen=True)
class Detection:
    """A supported language a message is written in, and how sure the detector is (0–1,
    relative to the other supported languages only)."""

    code: str
    confidence: float


def detect(text: str) -> Detection | None:
    """The supported language of `text`, or None when it cannot be told: too few letters, a
    payload ("/choose_language"), a guess not sure enough or held by too few of its words (a
    quoted title), or fewer than two languages that the detector knows (then there is nothing to
    choose between)."""
    if text.lstrip().startswith("/") or sum(char.isalpha() for char in text) < MIN_LETTERS:
        return None
    built = _detector()
    if built is None:
        return None
    detector, codes = built
    values = detector.compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    guess = values[0].language
    parts = detector.detect_multiple_languages_of(text)
    total = sum(part.word_count for part in parts)
    if total and sum(p.word_count for p in parts if p.language == guess) < MIN_WORD_SHARE * total:
        return None
    return Detection(codes[guess], round(values[0].value, 3))


def detected_code(text: str) -> str | None:
    """The code of what the text is written in, when the detector is sure (None otherwise)."""
    found = detect(text)
    return found.code if found is not None else None


@cache
def _detector() -> tuple[LanguageDetector, dict[Language, str]] | None:
    """lingua restricted to the supported languages it has models for, built on first use and
    kept (its models take about 0.3 s and tens of MB to load)."""
    from lingua import LanguageDetectorBuilder

    codes = {}
    for code in supported_codes():
        language = lingua_language(code)
        if language is not None:
            codes[language] = code
    if len(codes) < 2:
        return None
    detector = (
        LanguageDetectorBuilder.from_languages(*codes).with_preloaded_language_models().build()
    )
    return detector, codes


def lingua_language(code: str) -> Language | None:
    """lingua's language for an ISO 639-1 or 639-3 code, or None when lingua has no model for it
    (Hmong, American Sign Language): such a language is never detected, only chosen."""
    from lingua import IsoCode639_1, IsoCode639_3, Language

    try:
        if len(code) == 2:
            return Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
        return Language.from_iso_code_639_3(IsoCode639_3.from_str(code))
    except ValueError:
        return None
