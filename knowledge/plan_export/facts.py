"""What a plan file says about one listing (title, where, when, cost, how to apply, whom to ask),
in the learner's chat language (a Voice), so the calendar and the printable page say the same."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.listing_text import listing_title
from knowledge.models import Opportunity
from knowledge.search import formats
from knowledge.search.formats import Voice

WEB_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class ListingFacts:
    """One listing's facts as text; empty where the provider did not say."""

    title: str
    provider: str
    when: str
    where: str
    cost: str
    apply_url: str  # an http(s) address, or empty: the only text that becomes a link
    contact: str  # phone and email to sign up or ask, joined by " · "
    deadline: str  # the application deadline as a date, or empty

    @property
    def apply_text(self) -> str:
        """Every way to sign up: the link, else whom to ask."""
        return self.apply_url or self.contact


def facts_of(opportunity: Opportunity, voice: Voice) -> ListingFacts:
    """The listing's facts in the learner's language (its translated title where it has one)."""
    deadline = opportunity.application_deadline
    return ListingFacts(
        title=listing_title(opportunity, voice.language),
        provider=opportunity.provider.name,
        when=when_of(opportunity, voice),
        where=where_of(opportunity, voice),
        cost=cost_of(opportunity, voice),
        apply_url=apply_url_of(opportunity),
        contact=contact_of(opportunity),
        deadline=formats.day(deadline, voice) if deadline else "",
    )


def when_of(opportunity: Opportunity, voice: Voice) -> str:
    """'Sat 13:00–14:30; Sat 16 Jan 2027 – Sat 24 Apr 2027', or '' when it gives no schedule."""
    parts: list[str] = []
    hours = ""
    if opportunity.start_time:
        hours = formats.clock(opportunity.start_time, voice)
        if opportunity.end_time:
            hours += f"–{formats.clock(opportunity.end_time, voice)}"
    days = formats.weekdays(opportunity.days, voice)
    if days or hours:
        parts.append(" ".join(part for part in (days, hours) if part))
    first, last = opportunity.start_date, opportunity.end_date
    if first and last:
        parts.append(
            voice.word("date_range", first=formats.day(first, voice), last=formats.day(last, voice))
        )
    elif first:
        parts.append(voice.word("from_date", date=formats.day(first, voice)))
    elif last:
        parts.append(voice.word("until_date", date=formats.day(last, voice)))
    return "; ".join(parts)


def where_of(opportunity: Opportunity, voice: Voice) -> str:
    """The first physical place (name, address, neighbourhood), else 'Online' with its link."""
    for location in opportunity.locations:
        if location.location_type == "physical":
            parts = [location.name, location.address]
            if location.neighbourhood is not None:
                parts.append(location.neighbourhood.name)
            text = ", ".join(part.strip() for part in parts if part and part.strip())
            if text:
                return text + (voice.word("or_online") if opportunity.format == "hybrid" else "")
    if opportunity.format in {"online", "hybrid"}:
        link = apply_url_of(opportunity)
        return f"{voice.word('online')} · {link}" if link else voice.word("online")
    return ""


def cost_of(opportunity: Opportunity, voice: Voice) -> str:
    """'Free', '$40' in the listing's currency, with any financial-aid note; '' when unknown."""
    if opportunity.is_free:
        price = voice.word("free")
    elif opportunity.cost_amount is not None:
        price = formats.price(opportunity.cost_amount, opportunity.cost_currency, voice)
    else:
        price = ""
    aid = (opportunity.financial_aid or "").strip()
    return f"{price} ({aid})" if aid and price else (aid or price)


def apply_url_of(opportunity: Opportunity) -> str:
    """The sign-up page, else the provider's website; only http(s) addresses, since the printable
    page turns it into a link and a calendar app opens it."""
    for url in (opportunity.enroll_url, opportunity.provider.website):
        text = (url or "").strip()
        if text.lower().startswith(WEB_SCHEMES):
            return text
    return ""


def contact_of(opportunity: Opportunity) -> str:
    """Phone and email to sign up, else the provider's."""
    ways = [opportunity.enroll_phone, opportunity.enroll_email]
    if not any(ways):
        ways = [opportunity.provider.phone, opportunity.provider.email]
    return " · ".join(way.strip() for way in ways if way and way.strip())
