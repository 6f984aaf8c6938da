"""The search: filtering and candidate retrieval in indexed SQL, ranking a bounded set in Python."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from knowledge.search.explain import FEW, explain
from knowledge.search.filters import filter_groups
from knowledge.search.formats import Voice, voice_of
from knowledge.search.place_centre import with_place_centre
from knowledge.search.query import QueryError, SearchQuery
from knowledge.search.ranking import Candidate, Scored, rank, subject_words
from knowledge.search.reasons import reason
from knowledge.search.result import SearchHit, SearchResult
from knowledge.search.retrieval import (
    CANDIDATE_LIMIT,
    Scope,
    fetch_candidates,
    fetch_mentions,
    fetch_unmentioned,
    index_ready,
)
from knowledge.search.routes import with_route_places
from knowledge.search.search_plan import DEFAULT_RADIUS_KM, WIDER_RADII_KM, Plan, make_plan
from knowledge.search.words import Mentions, mentions, with_near_misses
from knowledge.settings import DEFAULT_FRESHNESS_DAYS
from knowledge.taxonomy import Taxonomy, load_taxonomy

__all__ = ["QueryError", "SearchQuery", "SearchResult", "search"]


def search(
    session: Session,
    query: SearchQuery,
    *,
    today: date | None = None,
    limit: int = 5,
    offset: int = 0,
    freshness_days: int = DEFAULT_FRESHNESS_DAYS,
    voice: Voice | None = None,
) -> SearchResult:
    """Active, not-ended listings matching the query, best first, with reasons; explains empty or
    thin results. Raises QueryError (UnknownPlace, UnknownTopic) for requests it cannot run.

    Listings not confirmed for `freshness_days` rank lower: the caller passes its FRESHNESS_DAYS
    setting (the search never reads the environment). Reasons and explanations are worded in
    `voice` (the learner's language in the city's region), else in the query's `text_language`.
    """
    voice = voice or voice_of(query.text_language, "")
    if limit < 0 or offset < 0:
        raise QueryError("limit and offset cannot be negative")
    today = today or date.today()
    taxonomy = load_taxonomy(session)
    plan = replace(make_plan(query, taxonomy), freshness_days=freshness_days)
    plan = with_route_places(session, plan)  # "near the 14 bus": the places whose notes say so
    plan = with_place_centre(session, plan)  # "within 2 km of" a place with no centre
    needed = offset + limit
    dialect = session.get_bind().dialect.name
    if not plan.topic_ids and subject_words(plan):
        plan = with_near_misses(session, plan)  # "sparing" no listing says: "sparring"
    scope = Scope.of(plan, today, dialect=dialect)
    found = fetch_candidates(session, scope)
    if not found and scope.indexed and not index_ready(session):
        # Loaded without `write_search_entries` (or not migrated data): read the listings.
        scope = replace(scope, indexed=False)
        found = fetch_candidates(session, scope)
    # "Near Riverside" without a radius is a preference: look farther until the page is full.
    for radius in WIDER_RADII_KM if plan.point and not plan.radius_given else ():
        if len(found) >= needed:
            break
        plan = replace(plan, radius_km=radius, widened_from_km=DEFAULT_RADIUS_KM)
        scope = replace(scope, plan=plan)
        found = fetch_candidates(session, scope)
    scope, candidates, matched = _top_up(session, scope, found, needed)
    plan = scope.plan
    total = len(candidates)
    ranked = rank(candidates, plan, taxonomy, today)
    page = ranked[offset : offset + limit]
    said = mentions(
        session, plan, [item.candidate for item in page if not item.topics], taxonomy.topics
    )
    hits = [_hit(item, plan, taxonomy, said.get(item.candidate.id), voice) for item in page]
    explanation = (
        explain(session, scope, taxonomy, matched, padded=total - matched, voice=voice)
        if matched < FEW
        else None
    )
    return SearchResult(hits, total, explanation, plan.to_dict(), total < CANDIDATE_LIMIT)


def _top_up(
    session: Session, scope: Scope, found: list[Candidate], needed: int
) -> tuple[Scope, list[Candidate], int]:
    """Add listings that only mention the topic when too few are filed under it; when the subject
    is words and too few say them, those that fit the filters alone, so words never empty a page
    the filters would fill. Returns the scope (its plan with typos of the added words read), the
    candidates and how many match the subject."""
    plan = scope.plan
    if plan.topic_ids and len(found) < needed:
        scope = replace(scope, plan=with_near_misses(session, plan))
        exclude = [candidate.id for candidate in found]
        found += fetch_mentions(session, scope, exclude, CANDIDATE_LIMIT - len(found))
    matched = len(found)
    if scope.by_words and len(found) < needed and filter_groups(plan, scope.today):
        exclude = [candidate.id for candidate in found]
        found += fetch_unmentioned(session, scope, exclude, CANDIDATE_LIMIT - len(found))
    return scope, found, matched


def _hit(
    item: Scored, plan: Plan, taxonomy: Taxonomy, said: Mentions | None, voice: Voice
) -> SearchHit:
    """The public view of a ranked candidate, with its one-line reason."""
    candidate = item.candidate
    place = taxonomy.places.get(candidate.neighbourhood_id or -1)
    return SearchHit(
        id=candidate.id,
        external_id=candidate.external_id,
        title=candidate.title,
        provider=candidate.provider,
        score=item.score,
        reason=reason(item, plan, taxonomy, said, voice),
        distance_km=item.distance_km,
        topics=item.topics,
        neighbourhood=place.name if place else None,
        format=candidate.format,
        assured_date=candidate.assured_date,
        stale=item.stale,
    )
