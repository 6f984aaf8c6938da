"""Why a search found nothing (or little): drop one filter at a time and describe what appears,
in the learner's language (a Voice; the words are in locales/<code>/words.yml)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, not_, select
from sqlalchemy.orm import Session

from knowledge.models import FORMATS, Opportunity, mask_to_days
from knowledge.search import formats
from knowledge.search.filters import GROUPS, filter_groups
from knowledge.search.formats import SOURCE_VOICE, Voice, dated
from knowledge.search.geo import haversine_km
from knowledge.search.interpret import LANGUAGE_NAMES
from knowledge.search.phrasing import counted, one_decimal
from knowledge.search.reasons import age_range, cost_label
from knowledge.search.result import Explanation, Relaxation
from knowledge.search.retrieval import COUNT_CAP, Scope, count_matches
from knowledge.search.search_plan import Plan
from knowledge.taxonomy import Taxonomy

FEW = 3  # fewer results than this come with an explanation
SAMPLE = 200  # listings a relaxation looks at to say what is closest
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
Describe = Callable[[list[Any], Plan, Taxonomy, Voice], tuple[str, dict[str, Any]]]


def explain(
    session: Session,
    scope: Scope,
    taxonomy: Taxonomy,
    total: int,
    *,
    padded: int = 0,
    voice: Voice = SOURCE_VOICE,
) -> Explanation:
    """Which filters emptied the result and what each one, given up alone, would find, in the
    learner's language.

    `total` listings match the subject; `padded` more only fit the filters (shown after them when
    the subject is words): "nothing matches" is said only when neither finds anything.
    """
    plan = scope.plan
    groups = filter_groups(plan, scope.today)
    subject = _subject(plan)
    blocking: list[Relaxation] = []
    if groups:
        unfiltered, relaxed = _relaxed(session, scope, groups)
    else:
        unfiltered, relaxed = total, []
    for name, count, rows in relaxed:
        detail, closest = DESCRIBE[name](rows, plan, taxonomy, voice)
        exist = _count_phrase(count, subject, voice)
        said = voice.word("relaxed", exist=exist, detail=detail)
        blocking.append(Relaxation(name, count, said, closest))
    blocking.sort(key=lambda relaxation: -relaxation.count)
    suggestions = _suggestions(plan, taxonomy) if unfiltered == 0 else ()
    message = _message(plan, subject, total, unfiltered, blocking, suggestions, voice)
    if padded:
        message = _padded_message(message, subject, total, unfiltered, voice)
    return Explanation(subject, total, unfiltered, tuple(blocking), message, suggestions)


Relaxed = list[tuple[str, int, list[Any]]]  # a filter, what giving it up finds, those it keeps out


def _relaxed(
    session: Session, scope: Scope, groups: dict[str, ColumnElement[bool]]
) -> tuple[int, Relaxed]:
    """How many listings are about the subject, and each filter that keeps some of them out on
    its own: what giving it up alone would find and the listings it keeps out. One query reads
    the subject's listings with whether each passes each filter; a subject of more than
    COUNT_CAP listings is counted filter by filter instead."""
    flags = [case((c, 1), (not_(c), 0)).label(_passes(name)) for name, c in groups.items()]
    about = replace(scope, plan=_unfiltered(scope.plan)).ids(scope.plan.topic_ids).subquery()
    ids = select(about.c.id).distinct().limit(COUNT_CAP + 1)
    rows = list(
        session.execute(
            select(Opportunity.id, *SAMPLE_COLUMNS, *flags).where(Opportunity.id.in_(ids))
        )
    )
    if len(rows) > COUNT_CAP:
        return _relaxed_by_counts(session, scope, groups)
    passes = [{name: getattr(row, _passes(name)) for name in groups} for row in rows]
    current = sum(1 for flags_of in passes if all(flag == 1 for flag in flags_of.values()))
    relaxed: Relaxed = []
    for name in GROUPS:
        if name not in groups:
            continue
        others = [
            (row, flags_of[name])
            for row, flags_of in zip(rows, passes, strict=True)
            if all(flag == 1 for other, flag in flags_of.items() if other != name)
        ]
        if len(others) <= current:
            continue
        relaxed.append((name, len(others), [row for row, flag in others if flag == 0]))
    return len(rows), relaxed


def _passes(name: str) -> str:
    """The label of a filter's column in _relaxed's rows: 1 passes, 0 fails, NULL unknown."""
    return f"passes_{name}"


def _relaxed_by_counts(
    session: Session, scope: Scope, groups: dict[str, ColumnElement[bool]]
) -> tuple[int, Relaxed]:
    """_relaxed for a subject too large to read: one count per filter (up to COUNT_CAP) and a
    sample of SAMPLE listings each blocking filter keeps out."""
    plan = scope.plan
    unfiltered = count_matches(session, replace(scope, plan=_unfiltered(plan)))
    current = count_matches(session, scope)
    relaxed: Relaxed = []
    for name in GROUPS if unfiltered > current else ():
        if name not in groups:
            continue
        count = count_matches(session, scope, drop=name)
        if count <= current:
            continue
        failing = scope.ids(plan.topic_ids, drop=name, failing=name).limit(SAMPLE).subquery()
        rows = list(
            session.execute(select(*SAMPLE_COLUMNS).where(Opportunity.id.in_(select(failing.c.id))))
        )
        relaxed.append((name, count, rows))
    return unfiltered, relaxed


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
        route=None,
    )


def _subject(plan: Plan) -> str:
    """What the listings were to be about ("robotics", "camp"), to name them in messages."""
    return " & ".join(plan.topic_names) or " ".join(plan.terms)


def _programs(subject: str, count: int, voice: Voice) -> str:
    """The noun for `count` listings about the subject: "robotics programs", "programa"."""
    key = "subject_programs" if subject else "programs"
    return counted(voice, key, count, subject=subject)


def _count_phrase(count: int, subject: str, voice: Voice) -> str:
    """A count with its noun in agreement: "3 robotics programs exist", "1 program exists"."""
    return counted(voice, "programs_exist", count, programs=_programs(subject, count, voice))


def _message(
    plan: Plan,
    subject: str,
    total: int,
    unfiltered: int,
    blocking: list[Relaxation],
    suggestions: tuple[str, ...],
    voice: Voice,
) -> str:
    """One sentence (or two) a reply can use as is."""
    if unfiltered == 0:
        asked = plan.text.strip() or subject or voice.word("that")
        hint = voice.word("try_these", suggestions=", ".join(suggestions)) if suggestions else ""
        return voice.word("nothing_matches", asked=asked, hint=hint)
    if total == 0 and blocking:
        nouns = {"program": _programs(subject, 1, voice), "programs": _programs(subject, 2, voice)}
        return voice.word("no_match_all_filters", reason=blocking[0].message, **nouns)
    if total == 0:
        programs = _programs(subject, unfiltered, voice)
        return counted(voice, "none_in_combination", unfiltered, programs=programs)
    found = counted(voice, "only_match", total, programs=_programs(subject, total, voice))
    if blocking:
        return voice.word("found_because", found=found, reason=blocking[0].message)
    return voice.word("found_only", found=found)


def _padded_message(message: str, subject: str, total: int, unfiltered: int, voice: Voice) -> str:
    """The message when listings that only fit the filters fill the page after those that say
    the words (or instead of them)."""
    if unfiltered == 0:
        return voice.word("nothing_mentions", subject=subject)
    key = "others_unmentioned" if total else "results_unmentioned"
    return voice.word(key, message=message, subject=subject)


def _suggestions(plan: Plan, taxonomy: Taxonomy) -> tuple[str, ...]:
    """Topics that look like the words typed, for "did you mean"."""
    return tuple(taxonomy.suggest_topics(plan.strong_terms or plan.terms))


def _ages(
    rows: list[Any], plan: Plan, _taxonomy: Taxonomy, voice: Voice
) -> tuple[str, dict[str, Any]]:
    """The ages the listings are for, so a parent sees at once why none fit ("all for 14+")."""
    lows = [row.min_age for row in rows if row.min_age is not None]
    highs = [row.max_age for row in rows if row.max_age is not None]
    low = min(lows) if len(lows) == len(rows) else None
    high = max(highs) if len(highs) == len(rows) else None
    if plan.age is not None and low is not None and low > plan.age:
        detail = voice.word("without_age_all_from", low=low)
    elif plan.age is not None and high is not None and high < plan.age:
        detail = voice.word("without_age_all_up_to", high=high)
    else:
        detail = voice.word("without_age_for", ages=age_range(low, high, voice))
    return detail, {"min_age": low, "max_age": high}


def _costs(
    rows: list[Any], plan: Plan, _taxonomy: Taxonomy, voice: Voice
) -> tuple[str, dict[str, Any]]:
    """The cheapest price among the listings over the limit ("the cheapest costs $40")."""
    priced = [row for row in rows if row.cost_amount is not None]
    cheapest = min(priced, key=lambda row: row.cost_amount) if priced else None
    if plan.free_only:
        limit = voice.word("none_free")
    else:
        limit = voice.word("all_cost_more", limit=_money(plan.max_cost, voice))
    if cheapest is None:
        return voice.word("cost_unlisted_but", limit=limit), {"cheapest": None}
    price = cost_label(False, cheapest.cost_amount, cheapest.cost_currency, voice)
    return voice.word("cheapest_costs", limit=limit, price=price), {
        "cheapest": float(cheapest.cost_amount)
    }


def _money(amount: Decimal | None, voice: Voice) -> str:
    """The price limit as shown to people ("$50")."""
    return (
        cost_label(False, amount, voice=voice) if amount is not None else voice.word("your_limit")
    )


def _places(
    rows: list[Any], plan: Plan, taxonomy: Taxonomy, voice: Voice
) -> tuple[str, dict[str, Any]]:
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
        where = voice.word("in_place", place=place.name) if place else ""
        km = one_decimal(distance, voice)
        parts.append(voice.word("nearest_is", km=km, place=plan.place_label(), where=where))
    if online:
        parts.append(counted(voice, "online_count", online))
    if not parts:
        return voice.word("farther"), closest
    return voice.word("farther_because", reasons=_and(parts, voice)), closest


def _and(parts: list[str], voice: Voice) -> str:
    """'a and b' ('a y b'), as the learner's language joins a list."""
    from babel.lists import format_list

    return str(format_list(parts, locale=voice.locale))


def _times(
    rows: list[Any], _plan: Plan, _taxonomy: Taxonomy, voice: Voice
) -> tuple[str, dict[str, Any]]:
    """The days the listings do meet ("at other times (Tue, Thu)")."""
    mask = 0
    for row in rows:
        mask |= row.days_mask or 0
    days = mask_to_days(mask)
    starts = sorted({row.start_time.strftime("%H:%M") for row in rows if row.start_time})
    shown = formats.weekdays(days, voice) if days else voice.word("dates_not_fitting")
    return voice.word("other_times", days=shown), {"days": days, "start_times": starts}


def _formats(
    rows: list[Any], _plan: Plan, _taxonomy: Taxonomy, voice: Voice
) -> tuple[str, dict[str, Any]]:
    """The formats the listings come in ("3 in person")."""
    counts = Counter(row.format for row in rows)
    shown = ", ".join(
        voice.word("format_count", count=count, format=_format_name(name, voice))
        for name, count in counts.items()
    )
    return voice.word("other_formats", formats=shown), {"formats": dict(counts)}


def _format_name(name: str, voice: Voice) -> str:
    """A format as the learner reads it ("in person"); an unknown one as stored."""
    return voice.word(f"format_{name}") if name in FORMATS else name


def _languages(
    rows: list[Any], _plan: Plan, _taxonomy: Taxonomy, voice: Voice
) -> tuple[str, dict[str, Any]]:
    """The languages the listings are taught in ("taught in English")."""
    codes = sorted({code for row in rows for code in (row.languages or "").split(";") if code})
    names = [formats.language_name(code, voice, LANGUAGE_NAMES.get(code, code)) for code in codes]
    shown = ", ".join(names) or voice.word("other_languages")
    return voice.word("taught_in", languages=shown), {"languages": codes}


def _upcoming(
    rows: list[Any], _plan: Plan, _taxonomy: Taxonomy, voice: Voice
) -> tuple[str, dict[str, Any]]:
    """When the soonest of the later listings starts ("the soonest on March 1")."""
    starts = sorted(row.start_date for row in rows if row.start_date is not None)
    if not starts:
        return voice.word("starting_later"), {"soonest": None}
    soonest = dated(starts[0], "soonest_pattern", voice)
    return voice.word("starting_later_soonest", date=soonest), {"soonest": starts[0].isoformat()}


DESCRIBE: dict[str, Describe] = {
    "age": _ages,
    "cost": _costs,
    "place": _places,
    "time": _times,
    "format": _formats,
    "language": _languages,
    "upcoming": _upcoming,
}
