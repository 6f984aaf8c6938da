"""Why a search found nothing (or little): drop one filter at a time and describe what appears."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Opportunity, mask_to_days
from knowledge.search.filters import GROUPS, filter_groups
from knowledge.search.geo import haversine_km
from knowledge.search.interpret import LANGUAGES
from knowledge.search.reasons import age_range, cost_label
from knowledge.search.result import Explanation, Relaxation
from knowledge.search.retrieval import Scope, count_matches
from knowledge.search.search_plan import Plan
from knowledge.taxonomy import Taxonomy

FEW = 3  # fewer results than this come with an explanation
SAMPLE = 200  # listings a relaxation looks at to say what is closest
LANGUAGE_NAMES = {code: name.capitalize() for name, code in reversed(LANGUAGES.items())}
FORMAT_NAMES = {"in_person": "in person", "online": "online", "hybrid": "hybrid"}
SAMPLE_COLUMNS = (
    Opportunity.min_age,
    Opportunity.max_age,
    Opportunity.is_free,
    Opportunity.cost_amount,
    Opportunity.cost_currency,
    Opportunity.latitude,
    Opportunity.longitude,
    Opportunity.neighbourhood_id,
    Opportunity.format,
    Opportunity.days_mask,
    Opportunity.start_time,
    Opportunity.start_date,
    Opportunity.languages,
)
Describe = Callable[[list[Any], Plan, Taxonomy], tuple[str, dict[str, Any]]]


def explain(
    session: Session, scope: Scope, taxonomy: Taxonomy, total: int, *, padded: int = 0
) -> Explanation:
    """Which filters emptied the result and what each one, given up alone, would find.

    `total` listings match the subject; `padded` more only fit the filters (shown after them when
    the subject is words): "nothing matches" is said only when neither finds anything.
    """
    plan = scope.plan
    groups = filter_groups(plan, scope.today)
    unfiltered = count_matches(session, replace(scope, plan=_unfiltered(plan))) if groups else total
    subject = _subject(plan)
    blocking: list[Relaxation] = []
    # Compare like with like: listings about the subject (not the text mentions added to a page).
    current = count_matches(session, scope) if groups else unfiltered
    if unfiltered > current:
        for name in GROUPS:
            if name not in groups:
                continue
            count = count_matches(session, scope, drop=name)
            if count <= current:
                continue
            failing = scope.ids(plan.topic_ids, drop=name, failing=name).limit(SAMPLE).subquery()
            rows = list(
                session.execute(
                    select(*SAMPLE_COLUMNS).where(Opportunity.id.in_(select(failing.c.id)))
                )
            )
            detail, closest = DESCRIBE[name](rows, plan, taxonomy)
            blocking.append(
                Relaxation(name, count, f"{_count_phrase(count, subject)} {detail}", closest)
            )
    blocking.sort(key=lambda relaxation: -relaxation.count)
    suggestions = _suggestions(plan, taxonomy) if unfiltered == 0 else ()
    message = _message(plan, subject, total, unfiltered, blocking, suggestions)
    if padded:
        message = _padded_message(message, subject, total, unfiltered)
    return Explanation(subject, total, unfiltered, tuple(blocking), message, suggestions)


def _unfiltered(plan: Plan) -> Plan:
    """The plan with every filter removed: only its subject is left."""
    return replace(
        plan,
        age=None,
        free_only=False,
        max_cost=None,
        days=(),
        when=(),
        format=None,
        language=None,
        upcoming_days=None,
        place=None,
        point=None,
    )


def _subject(plan: Plan) -> str:
    """What the listings were to be about ("robotics", "camp"), to name them in messages."""
    return " & ".join(plan.topic_names) or " ".join(plan.terms)


def _count_phrase(count: int, subject: str) -> str:
    """A count with its noun in agreement: "3 robotics programs exist", "1 program exists"."""
    noun = f"{subject} program" if subject else "program"
    return f"1 {noun} exists" if count == 1 else f"{count} {noun}s exist"


def _message(
    plan: Plan,
    subject: str,
    total: int,
    unfiltered: int,
    blocking: list[Relaxation],
    suggestions: tuple[str, ...],
) -> str:
    """One sentence (or two) a reply can use as is."""
    what = f"{subject} programs" if subject else "programs"
    if unfiltered == 0:
        asked = plan.text.strip() or subject or "that"
        hint = f" Try {', '.join(suggestions)}." if suggestions else ""
        return f"Nothing in the directory matches “{asked}”.{hint}"
    if total == 0 and blocking:
        return f"No {what} match all your filters: {blocking[0].message}."
    if total == 0:
        return (
            f"{unfiltered} {what} exist, but none matches this combination of filters; "
            "try giving up more than one."
        )
    found = f"Only {total} {what[:-1] if total == 1 else what} match{'es' if total == 1 else ''}"
    return f"{found}; {blocking[0].message}." if blocking else f"{found}."


def _padded_message(message: str, subject: str, total: int, unfiltered: int) -> str:
    """The message when listings that only fit the filters fill the page after those that say
    the words (or instead of them)."""
    if unfiltered == 0:
        return f"Nothing in the directory mentions “{subject}”; these fit your other filters."
    others = "The other results" if total else "The results"
    return f"{message} {others} fit your filters but do not mention “{subject}”."


def _suggestions(plan: Plan, taxonomy: Taxonomy) -> tuple[str, ...]:
    """Topics that look like the words typed, for "did you mean"."""
    return tuple(taxonomy.suggest_topics(plan.strong_terms or plan.terms))


def _ages(rows: list[Any], plan: Plan, _taxonomy: Taxonomy) -> tuple[str, dict[str, Any]]:
    """The ages the listings are for, so a parent sees at once why none fit ("all for 14+")."""
    lows = [row.min_age for row in rows if row.min_age is not None]
    highs = [row.max_age for row in rows if row.max_age is not None]
    low = min(lows) if len(lows) == len(rows) else None
    high = max(highs) if len(highs) == len(rows) else None
    if plan.age is not None and low is not None and low > plan.age:
        detail = f"all for ages {low}+"
    elif plan.age is not None and high is not None and high < plan.age:
        detail = f"all for ages up to {high}"
    else:
        detail = f"for {age_range(low, high)}"
    return f"without the age limit, {detail}", {"min_age": low, "max_age": high}


def _costs(rows: list[Any], plan: Plan, _taxonomy: Taxonomy) -> tuple[str, dict[str, Any]]:
    """The cheapest price among the listings over the limit ("the cheapest costs $40")."""
    priced = [row for row in rows if row.cost_amount is not None]
    cheapest = min(priced, key=lambda row: row.cost_amount) if priced else None
    limit = "none is free" if plan.free_only else f"all cost more than {_money(plan.max_cost)}"
    if cheapest is None:
        return f"but {limit} (their cost is not listed)", {"cheapest": None}
    price = cost_label(False, cheapest.cost_amount, cheapest.cost_currency)
    return f"but {limit}; the cheapest costs {price}", {"cheapest": float(cheapest.cost_amount)}


def _money(amount: Decimal | None) -> str:
    """The price limit as shown to people ("$50")."""
    return cost_label(False, amount) if amount is not None else "your limit"


def _places(rows: list[Any], plan: Plan, taxonomy: Taxonomy) -> tuple[str, dict[str, Any]]:
    """How far the nearest one is, and how many are online, so the learner can judge the trip."""
    online = sum(1 for row in rows if row.format == "online")
    placed = [row for row in rows if row.latitude is not None and row.longitude is not None]
    closest: dict[str, Any] = {"online": online, "nearest_km": None, "nearest_neighbourhood": None}
    parts = []
    if plan.point is not None and placed:
        latitude, longitude = plan.point
        nearest = min(
            placed, key=lambda row: haversine_km(latitude, longitude, row.latitude, row.longitude)
        )
        distance = haversine_km(latitude, longitude, nearest.latitude, nearest.longitude)
        place = taxonomy.places.get(nearest.neighbourhood_id or -1)
        closest["nearest_km"] = round(distance, 1)
        closest["nearest_neighbourhood"] = place.name if place else None
        where = f", in {place.name}" if place else ""
        parts.append(f"the nearest is {distance:.1f} km from {plan.place_label()}{where}")
    if online:
        parts.append(f"{online} online")
    detail = "farther away" + (f"; {' and '.join(parts)}" if parts else "")
    return detail, closest


def _times(rows: list[Any], _plan: Plan, _taxonomy: Taxonomy) -> tuple[str, dict[str, Any]]:
    """The days the listings do meet ("at other times (Tue, Thu)")."""
    mask = 0
    for row in rows:
        mask |= row.days_mask or 0
    days = mask_to_days(mask)
    starts = sorted({row.start_time.strftime("%H:%M") for row in rows if row.start_time})
    shown = ", ".join(days) if days else "on dates that do not fit"
    return f"at other times ({shown})", {"days": days, "start_times": starts}


def _formats(rows: list[Any], _plan: Plan, _taxonomy: Taxonomy) -> tuple[str, dict[str, Any]]:
    """The formats the listings come in ("3 in person")."""
    counts = Counter(row.format for row in rows)
    shown = ", ".join(f"{count} {FORMAT_NAMES.get(name, name)}" for name, count in counts.items())
    return f"in other formats ({shown})", {"formats": dict(counts)}


def _languages(rows: list[Any], _plan: Plan, _taxonomy: Taxonomy) -> tuple[str, dict[str, Any]]:
    """The languages the listings are taught in ("taught in English")."""
    codes = sorted({code for row in rows for code in (row.languages or "").split(";") if code})
    names = [LANGUAGE_NAMES.get(code, code) for code in codes]
    return f"taught in {', '.join(names) or 'other languages'}", {"languages": codes}


def _upcoming(rows: list[Any], _plan: Plan, _taxonomy: Taxonomy) -> tuple[str, dict[str, Any]]:
    """When the soonest of the later listings starts ("the soonest on March 1")."""
    starts = sorted(row.start_date for row in rows if row.start_date is not None)
    if not starts:
        return "starting later", {"soonest": None}
    return f"starting later, the soonest on {starts[0]:%B} {starts[0].day}", {
        "soonest": starts[0].isoformat()
    }


DESCRIBE: dict[str, Describe] = {
    "age": _ages,
    "cost": _costs,
    "place": _places,
    "time": _times,
    "format": _formats,
    "language": _languages,
    "upcoming": _upcoming,
}
