"""The line that says why a listing is in the results: "robotics · ages 10–14 · free · 1.2 km",
in the learner's language (a Voice; the words are in locales/<code>/words.yml)."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

from knowledge.models import DAYS, mask_to_days
from knowledge.search import formats
from knowledge.search.formats import SOURCE_VOICE, Voice, dated
from knowledge.search.phrasing import one_decimal
from knowledge.search.ranking import Candidate, Scored
from knowledge.search.search_plan import Plan
from knowledge.search.words import Mention, Mentions
from knowledge.taxonomy import Taxonomy

MENTION_PLACES = ("title", "description")  # where in a listing a word is said, by name


def reason(
    item: Scored,
    plan: Plan,
    taxonomy: Taxonomy,
    said: Mentions | None = None,
    voice: Voice = SOURCE_VOICE,
) -> str:
    """Topic matched (or where the listing says the words that found it), ages, cost and distance
    (or place); days or dates and language only when the query asked about them, so the line
    answers what the learner cares about; and when the provider last confirmed a stale listing,
    which is why it ranks lower."""
    candidate, topics, distance = item.candidate, item.topics, item.distance_km
    parts = [" & ".join(topics) if topics else _first_topic(candidate, taxonomy)]
    if said and not topics:
        parts.append(", ".join(filter(None, (mention_label(m, voice) for m in said))))
    parts.append(age_range(candidate.min_age, candidate.max_age, voice))
    parts.append(
        cost_label(candidate.is_free, candidate.cost_amount, candidate.cost_currency, voice)
    )
    parts.append(_where(candidate, distance, taxonomy, voice))
    if "summer" in plan.when:
        parts.append(_dates(candidate, voice))
    elif plan.days or plan.when:
        parts.append(_when(candidate, voice))
    if plan.language is not None:
        parts.append(
            voice.word("reason_taught_in", languages=candidate.languages.replace(";", "/"))
        )
    if item.stale and candidate.assured_date is not None:
        confirmed = dated(candidate.assured_date, "confirmed_pattern", voice)
        parts.append(voice.word("last_confirmed", date=confirmed))
    return " · ".join(part for part in parts if part)


def mention_label(mention: Mention, voice: Voice = SOURCE_VOICE) -> str:
    """Where a listing says a word: 'title mentions "dojo"', 'awards "Forklift Certification"'."""
    if mention.where == "topic":  # the topic names are the line's first part already
        return ""
    if mention.where in ("awards", "provider"):
        return voice.word(f"mention_{mention.where}", title=mention.name)
    where = voice.word(f"mention_in_{mention.where}") if mention.where in MENTION_PLACES else ""
    return voice.word("mentions", where=where or mention.where, word=mention.word)


def _first_topic(candidate: Candidate, taxonomy: Taxonomy) -> str:
    """The listing's own first topic when none of the query's matched."""
    names = sorted(taxonomy.topics[i] for i in candidate.topic_ids if i in taxonomy.topics)
    return names[0] if names else ""


def age_range(min_age: int | None, max_age: int | None, voice: Voice = SOURCE_VOICE) -> str:
    """The age range as people say it: "ages 10–14", "ages 14+", "up to age 12", "all ages"."""
    if min_age is not None and max_age is not None:
        if min_age == max_age:
            return voice.word("one_age", age=min_age)
        return voice.word("ages_range", low=min_age, high=max_age)
    if min_age is not None:
        return voice.word("ages_from", low=min_age)
    if max_age is not None:
        return voice.word("up_to_age", high=max_age)
    return voice.word("all_ages")


def cost_label(
    is_free: bool | None,
    amount: Decimal | None,
    currency: str = "USD",
    voice: Voice = SOURCE_VOICE,
) -> str:
    """The price as a learner reads it: "free", "$45" or "cost not listed" (never a guess)."""
    if is_free:
        return voice.word("cost_free")
    if amount is None:
        return voice.word("cost_not_listed")
    return formats.price(amount, currency, voice)


def _where(candidate: Candidate, distance: float | None, taxonomy: Taxonomy, voice: Voice) -> str:
    """Where: the distance when a place was asked about, else the neighbourhood or "online"."""
    if distance is not None:
        return voice.word("distance_km", km=one_decimal(distance, voice))
    if candidate.format == "online":
        return voice.word("online_short")
    place = taxonomy.places.get(candidate.neighbourhood_id or -1)
    if place is not None:
        return place.name + (voice.word("place_or_online") if candidate.format == "hybrid" else "")
    return voice.word("online_short") if candidate.format == "hybrid" else ""


def _when(candidate: Candidate, voice: Voice) -> str:
    """When it meets ("Tue, Thu 16:00"); "self-paced" online, else the dates it runs."""
    days = days_label(candidate.days_mask, voice)
    starts = formats.clock(candidate.start_time, voice) if candidate.start_time else ""
    if days or starts:
        return " ".join(part for part in (days, starts) if part)
    return voice.word("self_paced") if candidate.format == "online" else _dates(candidate, voice)


def _dates(candidate: Candidate, voice: Voice) -> str:
    """The dates a seasonal listing runs ("Jun 21–Aug 13"), for summer searches."""
    first, last = candidate.start_date, candidate.end_date
    if first and last:
        shown = (formats.month_day(first, voice), formats.month_day(last, voice))
        return voice.word("short_date_range", first=shown[0], last=shown[1])
    if first:
        return voice.word("from_date", date=formats.month_day(first, voice))
    return voice.word("until_date", date=formats.month_day(last, voice)) if last else ""


def days_label(mask: int, voice: Voice = SOURCE_VOICE) -> str:
    """Meeting days, with runs of three or more shortened: "Mon–Fri", "Sat, Sun", "Tue, Thu"."""
    days = mask_to_days(mask)
    if len(days) >= 3 and all(DAYS.index(b) - DAYS.index(a) == 1 for a, b in pairwise(days)):
        first, last = formats.weekday(days[0], voice), formats.weekday(days[-1], voice)
        return voice.word("short_date_range", first=first, last=last)
    return formats.weekdays(days, voice)
