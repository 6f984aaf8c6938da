"""The search: filtering and candidate retrieval in indexed SQL, ranking a bounded set in Python."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from knowledge.search.explain import FEW, explain
from knowledge.search.freshness import freshness_days as freshness_setting
from knowledge.search.plan import DEFAULT_RADIUS_KM, WIDER_RADII_KM, Plan, make_plan
from knowledge.search.query import QueryError, SearchQuery
from knowledge.search.ranking import Candidate, Scored, rank
from knowledge.search.reasons import reason
from knowledge.search.result import SearchHit, SearchResult
from knowledge.search.retrieval import (
    CANDIDATE_LIMIT,
    Scope,
    fetch_candidates,
    fetch_mentions,
    fetch_title_typos,
    index_ready,
)
from knowledge.taxonomy import Taxonomy, load_taxonomy

__all__ = ["QueryError", "SearchQuery", "SearchResult", "search"]


def search(
    session: Session,
    query: SearchQuery,
    *,
    today: date | None = None,
    limit: int = 5,
    offset: int = 0,
    freshness_days: int | None = None,
) -> SearchResult:
    """Active, not-ended listings matching the query, best first, with reasons; explains empty or
    thin results. Raises QueryError (UnknownPlace, UnknownTopic) for requests it cannot run.

    Listings not confirmed for `freshness_days` (default: the FRESHNESS_DAYS setting) rank lower.
    """
    if limit < 0 or offset < 0:
        raise QueryError("limit and offset cannot be negative")
    today = today or date.today()
    taxonomy = load_taxonomy(session)
    plan = replace(make_plan(query, taxonomy), freshness_days=freshness_setting(freshness_days))
    needed = offset + limit
    scope = Scope.of(plan, today, sqlite=session.get_bind().dialect.name == "sqlite")
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
    candidates = _top_up(session, plan, today, found, needed)
    total = len(candidates)
    ranked = rank(candidates, plan, taxonomy, today)
    hits = [_hit(item, plan, taxonomy) for item in ranked[offset : offset + limit]]
    explanation = explain(session, scope, taxonomy, total) if total < FEW else None
    return SearchResult(hits, total, explanation, plan.to_dict(), total < CANDIDATE_LIMIT)


def _top_up(
    session: Session, plan: Plan, today: date, found: list[Candidate], needed: int
) -> list[Candidate]:
    """Add listings that only mention the topic when too few are filed under it, or those with a
    title typo when no word matched."""
    if plan.topic_ids and len(found) < needed:
        found.extend(fetch_mentions(session, plan, today, [c.id for c in found]))
    elif not found and not plan.topic_ids and plan.terms:
        found = fetch_title_typos(session, plan, today)
    return found


def _hit(item: Scored, plan: Plan, taxonomy: Taxonomy) -> SearchHit:
    """The public view of a ranked candidate, with its one-line reason."""
    candidate = item.candidate
    place = taxonomy.places.get(candidate.neighbourhood_id or -1)
    return SearchHit(
        id=candidate.id,
        external_id=candidate.external_id,
        title=candidate.title,
        provider=candidate.provider,
        score=item.score,
        reason=reason(item, plan, taxonomy),
        distance_km=item.distance_km,
        topics=item.topics,
        neighbourhood=place.name if place else None,
        format=candidate.format,
        assured_date=candidate.assured_date,
        stale=item.stale,
    )
