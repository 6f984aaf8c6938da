"""Reading the starter vocabulary (topics.yml, careers.yml) into checked, indexed records."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.models.credential import CREDENTIAL_TYPES

FOLDER = Path(__file__).resolve().parent
KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_KEY = re.compile(r"^[a-z]{2,3}$")  # a name in that language: en, es, vi, hmn, …
NOT_LANGUAGES = {"key", "soc"}  # short keys of an entry that are not language codes
SOC = re.compile(r"^\d{2}-\d{4}$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: 8x faster here


class VocabularyError(ValueError):
    """A starter vocabulary file that cannot be used; the message names the file and entry."""


def _english(names: Mapping[str, str]) -> str:
    """The English name (every entry has one; the first otherwise)."""
    return names.get("en") or next(iter(names.values()))


def _all_words(names: Mapping[str, str], others: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Names in every language, then the other words in every language, each once."""
    found = list(names.values())
    for words in others.values():
        found.extend(words)
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Concept:
    """A learning topic of the starter vocabulary, with its names and other words by language."""

    key: str
    names: Mapping[str, str]  # language code → name
    synonyms: Mapping[str, tuple[str, ...]]  # language code → other words for it
    broader: tuple[str, ...] = ()
    related: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The English name, as shown to organisers."""
        return _english(self.names)

    def terms(self) -> list[str]:
        """Every name and synonym in every language, names first."""
        return _all_words(self.names, self.synonyms)


@dataclass(frozen=True)
class Career:
    """A career of the starter vocabulary: titles by language, and what leads there."""

    key: str
    names: Mapping[str, str]
    titles: Mapping[str, tuple[str, ...]]
    topics: tuple[str, ...]  # subject words, matched against the topics like a learner's words
    credentials: tuple[str, ...]  # credential types on the way
    soc: str | None = None
    min_age: int | None = None
    education: str | None = None

    @property
    def name(self) -> str:
        """The English title."""
        return _english(self.names)

    def terms(self) -> list[str]:
        """Every title in every language, names first."""
        return _all_words(self.names, self.titles)


@dataclass(frozen=True, eq=False)  # hashed by identity: cached indexes are keyed by it
class StarterVocabulary:
    """Topics with their broader/related links, and careers."""

    concepts: Mapping[str, Concept]
    careers: Mapping[str, Career] = field(default_factory=dict)

    @cached_property
    def narrower(self) -> dict[str, tuple[str, ...]]:
        """Key → the keys that name it as broader."""
        below: dict[str, list[str]] = {key: [] for key in self.concepts}
        for concept in self.concepts.values():
            for parent in concept.broader:
                below[parent].append(concept.key)
        return {key: tuple(children) for key, children in below.items()}

    def descendants(self, key: str) -> list[str]:
        """The concept and every narrower one below it, nearest first."""
        seen = [key]
        for current in seen:
            seen.extend(child for child in self.narrower.get(current, ()) if child not in seen)
        return seen

    def ancestors(self, key: str) -> list[str]:
        """The concept and every broader one above it, nearest first."""
        seen = [key]
        for current in seen:
            seen.extend(parent for parent in self.concepts[current].broader if parent not in seen)
        return seen

    @property
    def languages(self) -> list[str]:
        """Language codes the vocabulary has words in."""
        codes = {code for concept in self.concepts.values() for code in concept.names}
        return sorted(codes)


def load_starter(folder: Path = FOLDER) -> StarterVocabulary:
    """The vocabulary shipped in `folder` (cached per folder: it never changes while running)."""
    return _load(folder.resolve())


@lru_cache(maxsize=4)
def _load(folder: Path) -> StarterVocabulary:
    """Read and check both files."""
    topics = _read(folder / "topics.yml")
    concepts = parse_concepts(topics, where="topics.yml")
    careers_file = folder / "careers.yml"
    careers = (
        parse_careers(_read(careers_file), where="careers.yml") if careers_file.exists() else {}
    )
    return StarterVocabulary(concepts, careers)


def _read(path: Path) -> list[Any]:
    """A YAML list, or a clear refusal."""
    if not path.exists():
        raise VocabularyError(f"{path}: missing (the starter vocabulary ships with Wayfinder)")
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or []
    if not isinstance(data, list):
        raise VocabularyError(f"{path.name}: expected a list of entries")
    return data


def parse_concepts(entries: Iterable[Any], *, where: str = "topics") -> dict[str, Concept]:
    """Concepts keyed by key, with broader/related checked and broader free of cycles."""
    concepts: dict[str, Concept] = {}
    for number, entry in enumerate(entries, 1):
        place = f"{where} entry {number}"
        key = _key(entry, place)
        if key in concepts:
            raise VocabularyError(f"{place}: key {key!r} is used twice")
        concepts[key] = Concept(
            key=key,
            names=_names(entry, place),
            synonyms=_by_language(entry.get("synonyms"), f"{place} ({key}) synonyms"),
            broader=_keys(entry.get("broader"), f"{place} ({key}) broader"),
            related=_keys(entry.get("related"), f"{place} ({key}) related"),
        )
    for concept in concepts.values():
        for other in (*concept.broader, *concept.related):
            if other not in concepts:
                raise VocabularyError(f"{where}: {concept.key} refers to unknown topic {other!r}")
    _refuse_cycles(concepts, where)
    return concepts


def parse_careers(entries: Iterable[Any], *, where: str = "careers") -> dict[str, Career]:
    """Careers keyed by key, with credential types, SOC codes and ages checked."""
    careers: dict[str, Career] = {}
    for number, entry in enumerate(entries, 1):
        place = f"{where} entry {number}"
        key = _key(entry, place)
        if key in careers:
            raise VocabularyError(f"{place}: key {key!r} is used twice")
        credentials = tuple(str(kind) for kind in entry.get("credentials") or ())
        unknown = [kind for kind in credentials if kind not in CREDENTIAL_TYPES]
        if unknown:
            raise VocabularyError(f"{place} ({key}): unknown credential type {unknown[0]!r}")
        soc = entry.get("soc")
        if soc is not None and not SOC.match(str(soc)):
            raise VocabularyError(f"{place} ({key}): SOC code {soc!r} is not NN-NNNN")
        min_age = entry.get("min_age")
        if min_age is not None and (not isinstance(min_age, int) or not 0 <= min_age <= 120):
            raise VocabularyError(f"{place} ({key}): min_age {min_age!r} is not an age")
        careers[key] = Career(
            key=key,
            names=_names(entry, place),
            titles=_by_language(entry.get("titles"), f"{place} ({key}) titles"),
            topics=tuple(str(word) for word in entry.get("topics") or ()),
            credentials=credentials,
            soc=None if soc is None else str(soc),
            min_age=min_age,
            education=entry.get("education"),
        )
    return careers


def _key(entry: Any, place: str) -> str:
    """The entry's key, checked."""
    if not isinstance(entry, dict):
        raise VocabularyError(f"{place}: expected a mapping with key, en, es, …")
    key = str(entry.get("key") or "")
    if not KEY.match(key):
        raise VocabularyError(f"{place}: key {key!r} must be lower-case letters, digits, hyphens")
    return key


def _names(entry: Mapping[str, Any], place: str) -> dict[str, str]:
    """Language code → name, from the entry's two- or three-letter keys (en, es, …)."""
    names = {
        code: str(value).strip()
        for code, value in entry.items()
        if isinstance(code, str)
        and LANGUAGE_KEY.match(code)
        and code not in NOT_LANGUAGES
        and value
    }
    if "en" not in names:
        raise VocabularyError(f"{place}: needs an English name (en)")
    return names


def _by_language(value: Any, place: str) -> dict[str, tuple[str, ...]]:
    """{language: [words]} checked into tuples of trimmed, non-empty words."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise VocabularyError(f"{place}: expected words by language, e.g. {{en: [...], es: [...]}}")
    words: dict[str, tuple[str, ...]] = {}
    for code, items in value.items():
        if not isinstance(items, list):
            raise VocabularyError(f"{place}.{code}: expected a list of words")
        words[str(code)] = tuple(dict.fromkeys(str(item).strip() for item in items if item))
    return words


def _keys(value: Any, place: str) -> tuple[str, ...]:
    """A list of keys."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise VocabularyError(f"{place}: expected a list of topic keys")
    return tuple(str(item) for item in value)


def _refuse_cycles(concepts: Mapping[str, Concept], where: str) -> None:
    """Broader links must form a hierarchy: a topic never ends up broader than itself."""
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(key: str, trail: Sequence[str]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            raise VocabularyError(f"{where}: broader topics form a cycle: {' → '.join(trail)}")
        state[key] = 1
        for parent in concepts[key].broader:
            visit(parent, [*trail, parent])
        state[key] = 2

    for key in concepts:
        visit(key, [key])
