"""A learner's goal in their own words ("I'd like to work as a plumber", "plomero", "work with
computers") as a starter career or the topics it is about, so any city can plan a path to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from knowledge.taxonomy import (
    MAX_TERM_WORDS,
    Match,
    StarterIndex,
    Taxonomy,
    _correctable,
    _subject_words,
    _Vocabulary,
    starter_index,
)
from knowledge.text import lemma, words
from knowledge.vocabulary import Career

# Words that frame a goal rather than name one ("a career in …", "a job with …"): a topic they
# happen to name (career exploration) is not what the learner is after.
GOAL_FRAMES = frozenset(
    {"career", "careers", "job", "jobs", "work", "working", "path", "pathway", "pathways"}
    | {"profession", "future"}
)


@dataclass(frozen=True)
class Goal:
    """What a learner wants to become or get into, and the topics that lead there."""

    label: str  # what the path is called: the career's English title, or the topics' names
    words: str  # the learner's words that named it
    career: Career | None = None
    topics: tuple[str, ...] = ()  # words to search the directory's topics by, most specific first
    concepts: tuple[str, ...] = ()  # the starter topics the goal is about

    @property
    def credential_types(self) -> tuple[str, ...]:
        """The credential types met on the way to the career (none known for a topic)."""
        return self.career.credentials if self.career is not None else ()


class CareerIndex:
    """Every title of every starter career, in every language, indexed for matching words.

    The taxonomy's starter index gives a word shared by a topic and a career ("plumber" is also
    a word for plumbing) to the topic; a goal needs the career.
    """

    def __init__(self, starter: StarterIndex) -> None:
        self.careers: list[Career] = list(starter.starter.careers.values())
        self.by_key = {career.key: career for career in self.careers}
        self._words = _Vocabulary()
        self._concepts: dict[str, tuple[str, ...]] = {}
        self._subjects: dict[str, tuple[tuple[str, ...], ...]] = {}  # per subject word
        for index, career in enumerate(self.careers):
            for term in career.terms():
                self._words.add(term, index)
            subjects = tuple(starter.concepts_named(word) for word in career.topics)
            self._subjects[career.key] = subjects
            self._concepts[career.key] = tuple(dict.fromkeys(k for keys in subjects for k in keys))

    def named(self, text: str) -> Career | None:
        """The career a whole phrase names ("plomero", "electrician"), typos allowed."""
        raw = tuple(words(text))
        if not raw:
            return None
        target = self._words.exact.get(raw, self._words.exact.get(tuple(map(lemma, raw))))
        if target is None and _correctable(raw):
            near = self._words.closest(" ".join(raw))
            target = near[0] if near is not None else None
        return None if target is None else self.careers[target]

    def find(self, typed: Sequence[str], *, fuzzy: bool) -> tuple[Career, str] | None:
        """The career named by the longest span of the words, with the words that named it;
        exact words and lemmas only, or (fuzzy) only near spellings."""
        lemmas = [lemma(word) for word in typed]
        for size in range(min(MAX_TERM_WORDS, len(typed)), 0, -1):
            for start in range(len(typed) - size + 1):
                span = tuple(typed[start : start + size])
                if not _subject_words(span):
                    continue
                target: int | None
                if fuzzy:
                    near = self._words.closest(" ".join(span)) if _correctable(span) else None
                    target = near[0] if near is not None else None
                else:
                    target = self._words.exact.get(span)
                    if target is None:
                        target = self._words.exact.get(tuple(lemmas[start : start + size]))
                if target is not None:
                    return self.careers[target], " ".join(span)
        return None

    def concepts_of(self, career: Career, subjects: int | None = None) -> tuple[str, ...]:
        """The starter topics the career's subject words name (only its first `subjects`)."""
        if subjects is None:
            return self._concepts.get(career.key, ())
        keys = [key for named in self._subjects.get(career.key, ())[:subjects] for key in named]
        return tuple(dict.fromkeys(keys))


@lru_cache(maxsize=1)
def career_index() -> CareerIndex:
    """The shipped careers indexed once per process (on the taxonomy's starter index)."""
    return CareerIndex(starter_index())


def resolve_goal(taxonomy: Taxonomy, text: str) -> Goal | None:
    """The career or topics a learner's words name, or None.

    In order: a career by one of its titles ("plumber", "plomero"); the city's or the starter
    topics the words name exactly ("work with computers"); then the same with near spellings
    ("electrishan").
    """
    typed = words(text)
    if not typed:
        return None
    careers = career_index()
    found = taxonomy.find(typed)
    for fuzzy in (False, True):
        named = careers.find(typed, fuzzy=fuzzy)
        if named is not None:
            return _career_goal(named[0], named[1])
        matches = [
            m
            for m in found
            if m.kind != "neighbourhood"
            and m.fuzzy == fuzzy
            and not set(words(m.typed)) <= GOAL_FRAMES
        ]
        if matches:
            return _topic_goal(taxonomy, matches)
    return None


def _career_goal(career: Career, said: str) -> Goal:
    """A goal that is a starter career."""
    return Goal(
        label=career.name,
        words=said,
        career=career,
        topics=career.topics,
        concepts=career_index().concepts_of(career),
    )


def _topic_goal(taxonomy: Taxonomy, matches: Sequence[Match]) -> Goal:
    """A goal named by topics ("work with computers"): a path through those topics. It is not
    turned into a career: the topic's careers may be far from what the learner meant."""
    concepts: list[str] = []
    starter = starter_index()
    for match in matches:
        if match.kind == "concept":
            concepts.extend(taxonomy.sense(match.id).concepts)
        else:  # the words typed ("welding") say more than the city topic they joined ("trades")
            said = starter.concepts_named(match.name if match.fuzzy else match.typed)
            concepts.extend(said or taxonomy.attached.get(match.id, ()))
    named = tuple(dict.fromkeys(match.name if match.fuzzy else match.typed for match in matches))
    return Goal(
        label=", ".join(named),
        words=" ".join(match.typed for match in matches),
        topics=named,
        concepts=tuple(dict.fromkeys(concepts)),
    )
