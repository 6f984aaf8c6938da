"""Ordering a bounded set of candidates: topic, words, distance, age fit and timing, added up."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from knowledge.search.geo import haversine_km
from knowledge.search.index import TITLE_END
from knowledge.search.interpret import is_generic
from knowledge.search.last_confirmed import is_stale
from knowledge.search.search_plan import Plan, summer_window
from knowledge.taxonomy import Taxonomy, is_near_miss

# Weights: a listing filed under the topic asked for always outranks one that only mentions it.
TOPIC_WEIGHT = 3.0
FOCUS_WEIGHT = 0.4  # fewer other topics: a robotics club beats a STEM sampler
TITLE_WEIGHT = 1.2
TEXT_WEIGHT = 0.8
MAX_WORD_SCORE = 2.5
DISTANCE_WEIGHT = 2.0
DISTANCE_SCALE_KM = 4.0
IN_NEIGHBOURHOOD_BONUS = 0.3
AGE_FIT_WEIGHT = 0.6
AUDIENCE_WEIGHT = 0.8
AUDIENCE_MISMATCH = 1.5  # "for teens" and a listing for ages 6-10
OLDEST = 120
SEASON_BONUS = 0.4
SOON_BONUS = 0.15
SOON_DAYS = 45
FORMAT_BONUS = 0.3  # exactly the format asked for (a hybrid listing also fits "online")
GENERIC_TERM_SHARE = 0.5
TITLE_TOPIC_BONUS = 0.6  # "Scratch Coders" for coding: the title itself names the subject
# Not confirmed by its provider for the plan's freshness days: about half a title word, so a
# stale listing drops below an equal fresh one but a much better match (its topic, nearer) wins.
STALE_PENALTY = 0.5
# A word of the learner's counts from RARITY_RANGE[0] (every candidate says it) to [1] (none
# other does) times its usual weight, when they typed several.
RARITY_RANGE = (0.6, 1.4)
# Phrases related to what the learner typed (Plan.concept_phrases): weaker than their own words,
# and all of them together weaker than one of their words in the text.
RELATED_TITLE_WEIGHT = 0.5
RELATED_TEXT_WEIGHT = 0.3
MAX_RELATED_SCORE = 0.6
# Without a topic, the listings that say the learner's words (or a related phrase) are the ones
# asked for: they outrank every listing that only fits the filters, however near, well-timed or
# fitting its ages, so this outweighs every other bonus and penalty together.
SAID_WEIGHT = (
    DISTANCE_WEIGHT
    + IN_NEIGHBOURHOOD_BONUS
    + max(AGE_FIT_WEIGHT, AUDIENCE_WEIGHT)
    + AUDIENCE_MISMATCH
    + FORMAT_BONUS
    + SEASON_BONUS
    + SOON_BONUS
    + STALE_PENALTY
)


@dataclass
class Candidate:
    """One listing's fields that filters let through, as ranking needs them."""

    id: int
    external_id: str | None
    title: str
    provider: str
    search_text: str
    min_age: int | None
    max_age: int | None
    cost_amount: Decimal | None
    cost_currency: str
    is_free: bool | None
    format: str
    days_mask: int
    start_time: time | None
    start_date: date | None
    end_date: date | None
    languages: str
    latitude: float | None
    longitude: float | None
    neighbourhood_id: int | None
    assured_date: date | None = None  # when the provider last confirmed it
    topic_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Scored:
    """A candidate with its score, distance and matched topics."""

    candidate: Candidate
    score: float
    distance_km: float | None
    topics: tuple[str, ...]
    stale: bool = False  # not confirmed for the plan's freshness days


def rank(candidates: list[Candidate], plan: Plan, taxonomy: Taxonomy, today: date) -> list[Scored]:
    """Candidates best first; ties broken by title then id so results are stable."""
    rarity = _rarity(plan, candidates)
    scored = [_score(candidate, plan, taxonomy, today, rarity) for candidate in candidates]
    scored.sort(key=lambda item: (-item.score, item.candidate.title.lower(), item.candidate.id))
    return scored


def _score(
    candidate: Candidate, plan: Plan, taxonomy: Taxonomy, today: date, rarity: dict[str, float]
) -> Scored:
    """Topic match, words in title and text, distance, age fit and timing, added up; less when
    the provider has not confirmed the listing lately."""
    matched = [topic_id for topic_id in plan.topic_ids if topic_id in candidate.topic_ids]
    score = 0.0
    if matched:
        score += TOPIC_WEIGHT * (0.75 + 0.25 * len(matched) / len(plan.topic_ids))
        score += FOCUS_WEIGHT * len(matched) / len(candidate.topic_ids)
    title, title_words, text_words = _words_of(candidate)
    score += _word_score(plan, title_words, text_words, filed=bool(matched), rarity=rarity)
    # Related phrases are other ways to say the topic: they tell nothing about listings filed
    # under it, only about those that merely mention it (or about words without a topic).
    related = 0.0 if matched else _related_score(plan, title, candidate.search_text)
    score += related
    if not plan.topic_ids and (related or _says_subject(plan, title_words, text_words)):
        score += SAID_WEIGHT
    if matched and any(f" {phrase} " in title for phrase in plan.topic_phrases):
        score += TITLE_TOPIC_BONUS  # the title itself names the topic or a synonym
    distance = _distance(candidate, plan)
    if distance is not None:
        score += DISTANCE_WEIGHT * math.exp(-distance / DISTANCE_SCALE_KM)
    if plan.place is not None and candidate.neighbourhood_id == plan.place.id:
        score += IN_NEIGHBOURHOOD_BONUS
    if plan.age is not None:
        width = (candidate.max_age if candidate.max_age is not None else 99) - (
            candidate.min_age or 0
        )
        score += AGE_FIT_WEIGHT / (1 + max(width, 0) / 8)
    elif plan.audience is not None:
        score += _audience_fit(candidate, *plan.audience)
    if plan.format is not None and candidate.format == plan.format:
        score += FORMAT_BONUS  # "online" asked: fully online before hybrid
    if "summer" in plan.when and _within_summer(candidate, today):
        score += SEASON_BONUS
    if _running_soon(candidate, today):
        score += SOON_BONUS
    stale = plan.freshness_days is not None and is_stale(
        candidate.assured_date, today=today, days=plan.freshness_days
    )
    if stale:
        score -= STALE_PENALTY
    names = tuple(taxonomy.topics[topic_id] for topic_id in matched if topic_id in taxonomy.topics)
    return Scored(candidate, round(score, 4), distance, names, stale)


def _words_of(candidate: Candidate) -> tuple[str, set[str], set[str]]:
    """The title's lemmas as " a b c " (for phrase tests) and as a set, and all lemmas."""
    title, _, rest = candidate.search_text.partition(f" {TITLE_END} ")
    title_words = set(title.split())
    return f" {title.strip()} ", title_words, title_words.union(rest.split())


def _audience_fit(candidate: Candidate, youngest: int, oldest: int) -> float:
    """A bonus for how much of the audience's age span the listing covers; a penalty for none."""
    low = candidate.min_age or 0
    high = candidate.max_age if candidate.max_age is not None else OLDEST
    overlap = min(high, oldest) - max(low, youngest) + 1
    if overlap <= 0:
        return -AUDIENCE_MISMATCH
    return AUDIENCE_WEIGHT * overlap / (oldest - youngest + 1)


def _rarity(plan: Plan, candidates: list[Candidate]) -> dict[str, float]:
    """How much each of the learner's subject words counts, when they typed several, by how few
    candidates say it: with "daycare worker training", the listing that says "daycare" outranks
    the many that only say "training" (a document frequency over the candidates, which are the
    listings that say any of these words: RARITY_RANGE)."""
    words = subject_words(plan)
    if len(words) < 2 or len(candidates) < 2:
        return {}
    low, high = RARITY_RANGE
    rarity = {}
    for word in words:
        padded = f" {word} "  # search texts are padded lemmas
        share = sum(padded in candidate.search_text for candidate in candidates) / len(candidates)
        rarity[word] = high - (high - low) * share
    return rarity


def _word_score(
    plan: Plan,
    title_words: set[str],
    text_words: set[str],
    filed: bool,
    rarity: dict[str, float] | None = None,
) -> float:
    """Each query word found in the title or else the text adds to the score (typos forgiven in
    titles), more for words few candidates say; "club" and other generic words count half. A
    topic's own name counts only for listings not filed under it: being filed already says more
    than the word could."""
    score = 0.0
    for word in plan.query_words:
        if filed and word in plan.topic_words and word not in plan.synonym_words:
            continue
        generic = is_generic(word)
        weight = (GENERIC_TERM_SHARE if generic else 1.0) * (rarity or {}).get(word, 1.0)
        if word in title_words or (
            not generic and word not in plan.topic_words and is_near_miss(word, title_words)
        ):
            score += TITLE_WEIGHT * weight
        elif word in text_words:
            score += TEXT_WEIGHT * weight
    return min(score, MAX_WORD_SCORE)


def _related_score(plan: Plan, title: str, text: str) -> float:
    """Related phrases the title or else the text says (both padded with spaces), capped."""
    score = 0.0
    for phrase in plan.concept_phrases:
        if f" {phrase} " in title:
            score += RELATED_TITLE_WEIGHT
        elif f" {phrase} " in text:
            score += RELATED_TEXT_WEIGHT
    return min(score, MAX_RELATED_SCORE)


def subject_words(plan: Plan) -> tuple[str, ...]:
    """The words that say what a search without a topic is about (subject words before "club")."""
    return plan.strong_terms or plan.terms


def _says_subject(plan: Plan, title_words: set[str], text_words: set[str]) -> bool:
    """The listing says one of the subject words (in its title, allowing a typo)."""
    return any(
        word in text_words or is_near_miss(word, title_words) for word in subject_words(plan)
    )


def _distance(candidate: Candidate, plan: Plan) -> float | None:
    """Kilometres from the searched point, when both are known."""
    if plan.point is None or candidate.latitude is None or candidate.longitude is None:
        return None
    return haversine_km(plan.point[0], plan.point[1], candidate.latitude, candidate.longitude)


def _within_summer(candidate: Candidate, today: date) -> bool:
    """Runs only during the coming summer: a summer camp rather than a year-round club."""
    first, last = summer_window(today)
    return (
        candidate.start_date is not None
        and candidate.end_date is not None
        and first - timedelta(days=14) <= candidate.start_date
        and candidate.end_date <= last + timedelta(days=7)
    )


def _running_soon(candidate: Candidate, today: date) -> bool:
    """Already running or starting within SOON_DAYS."""
    return candidate.start_date is None or candidate.start_date <= today + timedelta(SOON_DAYS)
