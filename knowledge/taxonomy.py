"""Turning the words people type into the directory's topics and neighbourhoods, typos included."""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import Any, Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sqlalchemy import ColumnElement, Connection, Engine, Select, String, cast, func, select
from sqlalchemy.orm import Session

from knowledge.locales import book, supported_codes
from knowledge.models import (
    Neighbourhood,
    NeighbourhoodAlias,
    TaxonomyVersion,
    Topic,
    TopicSynonym,
)
from knowledge.text import fold, is_english_word, is_stop_word, lemma, words
from knowledge.vocabulary import StarterVocabulary, load_starter

# Words that describe the kind of listing rather than its subject: never corrected into a topic
# or a place ("program" is one letter from "programme", the lemma of "programming").
GENERIC_WORDS = frozenset(
    """
    class course program programme club camp lesson workshop activity group session team event
    kid child teen teenager adult student youth family parent beginner grader learner people
    near nearby close around thing stuff learn learning free cheap online weekend weekday summer
    evening morning night school week month year old age place city something
    """.split()  # noqa: SIM905
)
MAX_TERM_WORDS = 5
# Words a phrase is read past ("manage my money", "fix your bike"): they never name a topic.
POSSESSIVES = frozenset({"my", "your", "his", "her", "our", "their", "mi", "mis", "su", "sus"})
Kind = Literal["topic", "neighbourhood", "concept"]
# Where a city's topic name joins two subjects ("Robotics & Engineering", "Trades - Plumbing").
_PARTS = re.compile(r"\s*(?:&|\+|/|,|;|\||\band\b|\by\b|\s-\s|\(|\))\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """A neighbourhood with its centre point."""

    id: int
    name: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Match:
    """Words at positions [start, end) of a word list that name a topic or a neighbourhood."""

    kind: Kind
    id: int
    name: str
    start: int
    end: int
    typed: str
    fuzzy: bool = False


def _all_english(words: Sequence[str]) -> bool:
    """Every word is a dictionary word (so none of them is a typo)."""
    return all(is_english_word(word) for word in words)


def max_typos(length: int) -> int:
    """How many edits a word of this length may be off by and still be recognised."""
    if length >= 9:
        return 2
    if length >= 5:
        return 1
    return 0


def is_near_miss(word: str, candidates: set[str]) -> bool:
    """`word` is a typo of one of `candidates` (same first letter, within the typo budget)."""
    budget = max_typos(len(word))
    return budget > 0 and any(
        other[:1] == word[:1] and OSA.distance(word, other, score_cutoff=budget) <= budget
        for other in candidates
    )


@dataclass
class _Vocabulary:
    """Every way of writing the topics (or the neighbourhoods) of the directory."""

    exact: dict[tuple[str, ...], int] = field(default_factory=dict)
    spellings: dict[str, dict[str, int]] = field(default_factory=dict)  # first letter → text → id
    # Terms with "my", "your", … by their other words ("know your rights" → know rights), for
    # find, which reads the words typed past them; looked up only after the exact words.
    past_possessives: dict[tuple[str, ...], int] = field(default_factory=dict)

    def add(self, term: str, target: int, language: str | None = None) -> None:
        """Register a term by its words and by its lemmas (in `language`, the one it is written
        in; None: the source language); terms of only stop words are skipped."""
        raw = tuple(words(term))
        if not raw or all(is_stop_word(word, language) for word in raw):
            return
        lemmatised = tuple(lemma(word, language) for word in raw)
        compact = ("".join(raw),)  # "west side" is also typed "westside"
        for key in (raw, lemmatised, compact):
            self.exact.setdefault(key, target)
            spelled = " ".join(key)
            self.spellings.setdefault(spelled[0], {}).setdefault(spelled, target)
        bare = tuple(word for word in raw if word not in POSSESSIVES)
        if bare and len(bare) < len(raw):
            self.past_possessives.setdefault(bare, target)
            self.past_possessives.setdefault(tuple(lemma(word) for word in bare), target)

    def past(self, raw: Sequence[str], lemmas: Sequence[str]) -> int | None:
        """The term with a possessive these words (or lemmas) are, read past it."""
        found = self.past_possessives.get(tuple(raw))
        return found if found is not None else self.past_possessives.get(tuple(lemmas))

    def closest(self, typed: str) -> tuple[int, str] | None:
        """The target whose spelling is within the typo budget of `typed` (same first letter)."""
        budget = max_typos(len(typed))
        candidates = self.spellings.get(typed[:1], {})
        if budget == 0 or not candidates:
            return None
        best = process.extractOne(typed, list(candidates), scorer=OSA.distance, score_cutoff=budget)
        if best is None:
            return None
        spelled = best[0]
        return candidates[spelled], spelled


@dataclass(frozen=True)
class Sense:
    """What a starter-vocabulary word means: one starter topic, or a career and its topics."""

    label: str
    concepts: tuple[str, ...]
    career: str | None = None


class StarterIndex:
    """The starter vocabulary's words indexed for matching; built once per process."""

    def __init__(self, starter: StarterVocabulary) -> None:
        self.starter = starter
        self.senses: list[Sense] = []
        self.words = _Vocabulary()
        for concept in starter.concepts.values():
            self._add(Sense(concept.name, (concept.key,)), concept.terms())
            self._add_in_languages(concept.names, concept.synonyms)
        for career in starter.careers.values():
            keys = [key for word in career.topics for key in self.concepts_named(word)]
            self._add(Sense(career.name, tuple(dict.fromkeys(keys)), career.key), career.terms())
            self._add_in_languages(career.names, career.titles)

    def _add(self, sense: Sense, terms: Sequence[str]) -> None:
        """Register a sense under each of its words (an earlier sense keeps a shared word)."""
        self.senses.append(sense)
        for term in terms:
            self.words.add(term, len(self.senses) - 1)

    def _add_in_languages(
        self, names: Mapping[str, str], others: Mapping[str, Sequence[str]]
    ) -> None:
        """The newest sense's words in each other supported language, by that language's
        lemmas too ("juego de mesa" is a "juegos de mesa" term)."""
        for code in supported_codes()[1:]:  # the source language's lemmas are registered
            terms = [names[code]] if code in names else []
            for term in [*terms, *others.get(code, ())]:
                self.words.add(term, len(self.senses) - 1, code)

    def concepts_named(self, text: str, *, fuzzy: bool = False) -> tuple[str, ...]:
        """The starter topics a whole phrase names exactly (or by near spelling)."""
        raw = tuple(words(text))
        if not raw:
            return ()
        target = self.words.exact.get(raw)
        if target is None:
            target = self.words.exact.get(tuple(lemma(word) for word in raw))
        if target is None and fuzzy and _correctable(raw):
            near = self.words.closest(" ".join(raw))
            target = near[0] if near is not None else None
        return () if target is None else self.senses[target].concepts

    def attach(self, names: Sequence[str]) -> tuple[str, ...]:
        """The starter topics a city topic belongs to, from its name and synonyms: a whole name,
        synonym or lemma first, then a near spelling, then the parts of a joined name
        ("Trades - Plumbing"), then starter words inside it ("Youth Soccer League")."""
        for fuzzy in (False, True):
            for name in names:
                found = self.concepts_named(name, fuzzy=fuzzy)
                if found:
                    return found
        if not names:
            return ()
        parts = [part for part in _PARTS.split(names[0]) if part and part.strip()]
        keys = [key for part in parts if len(parts) > 1 for key in self.concepts_named(part)]
        if not keys and len(parts) > 1:
            keys = [key for part in parts for key in self.concepts_named(part, fuzzy=True)]
        if not keys:
            typed = words(names[0])
            lemmas = [lemma(word) for word in typed]
            for size in range(min(MAX_TERM_WORDS, len(typed)), 0, -1):
                for start in range(len(typed) - size + 1):
                    span = tuple(typed[start : start + size])
                    if not _subject_words(span):
                        continue
                    target = self.words.exact.get(span)
                    if target is None:
                        target = self.words.exact.get(tuple(lemmas[start : start + size]))
                    if target is not None:
                        keys.extend(self.senses[target].concepts)
                if keys:
                    break
        return tuple(dict.fromkeys(keys))


@lru_cache(maxsize=4)
def starter_index(starter: StarterVocabulary | None = None) -> StarterIndex:
    """The shipped starter vocabulary (or the one given) indexed once."""
    return StarterIndex(starter if starter is not None else load_starter())


class Taxonomy:
    """Topics and neighbourhoods with their synonyms and aliases, indexed for matching words."""

    def __init__(
        self,
        topics: Sequence[tuple[int, str]],
        synonyms: Sequence[tuple[int, str]],
        neighbourhoods: Sequence[tuple[int, str, float | None, float | None]],
        aliases: Sequence[tuple[int, str]],
        starter: StarterIndex | None = None,
    ) -> None:
        self.topics: dict[int, str] = dict(topics)
        self.places: dict[int, Place] = {row[0]: Place(*row) for row in neighbourhoods}
        self._topic_words = _Vocabulary()
        self._place_words = _Vocabulary()
        self._topic_terms: dict[int, list[str]] = {topic_id: [] for topic_id in self.topics}
        for topic_id, name in topics:
            self._topic_words.add(name, topic_id)
            self._topic_terms[topic_id].append(name)
        for topic_id, term in synonyms:
            self._topic_words.add(term, topic_id)
            self._topic_terms.setdefault(topic_id, []).append(term)
        for place in self.places.values():
            self._place_words.add(place.name, place.id)
        self._place_names: dict[str, int] = {place.name: place.id for place in self.places.values()}
        for neighbourhood_id, alias in aliases:
            self._place_words.add(alias, neighbourhood_id)
            self._place_names.setdefault(alias, neighbourhood_id)
        self.starter = starter
        self.attached: dict[int, tuple[str, ...]] = {}  # city topic → starter topic keys
        self._concept_topics: dict[str, set[int]] = {}
        if starter is not None:
            for topic_id in self.topics:
                keys = starter.attach(self._topic_terms[topic_id])
                self.attached[topic_id] = keys
                for key in keys:
                    self._concept_topics.setdefault(key, set()).add(topic_id)

    def unattached(self) -> list[str]:
        """City topics that joined no starter topic: only their own words find them."""
        return sorted(self.topics[i] for i, keys in self.attached.items() if not keys)

    def sense(self, index: int) -> Sense:
        """A starter sense by the id a concept Match carries."""
        assert self.starter is not None
        return self.starter.senses[index]

    def sense_topics(self, index: int) -> tuple[int, ...]:
        """City topics a starter sense covers: attached to its topics or to narrower ones."""
        if self.starter is None:
            return ()
        found: list[int] = []
        for key in self.sense(index).concepts:
            for below in self.starter.starter.descendants(key):
                found.extend(sorted(self._concept_topics.get(below, ())))
        return tuple(dict.fromkeys(found))

    def sense_terms(self, index: int) -> list[str]:
        """Every word of a sense's starter topics (all languages), for full-text recall."""
        if self.starter is None:
            return []
        concepts = self.starter.starter.concepts
        sense = self.sense(index)
        terms = [term for key in sense.concepts for term in concepts[key].terms()]
        if sense.career is not None:
            terms = self.starter.starter.careers[sense.career].terms() + terms
        return list(dict.fromkeys(terms))

    def concept(self, name: str) -> tuple[int, bool] | None:
        """The starter sense a phrase names (exact, lemma, then near spelling), corrected?"""
        if self.starter is None:
            return None
        return self._lookup(self.starter.words, name)

    def starter_terms_of(self, topic_id: int) -> list[str]:
        """Words of the starter topics a city topic joined, and of broader ones: the words whose
        search finds this topic (a broader word may find other topics too)."""
        if self.starter is None:
            return []
        concepts = self.starter.starter.concepts
        keys = [
            above
            for key in self.attached.get(topic_id, ())
            for above in self.starter.starter.ancestors(key)
        ]
        return list(dict.fromkeys(term for key in keys for term in concepts[key].terms()))

    def terms_of(self, topic_id: int) -> list[str]:
        """The topic's name and synonyms."""
        return list(self._topic_terms.get(topic_id, []))

    def topic(self, name: str) -> tuple[int, str, bool] | None:
        """The topic called `name` (or a synonym, or a near-miss spelling): id, name, corrected?"""
        found = self._lookup(self._topic_words, name)
        if found is None:
            return None
        return found[0], self.topics[found[0]], found[1]

    def resolve(self, name: str) -> tuple[Kind, int, bool] | None:
        """A topic name as the chat or CLI gives it: a city topic, else a starter topic or career
        (exact words and lemmas of both before any typo correction): kind, id, corrected?"""
        raw = tuple(words(name))
        if not raw:
            return None
        vocabularies: list[tuple[Kind, _Vocabulary]] = [("topic", self._topic_words)]
        if self.starter is not None:
            vocabularies.append(("concept", self.starter.words))
        lemmatised = tuple(lemma(word) for word in raw)
        for kind, vocabulary in vocabularies:
            target = vocabulary.exact.get(raw, vocabulary.exact.get(lemmatised))
            if target is not None:
                return kind, target, False
        for kind, vocabulary in vocabularies:
            near = vocabulary.closest(" ".join(raw))
            if near is not None:
                return kind, near[0], True
        return None

    def neighbourhood(self, name: str) -> tuple[Place, bool] | None:
        """The neighbourhood called `name` (or an alias, or a near-miss spelling), corrected?"""
        found = self._lookup(self._place_words, name)
        if found is None:
            return None
        return self.places[found[0]], found[1]

    def suggest_neighbourhoods(self, name: str, limit: int = 3) -> list[str]:
        """Known neighbourhood names that look most like `name`, best first."""
        scored = process.extract(
            " ".join(words(name)),
            {alias: alias.lower() for alias in self._place_names},
            scorer=fuzz.WRatio,
            limit=limit * 4,
        )
        names: list[str] = []
        for _text, score, alias in scored:
            place_name = self.places[self._place_names[alias]].name
            if score >= 50 and place_name not in names:
                names.append(place_name)
        return names[:limit] or sorted(place.name for place in self.places.values())[:limit]

    def suggest_topics(self, typed_words: Sequence[str], limit: int = 3) -> list[str]:
        """Topics whose name or synonym looks like one of the words, best first."""
        spellings = {
            spelled: topic_id
            for by_letter in self._topic_words.spellings.values()
            for spelled, topic_id in by_letter.items()
        }
        scored: dict[str, float] = {}
        for word in typed_words:
            for _spelled, score, spelled in process.extract(
                word, {spelled: spelled for spelled in spellings}, scorer=fuzz.ratio, limit=5
            ):
                name = self.topics[spellings[spelled]]
                if score >= 70 and score > scored.get(name, 0):
                    scored[name] = score
        return sorted(scored, key=lambda name: -scored[name])[:limit]

    def find(self, typed_words: Sequence[str], taken: set[int] | None = None) -> list[Match]:
        """Topics and neighbourhoods named in a list of folded words, longest phrases first.

        Exact words and lemmas are tried before typo correction; positions in `taken` (already
        explained, e.g. "12 year old") are never used. A starter-vocabulary phrase that covers
        none of the city's topics ("piano lessons" where the city files piano under music)
        gives way to the city's own words inside it.
        """
        matches = self._find_across(typed_words, taken)
        found: list[Match] = []
        for match in matches:
            if match.kind == "concept" and not self.sense_topics(match.id):
                inner = self._find(typed_words[match.start : match.end], None, starter=False)
                if inner:
                    found.extend(
                        replace(item, start=item.start + match.start, end=item.end + match.start)
                        for item in inner
                    )
                    continue
            found.append(match)
        return sorted(found, key=lambda match: match.start)

    def _find_across(self, typed_words: Sequence[str], taken: set[int] | None) -> list[Match]:
        """Phrases read past "my", "her", … ("manage my money" is "managing money"), with the
        positions of the words as typed."""
        kept = [i for i, word in enumerate(typed_words) if word not in POSSESSIVES]
        starter = self.starter is not None
        if len(kept) == len(typed_words):
            return self._find(typed_words, taken, starter=starter)
        inside = {j for j, i in enumerate(kept) if i in (taken or ())}
        matches = self._find([typed_words[i] for i in kept], inside, starter=starter)
        return [replace(m, start=kept[m.start], end=kept[m.end - 1] + 1) for m in matches]

    def _find(
        self, typed_words: Sequence[str], taken: set[int] | None, *, starter: bool
    ) -> list[Match]:
        """Longest phrases first, exact before typo-corrected; the starter words if asked."""
        used = set(taken or ())
        matches: list[Match] = []
        lemmas = [lemma(word) for word in typed_words]
        others = [[lemma(word, code) for word in typed_words] for code in supported_codes()[1:]]
        readings = [lemmas, *(other for other in others if other != lemmas)]
        for fuzzy in (False, True):
            for size in range(min(MAX_TERM_WORDS, len(typed_words)), 0, -1):
                for start in range(len(typed_words) - size + 1):
                    span = range(start, start + size)
                    if used.intersection(span):
                        continue
                    found = self._match(typed_words, readings, start, size, fuzzy, starter)
                    if found is not None:
                        matches.append(found)
                        used.update(span)
        return matches

    def _match(
        self,
        typed_words: Sequence[str],
        readings: Sequence[Sequence[str]],
        start: int,
        size: int,
        fuzzy: bool,
        starter: bool = True,
    ) -> Match | None:
        """The topic or neighbourhood these words name, if any; `readings` are the words' lemmas
        in each supported language, the source language's first."""
        lemmas = readings[0]
        raw = tuple(typed_words[start : start + size])
        typed = " ".join(raw)
        vocabularies: tuple[tuple[Kind, _Vocabulary], ...] = (
            ("neighbourhood", self._place_words),
            ("topic", self._topic_words),
        )
        if starter and self.starter is not None and _subject_words(raw):
            vocabularies += (("concept", self.starter.words),)
        for kind, vocabulary in vocabularies:
            if not fuzzy:
                target = vocabulary.exact.get(raw)
                for read in readings:
                    if target is None:
                        target = vocabulary.exact.get(tuple(read[start : start + size]))
                if target is None:  # "know my rights": the term "know your rights"
                    target = vocabulary.past(raw, lemmas[start : start + size])
                if target is not None:
                    return self._make(kind, target, start, size, typed, False)
            elif _correctable(raw) and not (kind == "concept" and _all_english(raw)):
                # The starter vocabulary is wide: "short" is not a typo of "sport".
                near = vocabulary.closest(typed)
                if near is not None:
                    return self._make(kind, near[0], start, size, typed, True)
        return None

    def _make(
        self, kind: Kind, target: int, start: int, size: int, typed: str, fuzzy: bool
    ) -> Match:
        """A match record with the canonical name."""
        if kind == "concept":
            name = self.sense(target).label
        else:
            name = self.topics[target] if kind == "topic" else self.places[target].name
        return Match(kind, target, name, start, start + size, typed, fuzzy)

    @staticmethod
    def _lookup(vocabulary: _Vocabulary, name: str) -> tuple[int, bool] | None:
        """Exact (words or lemmas) first, then one typo-corrected guess."""
        raw = tuple(words(name))
        if not raw:
            return None
        target = vocabulary.exact.get(raw)
        if target is None:
            target = vocabulary.exact.get(tuple(lemma(word) for word in raw))
        if target is not None:
            return target, False
        near = vocabulary.closest(" ".join(raw))
        return (near[0], True) if near is not None else None


def _subject_words(raw: tuple[str, ...]) -> bool:
    """Some word of the span names a subject (not only "the", "class", "kids"…; "de", "clases")."""
    return any(_content(word) for word in raw)


def _correctable(raw: tuple[str, ...]) -> bool:
    """Only content words are typo-corrected; "program" must not become "programme", nor
    "clases de" (Spanish) "clases ap"."""
    return (
        all(word.isalpha() and _content(word) for word in raw) and max_typos(len(" ".join(raw))) > 0
    )


@lru_cache(maxsize=65536)
def _content(word: str) -> bool:
    """A word that may name a subject: in no supported language a stop word or a word for a kind
    of listing or learner (learners mix languages, so every language's little words count)."""
    generic = _generic_words()
    return not any(
        is_stop_word(word, code) or lemma(word, code) in generic for code in supported_codes()
    )


@cache
def _generic_words() -> frozenset[str]:
    """GENERIC_WORDS and every supported language's words for them: the lemmas its search words
    (locales/<code>/search_words.yml `same_as`) read as one of them ("clase" → class)."""
    found = set(GENERIC_WORDS)
    for code in supported_codes():
        same_as = book(code, "search_words").get("same_as") or {}
        found.update(fold(str(word)) for word, meaning in same_as.items() if meaning in found)
    return frozenset(found)


_CACHE: weakref.WeakKeyDictionary[Engine, tuple[tuple[Any, ...], Taxonomy]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_LOCK = threading.Lock()


def load_taxonomy(session: Session) -> Taxonomy:
    """The directory's current taxonomy, rebuilt only when its fingerprint changes."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    fingerprint = taxonomy_fingerprint(session)
    with _CACHE_LOCK:
        cached = _CACHE.get(engine)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    taxonomy = read_taxonomy(session)
    with _CACHE_LOCK:
        _CACHE[engine] = (fingerprint, taxonomy)
    return taxonomy


def taxonomy_fingerprint(session: Session) -> tuple[Any, ...]:
    """A value that changes whenever the taxonomy does: the token its tables' triggers change
    (knowledge.models.TaxonomyVersion, one row read by key), else, with no token row, the
    tables' contents."""
    token = session.scalar(select(TaxonomyVersion.token).where(TaxonomyVersion.id == 1))
    if token is not None:
        return (token,)
    return tuple(session.execute(_fingerprint_statement()).one())


@lru_cache(maxsize=1)
def _fingerprint_statement() -> Select[Any]:
    """Every row of the four taxonomy tables concatenated in SQL (a few kB): exact, and far
    cheaper than rebuilding the index. Built once, run per search."""
    rows = (
        (Topic.id, Topic.name),
        (TopicSynonym.id, TopicSynonym.topic_id, TopicSynonym.term),
        (Neighbourhood.id, Neighbourhood.name, Neighbourhood.latitude, Neighbourhood.longitude),
        (NeighbourhoodAlias.id, NeighbourhoodAlias.neighbourhood_id, NeighbourhoodAlias.alias),
    )
    columns = []
    for fields in rows:
        entry: ColumnElement[str] = func.coalesce(cast(fields[0], String), "")
        for column in fields[1:]:
            entry = entry + ":" + func.coalesce(cast(column, String), "")
        columns.append(select(func.aggregate_strings(entry, "|")).scalar_subquery())
    return select(*columns)


def read_taxonomy(session: Session) -> Taxonomy:
    """Read every topic, synonym, neighbourhood and alias and index them."""
    topics = [(row.id, row.name) for row in session.execute(select(Topic.id, Topic.name))]
    synonyms = [
        (row.topic_id, row.term)
        for row in session.execute(select(TopicSynonym.topic_id, TopicSynonym.term))
    ]
    places = [
        (row.id, row.name, row.latitude, row.longitude)
        for row in session.execute(
            select(
                Neighbourhood.id,
                Neighbourhood.name,
                Neighbourhood.latitude,
                Neighbourhood.longitude,
            )
        )
    ]
    aliases = [
        (row.neighbourhood_id, row.alias)
        for row in session.execute(
            select(NeighbourhoodAlias.neighbourhood_id, NeighbourhoodAlias.alias)
        )
    ]
    return Taxonomy(
        sorted(topics),
        sorted(synonyms),
        sorted(places),
        sorted(aliases),
        starter_index(),
    )
