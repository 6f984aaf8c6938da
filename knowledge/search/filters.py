"""Each filter as SQL, grouped by what a learner could give up ("age", "cost", …).

Filters read the same-named columns of the listings or of the search index (`source`).
"""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import ColumnElement, and_, or_, select

from knowledge.models import Opportunity, SearchEntry, days_to_mask
from knowledge.models.opportunity import opportunity_location
from knowledge.search.geo import Source, within_km
from knowledge.search.search_plan import Plan, summer_window

# The groups a relaxation may drop one at a time, in the order explanations list them.
GROUPS = ("age", "cost", "place", "time", "format", "language", "upcoming")
WEEKDAY_MASK = days_to_mask(["Mon", "Tue", "Wed", "Thu", "Fri"])
WEEKEND_MASK = days_to_mask(["Sat", "Sun"])
AFTER_SCHOOL = (time(14, 30), time(18, 0))
EVENING_FROM = time(17, 30)
MORNING_UNTIL = time(12, 0)
# A hybrid listing can be joined either way, so it satisfies both "online" and "in person".
FORMATS_ACCEPTED = {
    "online": ("online", "hybrid"),
    "in_person": ("in_person", "hybrid"),
    "hybrid": ("hybrid",),
}


def visible(today: date, source: Source = Opportunity) -> ColumnElement[bool]:
    """Only active listings that have not ended; closed, defunct and past ones never show (the
    search index holds active listings only)."""
    not_ended = or_(source.end_date.is_(None), source.end_date >= today)
    if source is Opportunity:
        return and_(Opportunity.status == "active", not_ended)
    return not_ended


def filter_groups(
    plan: Plan, today: date, source: Source = Opportunity
) -> dict[str, ColumnElement[bool]]:
    """The plan's active filters by group; a missing group means no such filter."""
    groups: dict[str, ColumnElement[bool]] = {}
    if plan.age is not None:
        groups["age"] = and_(
            or_(source.min_age.is_(None), source.min_age <= plan.age),
            or_(source.max_age.is_(None), source.max_age >= plan.age),
        )
    if plan.free_only:
        groups["cost"] = source.is_free.is_(True)
    elif plan.max_cost is not None:
        groups["cost"] = or_(source.is_free.is_(True), source.cost_amount <= plan.max_cost)
    place = _place(plan, source)
    if place is not None:
        groups["place"] = place
    timing = _timing(plan, today, source)
    if timing is not None:
        groups["time"] = timing
    if plan.format is not None:
        groups["format"] = source.format.in_(FORMATS_ACCEPTED[plan.format])
    if plan.language is not None:
        # "es" also finds classes taught in a regional Spanish ("es-419", "es-MX").
        taught = ";" + source.languages + ";"
        groups["language"] = or_(
            taught.ilike(f"%;{plan.language};%"), taught.ilike(f"%;{plan.language}-%")
        )
    if plan.upcoming_days is not None:
        soon = today + timedelta(days=plan.upcoming_days)
        groups["upcoming"] = or_(source.start_date.is_(None), source.start_date <= soon)
    return groups


def _place(plan: Plan, source: Source) -> ColumnElement[bool] | None:
    """Within the radius of the point (a neighbourhood's centre); a neighbourhood with no centre
    point keeps the listings filed under it; on the line asked for, when one is."""
    clauses: list[ColumnElement[bool]] = []
    if plan.point is not None:
        clauses.append(within_km(*plan.point, plan.radius_km, (source.latitude, source.longitude)))
    elif plan.place is not None:
        clauses.append(source.neighbourhood_id == plan.place.id)
    if plan.route is not None:
        listing = SearchEntry.opportunity_id if source is SearchEntry else Opportunity.id
        held = select(opportunity_location.c.opportunity_id).where(
            opportunity_location.c.location_id.in_(plan.route_places)
        )
        clauses.append(listing.in_(held))
    return and_(*clauses) if clauses else None


def _timing(plan: Plan, today: date, source: Source) -> ColumnElement[bool] | None:
    """Days (any of them) and every time-of-day or season asked for; a self-paced online listing
    (no days, no start time) fits any day and time, though not a season."""
    weekly: list[ColumnElement[bool]] = []
    if plan.days:
        weekly.append(source.days_mask.bitwise_and(days_to_mask(list(plan.days))) != 0)
    weekly.extend(_when(when, today, source) for when in plan.when if when != "summer")
    self_paced = and_(source.format == "online", source.days_mask == 0, source.start_time.is_(None))
    clauses = [or_(and_(*weekly), self_paced)] if weekly else []
    if "summer" in plan.when:
        clauses.append(_when("summer", today, source))
    return and_(*clauses) if clauses else None


def _when(when: str, today: date, source: Source) -> ColumnElement[bool]:
    """One of weekend, weekday, after_school, evening, morning, summer as SQL."""
    if when == "weekend":
        return source.days_mask.bitwise_and(WEEKEND_MASK) != 0
    if when == "weekday":
        return source.days_mask.bitwise_and(WEEKDAY_MASK) != 0
    if when == "after_school":
        return and_(
            source.days_mask.bitwise_and(WEEKDAY_MASK) != 0,
            source.start_time >= AFTER_SCHOOL[0],
            source.start_time < AFTER_SCHOOL[1],
        )
    if when == "evening":
        return source.start_time >= EVENING_FROM
    if when == "morning":
        return source.start_time < MORNING_UNTIL
    first, last = summer_window(today)
    return and_(
        or_(source.start_date.is_(None), source.start_date <= last),
        or_(source.end_date.is_(None), source.end_date >= first),
        or_(source.start_date.is_not(None), source.end_date.is_not(None)),
    )
