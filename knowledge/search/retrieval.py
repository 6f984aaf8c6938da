"""Getting candidates out of the database fast: ids from the search index (topic, then place and
filters in one index range), bounded and nearest first, or from the engine's full-text index when
the subject is only words (best first, never a filter); then the few listing rows they name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, not_, select
from sqlalchemy.orm import Session

from knowledge.models import Opportunity, Provider, SearchEntry
from knowledge.models.opportunity import opportunity_topic
from knowledge.search import fulltext
from knowledge.search.filters import filter_groups, visible
from knowledge.search.geo import Source, squared_km
from knowledge.search.ranking import Candidate, subject_words
from knowledge.search.search_plan import Plan

CANDIDATE_LIMIT = 100  # ranked in Python; the total is exact below it, "100 or more" at it
COUNT_CAP = 1000  # relaxation counts in explanations are exact up to here
RELATED_WEIGHT = 0.5  # a related phrase (Plan.concept_phrases) finds listings, ranked lower
PADDING_RADII_KM = (1.0, 2.0, 5.0, 10.0)  # circles searched for listings that fit the filters

CANDIDATE_COLUMNS = (
    Opportunity.id,
    Opportunity.external_id,
    Opportunity.title,
    Provider.name,
    Opportunity.search_text,
    Opportunity.min_age,
    Opportunity.max_age,
    Opportunity.cost_amount,
    Opportunity.cost_currency,
    Opportunity.is_free,
    Opportunity.format,
    Opportunity.days_mask,
    Opportunity.start_time,
    Opportunity.start_date,
    Opportunity.end_date,
    Opportunity.languages,
    Opportunity.latitude,
    Opportunity.longitude,
    Opportunity.neighbourhood_id,
    Opportunity.assured_date,
)


@dataclass(frozen=True)
class Scope:
    """Which listings a plan covers and where to read them: the search index when the subject is
    a topic (or nothing), the full-text index when it is only words."""

    plan: Plan
    today: date
    indexed: bool
    dialect: str = "sqlite"  # the full-text index differs by engine

    @classmethod
    def of(cls, plan: Plan, today: date, *, dialect: str = "sqlite") -> Scope:
        """Use the search index unless the subject is words only."""
        return cls(plan, today, bool(plan.topic_ids) or not subject_words(plan), dialect)

    @property
    def source(self) -> Source:
        """The table the filters read."""
        return SearchEntry if self.indexed else Opportunity

    @property
    def by_words(self) -> bool:
        """The subject is words only: listings are found by the full-text index."""
        return not self.indexed and not self.plan.topic_ids and bool(subject_words(self.plan))

    def clauses(
        self, *, drop: str | None = None, failing: str | None = None
    ) -> list[ColumnElement[bool]]:
        """Visible and every filter except `drop`, failing the filter `failing` when given."""
        source = self.source
        groups = filter_groups(self.plan, self.today, source)
        clauses = [visible(self.today, source)]
        clauses += [clause for name, clause in groups.items() if name != drop]
        if failing is not None:
            clauses.append(not_(groups[failing]))
        return clauses

    def ids(
        self, topic_ids: Sequence[int], *, drop: str | None = None, failing: str | None = None
    ) -> Select[Any]:
        """(id, latitude, longitude) of listings about these topics (or saying the plan's words)
        passing every filter except `drop`, and failing the filter `failing` when given."""
        clauses = self.clauses(drop=drop, failing=failing)
        if self.indexed:
            about = (
                SearchEntry.topic_id.in_(topic_ids) if topic_ids else SearchEntry.topic_id.is_(None)
            )
            return select(
                SearchEntry.opportunity_id.label("id"), SearchEntry.latitude, SearchEntry.longitude
            ).where(about, *clauses)
        statement = select(Opportunity.id, Opportunity.latitude, Opportunity.longitude)
        if not topic_ids and subject_words(self.plan):
            own, related = word_groups(self.plan)
            said = fulltext.matches(self.dialect, [*own, *([related] if related else [])])
            return statement.where(Opportunity.id.in_(select(said.c.id)), *clauses)
        if topic_ids:
            statement = statement.join(
                opportunity_topic, opportunity_topic.c.opportunity_id == Opportunity.id
            ).where(opportunity_topic.c.topic_id.in_(topic_ids))
        return statement.where(*clauses)


def index_ready(session: Session) -> bool:
    """The search index has entries (bulk loaders fill it with `write_search_entries`)."""
    return session.scalar(select(SearchEntry.id).limit(1)) is not None


Groups = tuple[list[fulltext.Phrase], fulltext.Phrase | None]


def word_groups(plan: Plan) -> Groups:
    """What the full-text index looks for when no topic is known: each of the learner's words,
    then the phrases related to them (weaker, looked for when the words find too few)."""
    words = subject_words(plan)
    related = fulltext.related_phrase(plan.concept_phrases, RELATED_WEIGHT, words)
    return fulltext.word_phrases(words), related


def mention_groups(plan: Plan) -> Groups:
    """What finds listings that mention the topics without being filed under them: the words
    typed and the topic names, the other subject words, then related phrases (weaker)."""
    words = [*plan.mention_phrases, *plan.strong_terms]
    related = fulltext.related_phrase(plan.concept_phrases, RELATED_WEIGHT, words)
    return fulltext.word_phrases(words), related


def count_matches(session: Session, scope: Scope, *, drop: str | None = None) -> int:
    """How many listings match the scope (without filter `drop`), counted up to COUNT_CAP."""
    matching = scope.ids(scope.plan.topic_ids, drop=drop)
    if len(scope.plan.topic_ids) > 1:
        matching = matching.distinct()
    capped = matching.limit(COUNT_CAP).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def fetch_candidates(session: Session, scope: Scope) -> list[Candidate]:
    """Up to CANDIDATE_LIMIT matching listings: nearest first when a place is known, best word
    match first when the subject is words."""
    plan = scope.plan
    if scope.by_words:
        ids = _said(session, scope.dialect, word_groups(plan), scope.clauses(), CANDIDATE_LIMIT)
        return _rows(session, ids)
    if len(plan.topic_ids) <= 1:
        return _rows(session, _ordered_ids(session, scope, plan.topic_ids))
    # One indexed query per topic stops at the limit; one DISTINCT over all topics would not.
    found: dict[int, float] = {}
    for topic_id in plan.topic_ids:
        for listing_id, distance in _ranked(session, scope.ids((topic_id,)), plan, CANDIDATE_LIMIT):
            found.setdefault(listing_id, distance)
    nearest = sorted(found, key=lambda listing_id: found[listing_id])
    return _rows(session, nearest[:CANDIDATE_LIMIT])


def fetch_mentions(
    session: Session, scope: Scope, exclude: Sequence[int], limit: int
) -> list[Candidate]:
    """Up to `limit` listings not filed under the topics that mention them (or the plan's other
    subject words, or related phrases) in their text, best match first (ranked lower)."""
    if limit <= 0:
        return []
    clauses = [visible(scope.today), *filter_groups(scope.plan, scope.today).values()]
    if exclude:
        clauses.append(Opportunity.id.not_in(list(exclude)))
    return _rows(session, _said(session, scope.dialect, mention_groups(scope.plan), clauses, limit))


def _said(
    session: Session,
    dialect: str,
    groups: Groups,
    clauses: Sequence[ColumnElement[bool]],
    limit: int,
) -> list[int]:
    """Ids of up to `limit` listings passing the clauses that say the learner's words, best
    first, then of those that only say related phrases when the words find fewer."""
    own, related = groups
    common = fulltext.common_words(session)
    found: list[int] = []
    if own:
        statement = fulltext.ranked(dialect, own, clauses, limit, common)
        found = list(session.connection().execute(statement).scalars())
    if related is not None and len(found) < limit:
        others = [*clauses, Opportunity.id.not_in(found)] if found else list(clauses)
        statement = fulltext.ranked(dialect, [related], others, limit - len(found), common)
        found += session.connection().execute(statement).scalars()
    return found


def fetch_unmentioned(
    session: Session, scope: Scope, exclude: Sequence[int], limit: int
) -> list[Candidate]:
    """Up to `limit` listings passing the filters whatever their words, as a search without
    words finds them (nearest first when a place is known): words rank, they never empty a
    page the filters alone would fill.

    Near a place they are looked for within growing circles, up to the search's radius: when a
    small circle holds enough of them they are the nearest anyway, and sorting every listing
    within 5 km (or 20) of a busy place by distance takes 0.1 s (or 0.5) at a million.
    """
    if limit <= 0:
        return []
    plan = scope.plan
    radii = [plan.radius_km]
    if plan.point is not None:
        radii = [radius for radius in PADDING_RADII_KM if radius < plan.radius_km] + radii
    filters = _filters_only(session, scope)
    ranked: list[tuple[int, float]] = []
    for radius in radii:
        near = replace(filters, plan=replace(filters.plan, radius_km=radius))
        statement = near.ids(())
        if exclude:
            statement = statement.where(statement.selected_columns.id.not_in(list(exclude)))
        ranked = _ranked(session, statement, plan, limit)
        if len(ranked) >= limit:
            break
    return _rows(session, [listing_id for listing_id, _distance in ranked])


def _filters_only(session: Session, scope: Scope) -> Scope:
    """The scope without its words: what a search with the same filters and no text covers."""
    plain = replace(scope.plan, terms=(), concept_phrases=())
    return replace(scope, plan=plain, indexed=index_ready(session))


def _ordered_ids(session: Session, scope: Scope, topic_ids: Sequence[int]) -> list[int]:
    """Matching ids, nearest first when a place is known, else in index order."""
    ranked = _ranked(session, scope.ids(topic_ids), scope.plan, CANDIDATE_LIMIT)
    return [listing_id for listing_id, _distance in ranked]


# The hot queries below run on the session's connection (Core rows, no ORM processing); the
# search has already autoflushed pending changes when it read the taxonomy.
def _ranked(
    session: Session, statement: Select[Any], plan: Plan, limit: int
) -> list[tuple[int, float]]:
    """Up to `limit` (id, squared km or 0) pairs from an (id, latitude, longitude) query: nearest
    first when a place is known (unplaced last), else in index order, which stops early."""
    if plan.point is None:
        rows = session.connection().execute(statement.limit(limit))
        return [(row[0], 0.0) for row in rows]
    columns = statement.selected_columns
    distance = squared_km(*plan.point, (columns.latitude, columns.longitude))
    ordered = statement.add_columns(distance).order_by(
        columns.latitude.is_(None), distance, columns.id
    )
    rows = session.connection().execute(ordered.limit(limit))
    return [(row[0], row[3] if row[3] is not None else float("inf")) for row in rows]


def _rows(session: Session, ids: Sequence[int]) -> list[Candidate]:
    """The listings with these ids, in the order given, each with its topic ids."""
    if not ids:
        return []
    topics = (
        select(func.aggregate_strings(cast(opportunity_topic.c.topic_id, String), ","))
        .where(opportunity_topic.c.opportunity_id == Opportunity.id)
        .scalar_subquery()
    )
    statement = (
        select(*CANDIDATE_COLUMNS, topics)
        .join(Provider, Provider.id == Opportunity.provider_id)
        .where(Opportunity.id.in_(list(ids)))
    )
    by_id: dict[int, Candidate] = {}
    for row in session.connection().execute(statement):  # Core: no ORM row processing
        candidate = Candidate(*row[:-1])
        candidate.topic_ids = tuple(
            sorted(int(part) for part in (row[-1] or "").split(",") if part)
        )
        by_id[candidate.id] = candidate
    return [by_id[listing_id] for listing_id in ids if listing_id in by_id]
