"""One fact of a listing per thing a learner asks about, as response names and their variables:
data only; the words around them are in the domain (bot/domain/listing_questions.yml) and
locales/<code>/words.yml, in the learner's chat language (a Voice)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from actions.listing_lines import (
    MISSING,
    ages_of,
    clock,
    cost_of,
    day,
    enrol_of,
    place_of,
    title_of,
    venue_notes,
)
from knowledge import languages
from knowledge.models import CREDENTIAL_TYPES, Credential, Opportunity
from knowledge.search import formats
from knowledge.search.formats import SOURCE_VOICE, Voice

ATTRIBUTES = (
    "cost",
    "schedule",
    "dates",
    "deadline",
    "place",
    "ages",
    "language",
    "awards",
    "next",
    "apply",
    "accessibility",
    "transport",
    "provider",
    "eligibility",
)
MAX_NEXT = 5  # programs named after "what comes after it?"
DEADLINE_SOON = {0: "utter_listing_deadline_today", 1: "utter_listing_deadline_tomorrow"}


@dataclass(frozen=True)
class Answer:
    """One message: a response of the domain and the values it names."""

    response: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Asked:
    """What the question carried besides the attribute ("is it ok for a [9] year old?")."""

    today: date
    age: int | None = None
    language: str | None = None
    voice: Voice = SOURCE_VOICE  # whom the answer speaks to: their language, the city's region


Facts = Callable[[Session, Opportunity, Asked], list[Answer]]


def answer(
    attribute: str, session: Session, opportunity: Opportunity, asked: Asked
) -> list[Answer]:
    """What the listing says about `attribute`, or that it says nothing (and whom to ask)."""
    return FACTS[attribute](session, opportunity, asked)


def contact_of(opportunity: Opportunity) -> str:
    """Whom to ask when the listing is silent: 'Provider (phone · e-mail)', or just the name."""
    provider = opportunity.provider
    ways = _unique(
        [opportunity.enroll_phone, opportunity.enroll_email, provider.phone, provider.email]
    )
    if not ways and provider.website:
        ways = [provider.website]
    return f"{provider.name} ({' · '.join(ways)})" if ways else provider.name


def hours_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """'Mon, Wed 16:00–18:00', 'Sat', 'until 09:30', or '' when neither days nor times are given."""
    hours = ""
    if opportunity.start_time:
        hours = clock(opportunity.start_time, voice)
        if opportunity.end_time:
            hours += f"–{clock(opportunity.end_time, voice)}"
    elif opportunity.end_time:
        hours = voice.word("until_time", time=clock(opportunity.end_time, voice))
    days = formats.weekdays(opportunity.days, voice)
    return " ".join(part for part in (days, hours) if part)


def dates_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """'Mon 5 Jan 2026 – Fri 12 Jun 2026', 'from …', 'until …', or '' when no dates are given."""
    start, end = opportunity.start_date, opportunity.end_date
    if start and end:
        if start == end:
            return day(start, voice)
        return voice.word("date_range", first=day(start, voice), last=day(end, voice))
    if start:
        return voice.word("from_date", date=day(start, voice))
    return voice.word("until_date", date=day(end, voice)) if end else ""


def languages_of(opportunity: Opportunity, voice: Voice = SOURCE_VOICE) -> str:
    """'English, Spanish' ('inglés, español') from the listing's language codes."""
    return ", ".join(language_name(code, voice) for code in opportunity.language_list)


def language_name(code: str, voice: Voice = SOURCE_VOICE) -> str:
    """'es' → 'Spanish' ('español'); an unknown code is shown as it is."""
    return languages.language_name(code, voice.code)


def credential_type(kind: str, voice: Voice = SOURCE_VOICE) -> str:
    """A credential's kind as a learner reads it ('micro-credential', 'microcredencial')."""
    return voice.word(f"credential_{kind}") if kind in CREDENTIAL_TYPES else kind.replace("_", "-")


def credentials_of(credentials: Iterable[Credential], voice: Voice = SOURCE_VOICE) -> str:
    """'CPR Certification (certification), Python Basics (badge)'."""
    return ", ".join(
        f"{credential.name} ({credential_type(credential.credential_type, voice)})"
        for credential in credentials
    )


def _unique(values: Iterable[str | None]) -> list[str]:
    """Non-empty values, each once, in order."""
    return list(dict.fromkeys(value.strip() for value in values if value and value.strip()))


def _base(opportunity: Opportunity, voice: Voice) -> dict[str, str]:
    """The values every answer may name."""
    return {
        "title": title_of(opportunity, voice),
        "provider": opportunity.provider.name,
        "contact": contact_of(opportunity),
    }


def _say(response: str, opportunity: Opportunity, question: Asked, **values: str) -> Answer:
    """An answer naming the listing, its provider and whom to ask, plus `values`, in the
    learner's language."""
    return Answer(response, {**_base(opportunity, question.voice), **values})


def cost(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """Price (in the listing's currency) with any financial-aid or fee note."""
    price = cost_of(opportunity, asked.voice)
    if price == MISSING:
        return [_say("utter_listing_cost_missing", opportunity, asked)]
    return [_say("utter_listing_cost", opportunity, asked, cost=price)]


def schedule(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """Days and times; when they are missing, the dates it runs if those are known."""
    hours = hours_of(opportunity, asked.voice)
    if hours:
        return [_say("utter_listing_schedule", opportunity, asked, hours=hours)]
    missing = [_say("utter_listing_schedule_missing", opportunity, asked)]
    dates = dates_of(opportunity, asked.voice)
    return missing + (
        [_say("utter_listing_dates", opportunity, asked, dates=dates)] if dates else []
    )


def dates(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """First and last day; when they are missing, the days and times if those are known."""
    found = dates_of(opportunity, asked.voice)
    if found:
        return [_say("utter_listing_dates", opportunity, asked, dates=found)]
    missing = [_say("utter_listing_dates_missing", opportunity, asked)]
    hours = hours_of(opportunity, asked.voice)
    return missing + (
        [_say("utter_listing_schedule", opportunity, asked, hours=hours)] if hours else []
    )


def deadline(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """The application deadline, and whether it has passed (in the city's today)."""
    last = opportunity.application_deadline
    if last is None:
        return [_say("utter_listing_deadline_missing", opportunity, asked)]
    if last < asked.today:
        return [
            _say(
                "utter_listing_deadline_passed", opportunity, asked, deadline=day(last, asked.voice)
            )
        ]
    days = (last - asked.today).days
    response = DEADLINE_SOON.get(days, "utter_listing_deadline")
    return [
        _say(response, opportunity, asked, deadline=day(last, asked.voice), days_left=str(days))
    ]


def place(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """The address and neighbourhood, or online."""
    where = place_of(opportunity, asked.voice)
    if where == MISSING:
        return [_say("utter_listing_place_missing", opportunity, asked)]
    return [_say("utter_listing_place", opportunity, asked, where=where)]


def ages(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """The age range, and whether the age asked about fits; else who can join, if it says."""
    found = ages_of(opportunity, asked.voice)
    if not found:
        if (opportunity.eligibility or "").strip():
            return eligibility(session, opportunity, asked)
        return [_say("utter_listing_ages_missing", opportunity, asked)]
    if asked.age is None:
        return [_say("utter_listing_ages", opportunity, asked, ages=found)]
    low, high = opportunity.min_age, opportunity.max_age
    fits = (low is None or asked.age >= low) and (high is None or asked.age <= high)
    response = "utter_listing_ages_fits" if fits else "utter_listing_ages_outside"
    return [_say(response, opportunity, asked, ages=found, age=str(asked.age))]


def language(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """The languages it is taught in; yes or no when one was asked about."""
    codes = opportunity.language_list
    if not codes:
        return [_say("utter_listing_language_missing", opportunity, asked)]
    spoken = languages_of(opportunity, asked.voice)
    if asked.language is None:
        return [_say("utter_listing_language", opportunity, asked, languages=spoken)]
    wanted = asked.language.lower()
    response = "utter_listing_language_yes" if wanted in codes else "utter_listing_language_no"
    return [
        _say(
            response, opportunity, asked, languages=spoken, asked=language_name(wanted, asked.voice)
        )
    ]


def awards(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """The credentials it awards (name and type) and what those lead to."""
    if not opportunity.awards:
        return [_say("utter_listing_awards_missing", opportunity, asked)]
    given = credentials_of(opportunity.awards, asked.voice)
    leads = _unique(
        [c.name for award in opportunity.awards for c in award.prepares_for]
        + [career.name for award in opportunity.awards for career in award.careers]
    )
    if not leads:
        return [_say("utter_listing_awards", opportunity, asked, credentials=given)]
    return [
        _say(
            "utter_listing_awards_leads",
            opportunity,
            asked,
            credentials=given,
            leads_to=", ".join(leads),
        )
    ]


def next_steps(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """What comes after: credentials and careers it prepares for, and the programs that require
    what it awards or award what it prepares for."""
    given = {credential.id for credential in opportunity.awards}
    following = [c for c in opportunity.prepares_for if c.id not in given]
    following += [c for award in opportunity.awards for c in award.prepares_for]
    following = [c for c in dict.fromkeys(following) if c.id not in given]
    careers = _unique(
        [career.name for career in opportunity.careers]
        + [career.name for award in opportunity.awards for career in award.careers]
        + [career.name for credential in following for career in credential.careers]
    )
    programs = _programs_after(session, opportunity, given, {c.id for c in following}, asked.today)
    if not following and not careers and not programs:
        return [_say("utter_listing_next_missing", opportunity, asked)]
    return [
        _say(
            "utter_listing_next",
            opportunity,
            asked,
            credentials=credentials_of(following, asked.voice) or MISSING,
            careers=", ".join(careers) or MISSING,
            programs="; ".join(f"{title_of(o, asked.voice)} ({o.provider.name})" for o in programs)
            or MISSING,
        )
    ]


def _programs_after(
    session: Session, opportunity: Opportunity, given: set[int], following: set[int], today: date
) -> list[Opportunity]:
    """Active, not yet ended listings that require what it awards or award what comes next."""
    conditions = []
    if given:
        conditions.append(Opportunity.requires.any(Credential.id.in_(given)))
    if following:
        conditions.append(Opportunity.awards.any(Credential.id.in_(following)))
    if not conditions:
        return []
    query = (
        select(Opportunity)
        .where(Opportunity.id != opportunity.id, Opportunity.status == "active", or_(*conditions))
        .where(or_(Opportunity.end_date.is_(None), Opportunity.end_date >= today))
        .order_by(Opportunity.title)
        .limit(MAX_NEXT)
    )
    return list(session.scalars(query))


def apply(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """Every way to sign up, the places left, and the deadline when there is one."""
    ways = enrol_of(opportunity)
    found = [
        _say("utter_listing_apply_missing", opportunity, asked)
        if ways == MISSING
        else _say("utter_listing_apply", opportunity, asked, enrol=ways)
    ]
    seats = opportunity.seats_available
    if seats is not None:
        response = "utter_listing_full" if seats <= 0 else "utter_listing_seats"
        found.append(_say(response, opportunity, asked, seats=str(max(seats, 0))))
    if opportunity.application_deadline is not None:
        found += deadline(session, opportunity, asked)
    return found


def accessibility(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """What the venue says about access (step-free, lifts, …)."""
    notes = venue_notes(opportunity, "accessibility")
    if notes:
        return [_say("utter_listing_accessibility", opportunity, asked, accessibility=notes)]
    if _online_only(opportunity):
        return [_say("utter_listing_online_only", opportunity, asked)]
    return [_say("utter_listing_accessibility_missing", opportunity, asked)]


def transport(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """How to get there (bus, train, parking); else the address, so they can plan it."""
    notes = venue_notes(opportunity, "transport")
    if notes:
        return [_say("utter_listing_transport", opportunity, asked, transport=notes)]
    if _online_only(opportunity):
        return [_say("utter_listing_online_only", opportunity, asked)]
    missing = [_say("utter_listing_transport_missing", opportunity, asked)]
    where = place_of(opportunity, asked.voice)
    return missing + (
        [_say("utter_listing_place", opportunity, asked, where=where)] if where != MISSING else []
    )


def provider(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """Who runs it and how to reach them."""
    organisation = opportunity.provider
    ways = _unique([organisation.phone, organisation.email, organisation.website])
    if not ways:
        ways = _unique([opportunity.enroll_phone, opportunity.enroll_email])
    if not ways:
        return [_say("utter_listing_provider_no_contact", opportunity, asked)]
    return [_say("utter_listing_provider", opportunity, asked, provider_contact=" · ".join(ways))]


def eligibility(session: Session, opportunity: Opportunity, asked: Asked) -> list[Answer]:
    """Who can join, the ages, and any credential it asks for first."""
    found: list[Answer] = []
    rules = (opportunity.eligibility or "").strip()
    if rules:
        found.append(_say("utter_listing_eligibility", opportunity, asked, eligibility=rules))
    elif ages_of(opportunity, asked.voice):
        found += ages(session, opportunity, asked)
    if opportunity.requires:
        needed = credentials_of(opportunity.requires, asked.voice)
        found.append(_say("utter_listing_requires", opportunity, asked, credentials=needed))
    return found or [_say("utter_listing_eligibility_missing", opportunity, asked)]


def _online_only(opportunity: Opportunity) -> bool:
    """Nowhere to travel to: an online listing without a physical place."""
    physical = any(location.location_type == "physical" for location in opportunity.locations)
    return opportunity.format == "online" and not physical


FACTS: dict[str, Facts] = {
    "cost": cost,
    "schedule": schedule,
    "dates": dates,
    "deadline": deadline,
    "place": place,
    "ages": ages,
    "language": language,
    "awards": awards,
    "next": next_steps,
    "apply": apply,
    "accessibility": accessibility,
    "transport": transport,
    "provider": provider,
    "eligibility": eligibility,
}
