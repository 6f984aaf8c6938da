"""The search actually run: explicit filters, plus what the text implies, resolved to ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from knowledge.search.interpret import interpret, is_generic
from knowledge.search.query import QueryError, SearchQuery
from knowledge.taxonomy import Place, Taxonomy
from knowledge.text import content_lemmas

DEFAULT_RADIUS_KM = 5.0
# "Near Riverside" is a preference: with no radius given and too few that close, look farther.
WIDER_RADII_KM = (10.0, 20.0)
MAX_CONCEPT_PHRASES = 40  # full-text terms a starter topic may add to one search


class UnknownPlace(QueryError):
    """A neighbourhood nobody knows; carries the closest known names to suggest."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown neighbourhood {name!r}{hint}")
        self.name = name
        self.suggestions = suggestions


class UnknownTopic(QueryError):
    """A topic the directory does not have."""


@dataclass(frozen=True)
class Plan:
    """Everything the engine filters and ranks by; built by `make_plan`."""

    text: str = ""
    topic_ids: tuple[int, ...] = ()
    topic_names: tuple[str, ...] = ()
    topic_words: tuple[str, ...] = ()  # lemmas of the words that named the topics
    synonym_words: tuple[str, ...] = ()  # those of topic_words that came from a synonym
    topic_phrases: tuple[str, ...] = ()  # lemma phrases: the words typed, topic names, synonyms
    mention_phrases: tuple[str, ...] = ()  # only the words typed and the topic names: synonyms
    # such as "doctor" (health careers) are too broad to find listings by their text alone
    terms: tuple[str, ...] = ()  # other meaningful lemmas of the text
    # lemma phrases of the starter-vocabulary topics the words named ("karate" → "martial art",
    # "judo", …): more ways a listing may say it, for full-text recall and ranking, never filters
    concept_phrases: tuple[str, ...] = ()
    age: int | None = None
    audience: tuple[int, int] | None = None  # ages the words imply ("teens"); ranking only
    free_only: bool = False
    max_cost: Decimal | None = None
    days: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    format: str | None = None
    language: str | None = None
    upcoming_days: int | None = None
    place: Place | None = None
    point: tuple[float, float] | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    radius_given: bool = False
    widened_from_km: float | None = None
    route: str | None = None  # a line the place must be on ("14"): its transport notes name it
    route_places: tuple[int, ...] = ()  # the places on it (knowledge.search.routes)
    corrections: dict[str, str] = field(default_factory=dict)  # typed → understood
    freshness_days: int | None = None  # listings unconfirmed this long rank lower (None: never)

    @property
    def query_words(self) -> tuple[str, ...]:
        """Every lemma the ranking compares with a listing's title and text."""
        return self.topic_words + self.terms

    @property
    def strong_terms(self) -> tuple[str, ...]:
        """Terms about the subject rather than the kind of listing."""
        return tuple(term for term in self.terms if not is_generic(term))

    def place_label(self) -> str | None:
        """The place searched around, for messages: "Riverside" or "41.5000, -81.7000"."""
        if self.place is not None:
            return self.place.name
        if self.point is not None:
            return f"{self.point[0]:.4f}, {self.point[1]:.4f}"
        return None

    def to_dict(self) -> dict[str, Any]:
        """What the search understood, for replies like "coding, age 12, free, near Riverside"."""
        return {
            "text": self.text,
            "topics": list(self.topic_names),
            "terms": list(self.terms),
            "age": self.age,
            "audience": list(self.audience) if self.audience else None,
            "free_only": self.free_only,
            "max_cost": None if self.max_cost is None else float(self.max_cost),
            "days": list(self.days),
            "when": list(self.when),
            "format": self.format,
            "language": self.language,
            "upcoming_days": self.upcoming_days,
            "neighbourhood": self.place.name if self.place else None,
            "near": list(self.point) if self.point else None,
            "radius_km": self.radius_km if self.point else None,
            "radius_given": self.radius_given,
            "route": self.route,
            "widened_from_km": self.widened_from_km,
            "corrections": dict(self.corrections),
        }


def make_plan(query: SearchQuery, taxonomy: Taxonomy) -> Plan:
    """Merge the query's explicit fields over what its text implies (explicit wins)."""
    spoken = query.text_language  # the learner's words are lemmatised in their language
    found = interpret(query.text, taxonomy, spoken)
    corrections = {
        match.typed: match.name for match in found.topics + found.concepts if match.fuzzy
    }
    topic_ids: list[int] = []
    named: list[tuple[int, str]] = []  # (topic id, the words that named it)
    senses: list[tuple[int, str]] = []  # (starter sense, the words that named it)
    terms = list(found.terms)
    if query.topics:
        for name in query.topics:
            resolved = taxonomy.resolve(name)
            if resolved is None:
                raise UnknownTopic(f"unknown topic {name!r}")
            kind, target, corrected = resolved
            label = taxonomy.topics[target] if kind == "topic" else taxonomy.sense(target).label
            if corrected:
                corrections[name] = label
            if kind == "topic":
                topic_ids.append(target)
                named.append((target, label if corrected else name))
            else:
                senses.append((target, label if corrected else name))
        typed_topics = found.topics + found.concepts
        terms.extend(word for match in typed_topics for word in content_lemmas(match.typed, spoken))
    else:
        for match in found.topics:
            topic_ids.append(match.id)
            named.append((match.id, match.name if match.fuzzy else match.typed))
        senses.extend(
            (match.id, match.name if match.fuzzy else match.typed) for match in found.concepts
        )
    concept_terms: list[str] = []
    for index, said in senses:
        covered = taxonomy.sense_topics(index)
        topic_ids.extend(covered)
        named.extend((topic_id, said) for topic_id in covered)
        if not covered:  # no listing is filed under it: the words rank, they do not filter
            terms.extend(content_lemmas(said, spoken))
        concept_terms.extend(taxonomy.sense_terms(index))
    topic_words = [word for _id, words in named for word in content_lemmas(words, spoken)]
    # A synonym typed ("welding", "python") is narrower than its topic and still tells listings
    # within the topic apart; the topic's own name does not.
    synonym_words = [
        word
        for topic_id, words in named
        if content_lemmas(words, spoken) != content_lemmas(taxonomy.topics[topic_id])
        for word in content_lemmas(words, spoken)
    ]
    place, point = _place(query, taxonomy, found.neighbourhood, corrections)
    terms = [term for term in terms if term not in topic_words]
    typed = [words for _id, words in named] + [taxonomy.topics[i] for i in topic_ids]
    synonyms = [term for topic_id in topic_ids for term in taxonomy.terms_of(topic_id)]
    phrases = [" ".join(content_lemmas(term, spoken)) for term in typed[: len(named)]]
    phrases += [" ".join(content_lemmas(term)) for term in typed[len(named) :] + synonyms]
    return Plan(
        text=query.text,
        topic_ids=tuple(dict.fromkeys(topic_ids)),
        topic_names=tuple(dict.fromkeys(taxonomy.topics[i] for i in topic_ids)),
        topic_words=tuple(dict.fromkeys(topic_words)),
        synonym_words=tuple(dict.fromkeys(synonym_words)),
        topic_phrases=tuple(dict.fromkeys(phrase for phrase in phrases if phrase)),
        mention_phrases=tuple(dict.fromkeys(phrase for phrase in phrases[: len(typed)] if phrase)),
        terms=tuple(dict.fromkeys(terms)),
        concept_phrases=_phrases(concept_terms, MAX_CONCEPT_PHRASES),
        age=query.age if query.age is not None else found.age,
        audience=found.audience,
        free_only=query.free_only or found.free_only,
        max_cost=query.cost_limit if query.max_cost is not None else found.max_cost,
        days=query.days or tuple(found.days),
        when=query.when or tuple(found.when),
        format=query.format or found.format,
        language=query.language or found.language,
        upcoming_days=query.upcoming_days
        if query.upcoming_days is not None
        else found.upcoming_days,
        place=place,
        point=point,
        radius_km=query.radius_km or found.radius_km or DEFAULT_RADIUS_KM,
        radius_given=query.radius_km is not None or found.radius_km is not None,
        route=query.route or found.route,
        corrections=corrections,
    )


def _phrases(texts: list[str], limit: int) -> tuple[str, ...]:
    """Distinct lemma phrases of the texts, in order, at most `limit`."""
    phrases = (" ".join(content_lemmas(text)) for text in texts)
    return tuple(dict.fromkeys(phrase for phrase in phrases if phrase))[:limit]


def _place(
    query: SearchQuery, taxonomy: Taxonomy, inferred: Any, corrections: dict[str, str]
) -> tuple[Place | None, tuple[float, float] | None]:
    """The neighbourhood and centre point to search around, if any."""
    if query.near is not None:
        return None, query.near
    place: Place | None = None
    if query.neighbourhood:
        resolved = taxonomy.neighbourhood(query.neighbourhood)
        if resolved is None:
            raise UnknownPlace(
                query.neighbourhood, taxonomy.suggest_neighbourhoods(query.neighbourhood)
            )
        place = resolved[0]
        if resolved[1]:
            corrections[query.neighbourhood] = place.name
    elif inferred is not None:
        place = taxonomy.places[inferred.id]
        if inferred.fuzzy:
            corrections[inferred.typed] = place.name
    if place is None:
        return None, None
    if place.latitude is None or place.longitude is None:
        return place, None
    return place, (place.latitude, place.longitude)


def summer_window(today: date) -> tuple[date, date]:
    """June 15 – August 31 of the coming summer (this year's until it ends, then next year's)."""
    year = today.year if today <= date(today.year, 8, 31) else today.year + 1
    return date(year, 6, 15), date(year, 8, 31)
