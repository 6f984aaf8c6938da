"""Source-language (English) text in a reply to a learner who chats in another language: every
fixed phrase of the English responses and locales/en texts that the other language's files do
not also use, looked for in the reply (listing content may stay as written). Used by the
scripted conversations (`language:`) and the e2e tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import yaml

from knowledge.locales import SOURCE_LANGUAGE, locales_dir
from knowledge.settings import PROJECT_ROOT
from knowledge.text import fold

MIN_WORDS = 3  # shorter phrases ("Run by", "Free") also occur in listings' own text
_SPLIT = re.compile(r"\{[^}]*\}|[\n•.!?:;()\"“”—–…]")
_WORD = re.compile(r"[^\W\d_]+")


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a YAML value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _phrases(texts: Iterator[str]) -> set[str]:
    """The fixed parts of texts with at least MIN_WORDS words, folded."""
    found = set()
    for text in texts:
        for part in _SPLIT.split(text):
            words = _WORD.findall(part)
            if len(words) >= MIN_WORDS:
                found.add(" ".join(fold(word) for word in words))
    return found


def _texts_of(language: str) -> Iterator[str]:
    """What a language's files say: the domain's responses for the source language."""
    if language == SOURCE_LANGUAGE:
        for path in sorted((PROJECT_ROOT / "bot" / "domain").glob("*.yml")):
            yield from _strings((yaml.safe_load(path.read_text()) or {}).get("responses", {}))
    for path in sorted((locales_dir() / language).glob("*.yml")):
        if path.name != "language.yml":
            yield from _strings(yaml.safe_load(path.read_text()))


@cache
def english_phrases(language: str) -> frozenset[str]:
    """Phrases of the source language that the other language's texts do not also use."""
    return frozenset(_phrases(_texts_of(SOURCE_LANGUAGE)) - _phrases(_texts_of(language)))


def english_in(text: str, language: str) -> list[str]:
    """The source-language phrases a reply in `language` contains."""
    said = " ".join(fold(word) for word in _WORD.findall(text))
    return sorted(phrase for phrase in english_phrases(language) if f" {phrase} " in f" {said} ")
