"""Listings as short lines and detail fields: data only; the words around them are in the domain
and locales/<code>/words.yml, in the learner's chat language (a Voice)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from decimal import Decimal

from knowledge.city import FALLBACK_CURRENCY
from knowledge.listing_text import listing_description, listing_title
from knowledge.locales import SOURCE_LANGUAGE
from knowledge.models import Opportunity
from knowledge.search import formats
from knowledge.search.formats import SOURCE_VOICE, Voice, language_name
from knowledge.search.last_confirmed import is_stale

MISSING = "—"
TITLE_IN_BUTTON = 30


def short(text: str, limit: int) -> str:
    """Cut a title for a button (Telegram shows about 30 characters comfortably)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day(value: date, voice: Voice = SOURCE_VOICE) -> str:
    """'Fri 12 Dec 2026' ('vie 12 de dic de 2026'): unambiguous in every locale."""
    return formats.day(value, voice)


def clock(value: time, voice: Voice = SOURCE_VOICE) -> str:
    """'16:00'."""
    return formats.clock(value, voice)


def cost_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """'Free', '$40' (in the listing's currency: '€40', '40 SEK') or '—' when the provider did not
    say, plus any financial-aid note. Written as the search's reasons write prices."""
    if opportunity.is_free:
        price = voice.word("free")
    elif opportunity.cost_amount is not None:
        price = money(opportunity.cost_amount, opportunity.cost_currency, voice)
    else:
        price = MISSING
    aid = (opportunity.financial_aid or "").strip()
    return f"{price} ({aid})" if aid and price != MISSING else (aid or price)


def money(amount: Decimal, currency: str, voice: Voice = SOURCE_VOICE) -> str:
    """'$40', '€12.50' or '40 SEK' (a currency without a well-known sign)."""
    return formats.price(amount, currency or FALLBACK_CURRENCY, voice)


def place_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """The first physical place with its neighbourhood, or 'Online'."""
    for location in opportunity.locations:
        if location.location_type == "physical":
            parts = [location.name, location.address]
            if location.neighbourhood is not None:
                parts.append(location.neighbourhood.name)
            text = ", ".join(part for part in parts if part)
            return text + (voice.word("or_online") if opportunity.format == "hybrid" else "")
    return voice.word("online") if opportunity.format in {"online", "hybrid"} else MISSING


def venue_notes(opportunity: Opportunity, kind: str) -> str:
    """The access or transport notes of the listing's physical places ('Venue: note; …')."""
    places = [
        location for location in opportunity.locations if location.location_type == "physical"
    ]
    noted = [(location, (getattr(location, kind) or "").strip()) for location in places]
    noted = [(location, note) for location, note in noted if note]
    if len(noted) == 1:
        return noted[0][1]
    return "; ".join(
        f"{location.name or location.address or opportunity.title}: {note}"
        for location, note in noted
    )


def getting_there_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """The lines of utter_details under the place, each only when the provider gave it: how to
    get in ('♿ Access: …') and how to get there ('🚌 Getting there: …'); '' for neither."""
    lines = [
        voice.word(f"details_{kind}", notes=notes)
        for kind in ("accessibility", "transport")
        if (notes := venue_notes(opportunity, kind))
    ]
    return "".join(f"\n{line}" for line in lines)


def schedule_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """Days and times, the dates it runs, and the application deadline."""
    parts: list[str] = []
    days = formats.weekdays(opportunity.days, voice)
    if days or opportunity.start_time:
        hours = ""
        if opportunity.start_time:
            hours = clock(opportunity.start_time, voice)
            if opportunity.end_time:
                hours += f"–{clock(opportunity.end_time, voice)}"
        parts.append(" ".join(part for part in (days, hours) if part))
    first, last = opportunity.start_date, opportunity.end_date
    if first and last:
        parts.append(voice.word("date_range", first=day(first, voice), last=day(last, voice)))
    elif first:
        parts.append(voice.word("from_date", date=day(first, voice)))
    elif last:
        parts.append(voice.word("until_date", date=day(last, voice)))
    if opportunity.application_deadline:
        parts.append(voice.word("apply_by", date=day(opportunity.application_deadline, voice)))
    return "; ".join(parts) or MISSING


def ages_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """'ages 10–14', 'ages 18+', or nothing."""
    low, high = opportunity.min_age, opportunity.max_age
    if low is not None and high is not None:
        return voice.word("ages_range", low=low, high=high)
    if low is not None:
        return voice.word("ages_from", low=low)
    if high is not None:
        return voice.word("up_to_age", high=high)
    return ""


def title_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """The title in the learner's language where the listing has one, else as written."""
    return listing_title(opportunity, voice.language)


def description_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """The description in the learner's language, else as written with a note of the language
    it is written in ('(in English)')."""
    text, in_their_language = listing_description(opportunity, voice.language)
    if in_their_language or not text:
        return text
    written = language_name(SOURCE_LANGUAGE, voice)
    return f"{text} {voice.word('written_in', language_name=written)}"


def enrol_of(opportunity: Opportunity) -> str:
    """Every way to sign up the provider gave us."""
    ways = [opportunity.enroll_url, opportunity.enroll_phone, opportunity.enroll_email]
    return " · ".join(way for way in ways if way) or MISSING


def line(number: int, opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """'1. Title — Provider · place · days · cost'."""
    where = place_of(opportunity, voice)
    parts = [
        opportunity.provider.name,
        ages_of(opportunity, voice),
        voice.word("online_short")
        if where == voice.word("online")
        else _neighbourhood(opportunity),
        formats.weekdays(opportunity.days, voice),
        cost_of(opportunity, voice).split(" (")[0],
    ]
    title = title_of(opportunity, voice)
    return f"{number}. {title} — " + " · ".join(p for p in parts if p and p != MISSING)


def _neighbourhood(opportunity: Opportunity) -> str:
    """The listing's neighbourhood, for a one-line summary."""
    return opportunity.neighbourhood.name if opportunity.neighbourhood is not None else ""


def numbered(
    opportunities: Sequence[Opportunity], start: int = 1, voice: Voice = SOURCE_VOICE
) -> str:
    """A numbered block of lines."""
    return "\n".join(line(start + i, item, voice) for i, item in enumerate(opportunities))


def details_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> dict[str, str]:
    """The variables of utter_details (the description for a template that shows it)."""
    awards = ", ".join(credential.name for credential in opportunity.awards)
    confirmed = opportunity.assured_date
    return {
        "title": title_of(opportunity, voice),
        "description": description_of(opportunity, voice),
        "provider": opportunity.provider.name,
        "where": place_of(opportunity, voice),
        "getting_there": getting_there_of(opportunity, voice),
        "when": schedule_of(opportunity, voice),
        "cost": cost_of(opportunity, voice),
        "eligibility": (opportunity.eligibility or "").strip()
        or ages_of(opportunity, voice).capitalize()
        or MISSING,
        "enrol": enrol_of(opportunity),
        "awards": awards or MISSING,
        "confirmed": day(confirmed, voice) if confirmed else MISSING,
    }


def staleness_of(
    opportunity: Opportunity, *, today: date, days: int, voice: Voice = SOURCE_VOICE
) -> dict[str, str] | None:
    """The variables of utter_details_stale, when the provider has not confirmed it for `days`."""
    assured = opportunity.assured_date
    if assured is None or not is_stale(assured, today=today, days=days):
        return None
    return {
        "title": title_of(opportunity, voice),
        "days": str(days),
        "confirmed": day(assured, voice),
    }
