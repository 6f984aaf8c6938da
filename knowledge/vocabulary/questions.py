"""What a question about one listing asks ("how much is it?", "is it wheelchair accessible?"),
read from its words with questions.yml, so every city's learners are answered the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from knowledge.text import fold

FILE = Path(__file__).resolve().parent / "questions.yml"
DEFAULT_LANGUAGE = "en"
WORD = re.compile(r"[\w'’-]+")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class QuestionWordsError(ValueError):
    """questions.yml cannot be used; the message says where."""


@dataclass(frozen=True)
class Asked:
    """One attribute a message asks about and the words (start, end) that ask it."""

    attribute: str
    start: int
    end: int


@dataclass(frozen=True)
class QuestionWords:
    """One language's phrases, as tuples of folded words."""

    asks: Mapping[tuple[str, ...], str]
    values: Mapping[tuple[str, ...], str]
    whole: frozenset[tuple[str, ...]]
    yes_no: frozenset[tuple[str, ...]]

    @cached_property
    def longest(self) -> int:
        """Words in the longest phrase (how far a match may reach); counted once per language."""
        phrases = [*self.asks, *self.values, *self.whole, *self.yes_no]
        return max((len(phrase) for phrase in phrases), default=1)


def words_of(text: str) -> list[tuple[str, int, int]]:
    """Folded words with where they are in `text`."""
    return [
        (fold(match.group()).replace("’", "'").strip("-"), match.start(), match.end())
        for match in WORD.finditer(text)
    ]


def _phrases(entries: object, where: str) -> dict[tuple[str, ...], str]:
    """attribute → [phrase] as phrase words → attribute."""
    if not isinstance(entries, Mapping):
        raise QuestionWordsError(f"{where} must map attributes to phrases")
    found: dict[tuple[str, ...], str] = {}
    for attribute, phrases in entries.items():
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise QuestionWordsError(f"{where}.{attribute} must be a list of phrases")
        for phrase in phrases:
            key = tuple(word for word, _, _ in words_of(phrase))
            if key:
                found.setdefault(key, str(attribute))
    return found


def _set(entries: object, where: str) -> frozenset[tuple[str, ...]]:
    """A list of phrases as phrase words."""
    if not isinstance(entries, list) or not all(isinstance(p, str) for p in entries):
        raise QuestionWordsError(f"{where} must be a list of phrases")
    return frozenset(tuple(word for word, _, _ in words_of(phrase)) for phrase in entries)


@lru_cache(maxsize=8)
def question_words(language: str = DEFAULT_LANGUAGE, path: Path = FILE) -> QuestionWords:
    """The phrases of `language` (English when the file has none for it)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    if not isinstance(data, Mapping) or DEFAULT_LANGUAGE not in data:
        raise QuestionWordsError(f"{path.name}: needs an '{DEFAULT_LANGUAGE}' section")
    found = language if data.get(language) else DEFAULT_LANGUAGE
    entry = data[found]
    where = f"{path.name}: {found}"  # the file read, which tests and cities may choose
    if not isinstance(entry, Mapping):
        raise QuestionWordsError(f"{where} must map asks, values, whole and yes_no")
    return QuestionWords(
        asks=_phrases(entry.get("asks"), f"{where}.asks"),
        values=_phrases(entry.get("values") or {}, f"{where}.values"),
        whole=_set(entry.get("whole") or [], f"{where}.whole"),
        yes_no=_set(entry.get("yes_no") or [], f"{where}.yes_no"),
    )


def _spans(
    words: Sequence[tuple[str, int, int]],
    phrases: Mapping[tuple[str, ...], str] | frozenset[tuple[str, ...]],
    longest: int,
) -> list[tuple[int, int, str]]:
    """Phrase matches as (first word, past last word, attribute), longest first, not
    overlapping."""
    found: list[tuple[int, int, str]] = []
    taken: set[int] = set()
    for size in range(min(longest, len(words)), 0, -1):
        for first in range(len(words) - size + 1):
            key = tuple(word for word, _, _ in words[first : first + size])
            if key in phrases and not taken & set(range(first, first + size)):
                value = phrases[key] if isinstance(phrases, Mapping) else ""
                found.append((first, first + size, value))
                taken.update(range(first, first + size))
    return sorted(found)


def asked_about(text: str, language: str = DEFAULT_LANGUAGE) -> list[Asked]:
    """The attributes `text` asks about, in the order it says them, each once; [] when it asks
    for the whole listing ("tell me about the free one") or names nothing askable."""
    result: dict[str, Asked] = {}
    for asked in asking_phrases(text, language):
        result.setdefault(asked.attribute, asked)
    return list(result.values())


def asking_phrases(text: str, language: str = DEFAULT_LANGUAGE) -> list[Asked]:
    """Every phrase of `text` that asks about an attribute, in order, repeats included ("is it
    wheelchair accessible?" → wheelchair, accessible): what is left may name a listing."""
    vocabulary = question_words(language)
    words = words_of(text)
    longest = vocabulary.longest
    asks = _spans(words, vocabulary.asks, longest)
    whole = _spans(words, vocabulary.whole, longest)
    if whole and not asks:
        return []
    found = list(asks)
    if not whole and _yes_no(words, vocabulary):
        taken = {index for first, last, _ in asks for index in range(first, last)}
        for first, last, attribute in _spans(words, vocabulary.values, longest):
            if not taken & set(range(first, last)):
                found.append((first, last, attribute))
    return [
        Asked(attribute, words[first][1], words[last - 1][2])
        for first, last, attribute in sorted(found)
    ]


def _yes_no(words: Sequence[tuple[str, int, int]], vocabulary: QuestionWords) -> bool:
    """The message is a yes/no question: it starts like one, or does after "and", "so", "ok"
    ("ok for a 9 year old?" starts like one before "ok" is dropped)."""
    plain = [word for word, _, _ in words]
    while True:
        if any(tuple(plain[: len(start)]) == start for start in vocabulary.yes_no):
            return True
        if not plain or plain[0] not in {"and", "so", "ok", "okay", "also", "but", "hmm", "um"}:
            return False
        plain = plain[1:]
