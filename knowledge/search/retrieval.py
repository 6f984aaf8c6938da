"""Getting candidates out of the database fast: ids from the search index (topic, then place and
filters in one index range), bounded and nearest first, then the few listing rows they name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, not_, or_, select
from sqlalchemy.orm import Session

from knowledge.models import Opportunity, Provider, SearchEntry
from knowledge.models.opportunity import opportunity_topic
from knowledge.search.filters import filter_groups, visible
from knowledge.search.geo import Source, squared_km
from knowledge.search.index import TITLE_END
from knowledge.search.plan import Plan
from knowledge.search.ranking import Candidate
from knowledge.taxonomy import is_near_miss, max_typos

CANDIDATE_LIMIT = 100  # ranked in Python; the total is exact below it, "100 or more" at it
COUNT_CAP = 1000  # relaxation counts in explanations are exact up to here
FUZZY_SCAN_LIMIT = 3000  # titles scanned for typos when no word matched exactly
TEXT_SCAN_LIMIT = 20_000  # listings read for words when no topic is known (see text_scan)
MAX_TEXT_PHRASES = 24

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
    a topic (or nothing), the listings' own text when it is only words."""

    plan: Plan
    today: date
    indexed: bool
    scan_in_id_order: bool = False  # see text_scan

    @classmethod
    def of(cls, plan: Plan, today: date, *, sqlite: bool = False) -> Scope:
        """Use the search index unless the subject is words only."""
        return cls(plan, today, bool(plan.topic_ids) or not text_words(plan), sqlite)

    @property
    def source(self) -> Source:
        """The table the filters read."""
        return SearchEntry if self.indexed else Opportunity

    def ids(
        self, topic_ids: Sequence[int], *, drop: str | None = None, failing: str | None = None
    ) -> Select[Any]:
        """(id, latitude, longitude) of listings about these topics (or the plan's words) passing
        every filter except `drop`, and failing the filter `failing` when given."""
        source = self.source
        groups = filter_groups(self.plan, self.today, source)
        clauses = [visible(self.today, source)]
        clauses += [clause for name, clause in groups.items() if name != drop]
        if failing is not None:
            clauses.append(not_(groups[failing]))
        if self.indexed:
            about = (
                SearchEntry.topic_id.in_(topic_ids) if topic_ids else SearchEntry.topic_id.is_(None)
            )
            return select(
                SearchEntry.opportunity_id.label("id"), SearchEntry.latitude, SearchEntry.longitude
            ).where(about, *clauses)
        if not topic_ids and text_words(self.plan):
            return text_scan(clauses, text_words(self.plan), in_id_order=self.scan_in_id_order)
        statement = select(Opportunity.id, Opportunity.latitude, Opportunity.longitude)
        if topic_ids:
            statement = statement.join(
                opportunity_topic, opportunity_topic.c.opportunity_id == Opportunity.id
            ).where(opportunity_topic.c.topic_id.in_(topic_ids))
        return statement.where(*clauses)


def index_ready(session: Session) -> bool:
    """The search index has entries (bulk loaders fill it with `write_search_entries`)."""
    return session.scalar(select(SearchEntry.id).limit(1)) is not None


def text_scan(
    clauses: Sequence[ColumnElement[bool]], phrases: Sequence[str], *, in_id_order: bool = False
) -> Select[Any]:
    """(id, latitude, longitude) of listings passing the clauses whose search text contains any
    of the lemma phrases as whole words.

    Without a full-text index this reads listings one by one, so it reads at most
    TEXT_SCAN_LIMIT of them: every listing of a city-sized directory, and a bounded sample of a
    larger one (where a word nobody uses would otherwise cost a scan of every listing).
    `in_id_order` (SQLite) reads the table in its own order and stops at the first matches:
    left to itself, SQLite first collected every row id the status/end-date index offered
    (a MULTI-INDEX OR), 50 ms on 100k listings for a common word instead of 2 ms.
    """
    scanned_rows = select(
        Opportunity.id, Opportunity.latitude, Opportunity.longitude, Opportunity.search_text
    ).where(*clauses)
    if in_id_order:
        scanned_rows = scanned_rows.order_by(Opportunity.id)
    scanned = scanned_rows.limit(TEXT_SCAN_LIMIT).subquery("scanned")
    said = or_(*(scanned.c.search_text.like(f"% {phrase} %") for phrase in phrases))
    return select(scanned.c.id, scanned.c.latitude, scanned.c.longitude).where(said)


def text_words(plan: Plan) -> tuple[str, ...]:
    """The words a listing must mention when no topic is known (subject words before "club")."""
    return plan.strong_terms or plan.terms


def count_matches(session: Session, scope: Scope, *, drop: str | None = None) -> int:
    """How many listings match the scope (without filter `drop`), counted up to COUNT_CAP."""
    matching = scope.ids(scope.plan.topic_ids, drop=drop)
    if len(scope.plan.topic_ids) > 1:
        matching = matching.distinct()
    capped = matching.limit(COUNT_CAP).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def fetch_candidates(session: Session, scope: Scope) -> list[Candidate]:
    """Up to CANDIDATE_LIMIT matching listings, nearest first when a place is known."""
    plan = scope.plan
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
    session: Session, plan: Plan, today: date, exclude: Sequence[int]
) -> list[Candidate]:
    """Listings not filed under the topics that mention them in their text (ranked lower)."""
    clauses = [visible(today), *filter_groups(plan, today).values()]
    if exclude:
        clauses.append(Opportunity.id.not_in(list(exclude)))
    sqlite = session.get_bind().dialect.name == "sqlite"
    phrases = list(plan.mention_phrases)[:MAX_TEXT_PHRASES]
    statement = text_scan(clauses, phrases, in_id_order=sqlite)
    ranked = _ranked(session, statement, plan, CANDIDATE_LIMIT - len(exclude))
    return _rows(session, [listing_id for listing_id, _distance in ranked])


def fetch_title_typos(session: Session, plan: Plan, today: date) -> list[Candidate]:
    """Listings whose title has a near miss of a typed word ("scrach" → "Scratch"), among the
    first FUZZY_SCAN_LIMIT that pass the filters."""
    words = [word for word in plan.strong_terms if max_typos(len(word)) > 0]
    if not words:
        return []
    clauses = [visible(today), *filter_groups(plan, today).values()]
    rows = session.connection().execute(
        select(Opportunity.id, Opportunity.search_text).where(*clauses).limit(FUZZY_SCAN_LIMIT)
    )
    ids = []
    for listing_id, search_text in rows:
        title_words = set(search_text.partition(f" {TITLE_END} ")[0].split())
        if any(is_near_miss(word, title_words) for word in words):
            ids.append(listing_id)
    return _rows(session, ids[:CANDIDATE_LIMIT])


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
