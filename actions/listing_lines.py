"""Listings as short lines and detail fields: data only; the words around them are in the domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from decimal import Decimal

from knowledge.city import FALLBACK_CURRENCY
from knowledge.models import Opportunity
from knowledge.search.last_confirmed import is_stale
from knowledge.search.reasons import cost_label

MISSING = "—"
TITLE_IN_BUTTON = 30


def short(text: str, limit: int) -> str:
    """Cut a title for a button (Telegram shows about 30 characters comfortably)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day(value: date) -> str:
    """'Fri 12 Dec 2026': unambiguous in every locale our users come from."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def clock(value: time) -> str:
    """'16:00'."""
    return f"{value:%H:%M}"


def cost_of(opportunity: Opportunity) -> str:
    """'Free', '$40' (in the listing's currency: '€40', '40 SEK') or '—' when the provider did not
    say, plus any financial-aid note. Written as the search's reasons write prices."""
    if opportunity.is_free:
        price = "Free"
    elif opportunity.cost_amount is not None:
        price = money(opportunity.cost_amount, opportunity.cost_currency)
    else:
        price = MISSING
    aid = (opportunity.financial_aid or "").strip()
    return f"{price} ({aid})" if aid and price != MISSING else (aid or price)


def money(amount: Decimal, currency: str) -> str:
    """'$40', '€12.50' or '40 SEK' (a currency without a well-known sign)."""
    return cost_label(False, amount, currency or FALLBACK_CURRENCY)


def place_of(opportunity: Opportunity) -> str:
    """The first physical place with its neighbourhood, or 'Online'."""
    for location in opportunity.locations:
        if location.location_type == "physical":
            parts = [location.name, location.address]
            if location.neighbourhood is not None:
                parts.append(location.neighbourhood.name)
            text = ", ".join(part for part in parts if part)
            return text + (" (or online)" if opportunity.format == "hybrid" else "")
    return "Online" if opportunity.format in {"online", "hybrid"} else MISSING


def schedule_of(opportunity: Opportunity) -> str:
    """Days and times, the dates it runs, and the application deadline."""
    parts: list[str] = []
    days = ", ".join(opportunity.days)
    if days or opportunity.start_time:
        hours = ""
        if opportunity.start_time:
            hours = clock(opportunity.start_time)
            if opportunity.end_time:
                hours += f"–{clock(opportunity.end_time)}"
        parts.append(" ".join(part for part in (days, hours) if part))
    if opportunity.start_date and opportunity.end_date:
        parts.append(f"{day(opportunity.start_date)} – {day(opportunity.end_date)}")
    elif opportunity.start_date:
        parts.append(f"from {day(opportunity.start_date)}")
    elif opportunity.end_date:
        parts.append(f"until {day(opportunity.end_date)}")
    if opportunity.application_deadline:
        parts.append(f"apply by {day(opportunity.application_deadline)}")
    return "; ".join(parts) or MISSING


def ages_of(opportunity: Opportunity) -> str:
    """'ages 10–14', 'ages 18+', or nothing."""
    low, high = opportunity.min_age, opportunity.max_age
    if low is not None and high is not None:
        return f"ages {low}–{high}"
    if low is not None:
        return f"ages {low}+"
    if high is not None:
        return f"up to age {high}"
    return ""


def enrol_of(opportunity: Opportunity) -> str:
    """Every way to sign up the provider gave us."""
    ways = [opportunity.enroll_url, opportunity.enroll_phone, opportunity.enroll_email]
    return " · ".join(way for way in ways if way) or MISSING


def line(number: int, opportunity: Opportunity) -> str:
    """'1. Title — Provider · place · days · cost'."""
    where = place_of(opportunity)
    parts = [
        opportunity.provider.name,
        ages_of(opportunity),
        "online" if where == "Online" else _neighbourhood(opportunity),
        ", ".join(opportunity.days),
        cost_of(opportunity).split(" (")[0],
    ]
    return f"{number}. {opportunity.title} — " + " · ".join(p for p in parts if p and p != MISSING)


def _neighbourhood(opportunity: Opportunity) -> str:
    """The listing's neighbourhood, for a one-line summary."""
    return opportunity.neighbourhood.name if opportunity.neighbourhood is not None else ""


def numbered(opportunities: Sequence[Opportunity], start: int = 1) -> str:
    """A numbered block of lines."""
    return "\n".join(line(start + i, item) for i, item in enumerate(opportunities))


def details_of(opportunity: Opportunity) -> dict[str, str]:
    """The nine variables of utter_details."""
    awards = ", ".join(credential.name for credential in opportunity.awards)
    return {
        "title": opportunity.title,
        "provider": opportunity.provider.name,
        "where": place_of(opportunity),
        "when": schedule_of(opportunity),
        "cost": cost_of(opportunity),
        "eligibility": (opportunity.eligibility or "").strip()
        or ages_of(opportunity).capitalize()
        or MISSING,
        "enrol": enrol_of(opportunity),
        "awards": awards or MISSING,
        "confirmed": day(opportunity.assured_date) if opportunity.assured_date else MISSING,
    }


def staleness_of(opportunity: Opportunity, *, today: date, days: int) -> dict[str, str] | None:
    """The variables of utter_details_stale, when the provider has not confirmed it for `days`."""
    assured = opportunity.assured_date
    if assured is None or not is_stale(assured, today=today, days=days):
        return None
    return {"title": opportunity.title, "days": str(days), "confirmed": day(assured)}
