"""The line that says why a listing is in the results: "robotics · ages 10–14 · free · 1.2 km"."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

from knowledge.models import DAYS, mask_to_days
from knowledge.search.ranking import Candidate, Scored
from knowledge.search.search_plan import Plan
from knowledge.search.words import Mention, Mentions
from knowledge.taxonomy import Taxonomy

CURRENCY_SIGNS = {"USD": "$", "CAD": "$", "EUR": "€", "GBP": "£"}


def reason(item: Scored, plan: Plan, taxonomy: Taxonomy, said: Mentions | None = None) -> str:
    """Topic matched (or where the listing says the words that found it), ages, cost and distance
    (or place); days or dates and language only when the query asked about them, so the line
    answers what the learner cares about; and when the provider last confirmed a stale listing,
    which is why it ranks lower."""
    candidate, topics, distance = item.candidate, item.topics, item.distance_km
    parts = [" & ".join(topics) if topics else _first_topic(candidate, taxonomy)]
    if said and not topics:
        parts.append(", ".join(filter(None, map(mention_label, said))))
    parts.append(age_range(candidate.min_age, candidate.max_age))
    parts.append(cost_label(candidate.is_free, candidate.cost_amount, candidate.cost_currency))
    parts.append(_where(candidate, distance, taxonomy))
    if "summer" in plan.when:
        parts.append(_dates(candidate))
    elif plan.days or plan.when:
        parts.append(_when(candidate))
    if plan.language is not None:
        parts.append(f"in {candidate.languages.replace(';', '/')}")
    if item.stale and candidate.assured_date is not None:
        confirmed = candidate.assured_date
        parts.append(f"last confirmed {confirmed:%b} {confirmed.day}, {confirmed.year}")
    return " · ".join(part for part in parts if part)


def mention_label(mention: Mention) -> str:
    """Where a listing says a word: 'title mentions "dojo"', 'awards "Forklift Certification"'."""
    if mention.where == "awards":
        return f'awards "{mention.name}"'
    if mention.where == "provider":
        return f'provider "{mention.name}"'
    if mention.where == "topic":  # the topic names are the line's first part already
        return ""
    return f'{mention.where} mentions "{mention.word}"'


def _first_topic(candidate: Candidate, taxonomy: Taxonomy) -> str:
    """The listing's own first topic when none of the query's matched."""
    names = sorted(taxonomy.topics[i] for i in candidate.topic_ids if i in taxonomy.topics)
    return names[0] if names else ""


def age_range(min_age: int | None, max_age: int | None) -> str:
    """The age range as people say it: "ages 10–14", "ages 14+", "up to age 12", "all ages"."""
    if min_age is not None and max_age is not None:
        return f"age {min_age}" if min_age == max_age else f"ages {min_age}–{max_age}"
    if min_age is not None:
        return f"ages {min_age}+"
    if max_age is not None:
        return f"up to age {max_age}"
    return "all ages"


def cost_label(is_free: bool | None, amount: Decimal | None, currency: str = "USD") -> str:
    """The price as a learner reads it: "free", "$45" or "cost not listed" (never a guess)."""
    if is_free:
        return "free"
    if amount is None:
        return "cost not listed"
    shown = f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{shown}" if sign else f"{shown} {currency}"


def _where(candidate: Candidate, distance: float | None, taxonomy: Taxonomy) -> str:
    """Where: the distance when a place was asked about, else the neighbourhood or "online"."""
    if distance is not None:
        return f"{distance:.1f} km"
    if candidate.format == "online":
        return "online"
    place = taxonomy.places.get(candidate.neighbourhood_id or -1)
    if place is not None:
        return place.name + (" or online" if candidate.format == "hybrid" else "")
    return "online" if candidate.format == "hybrid" else ""


def _when(candidate: Candidate) -> str:
    """When it meets ("Tue, Thu 16:00"); "self-paced" online, else the dates it runs."""
    days = days_label(candidate.days_mask)
    starts = candidate.start_time.strftime("%H:%M") if candidate.start_time else ""
    if days or starts:
        return " ".join(part for part in (days, starts) if part)
    return "self-paced" if candidate.format == "online" else _dates(candidate)


def _dates(candidate: Candidate) -> str:
    """The dates a seasonal listing runs ("Jun 21–Aug 13"), for summer searches."""
    first, last = candidate.start_date, candidate.end_date
    if first and last:
        return f"{first:%b} {first.day}–{last:%b} {last.day}"
    if first:
        return f"from {first:%b} {first.day}"
    return f"until {last:%b} {last.day}" if last else ""


def days_label(mask: int) -> str:
    """Meeting days, with runs of three or more shortened: "Mon–Fri", "Sat, Sun", "Tue, Thu"."""
    days = mask_to_days(mask)
    if len(days) >= 3 and all(DAYS.index(b) - DAYS.index(a) == 1 for a, b in pairwise(days)):
        return f"{days[0]}–{days[-1]}"
    return ", ".join(days)
