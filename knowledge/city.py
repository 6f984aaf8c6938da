"""The city Wayfinder serves: its name, time zone, currency and locale.

They come from the settings (WAYFINDER_CITY_NAME, WAYFINDER_TIMEZONE, WAYFINDER_CURRENCY,
WAYFINDER_LOCALE); a name or currency left unset is read from the directory, so a city that
imports its own spreadsheet is itself, not the demo city, without configuring anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.models import Location, Opportunity
from knowledge.settings import Settings

FALLBACK_CURRENCY = "USD"  # a directory with no listings and no setting: the model's default
_CURRENCY_KEY = "wayfinder.city_currency"  # Session.info: the currency new listings get


@dataclass(frozen=True)
class City:
    """What the assistant says about where it is: a name (None when nobody said), the time zone
    learners live in, the currency prices are in and the locale."""

    name: str | None
    timezone: str
    currency: str
    locale: str

    @property
    def zone(self) -> ZoneInfo:
        """The time zone, for dates and times learners read."""
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        """A time in the city; a naive time is UTC, as the database stores times."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def today(self, now: datetime | None = None) -> date:
        """The date in the city now (or at `now`)."""
        return self.local(now or datetime.now(UTC)).date()


@dataclass(frozen=True)
class DirectoryFacts:
    """What the directory says about its city when the settings do not."""

    name: str | None
    currency: str | None


def city_of(session: Session, settings: Settings, facts: DirectoryFacts | None = None) -> City:
    """The city from the settings, filling an unset name or currency from the directory (`facts`,
    when the caller already has them, saves the two queries)."""
    if settings.city_name is None or settings.currency is None:
        facts = facts or directory_facts(session)
    return City(
        name=settings.city_name or (facts.name if facts else None),
        timezone=settings.timezone,
        currency=settings.currency or (facts.currency if facts else None) or FALLBACK_CURRENCY,
        locale=settings.locale,
    )


def directory_facts(session: Session) -> DirectoryFacts:
    """The most common city of the directory's places and the most common listing currency."""
    return DirectoryFacts(most_common_city(session), most_common_currency(session))


def most_common_city(session: Session) -> str | None:
    """The `city` most of the directory's places give (the spreadsheet's city column); ties go
    to the first name alphabetically, so the answer does not change between runs."""
    count = func.count(Location.id)
    query = (
        select(Location.city)
        .where(Location.city.is_not(None), Location.city != "")
        .group_by(Location.city)
        .order_by(count.desc(), Location.city)
        .limit(1)
    )
    name = session.scalar(query)
    return (name.strip() or None) if name else None


def most_common_currency(session: Session) -> str | None:
    """The currency most listings are priced in; None for an empty directory."""
    count = func.count(Opportunity.id)
    query = (
        select(Opportunity.cost_currency)
        .group_by(Opportunity.cost_currency)
        .order_by(count.desc(), Opportunity.cost_currency)
        .limit(1)
    )
    return session.scalar(query)


def priced_in(currency: str | None) -> dict[str, str]:
    """A session factory's `info` that prices new listings in WAYFINDER_CURRENCY, when it is set:
    the process reads its settings once and hands the currency to the sessions it opens."""
    return {_CURRENCY_KEY: currency} if currency else {}


def new_listing_currency(session: Session) -> str:
    """The currency a listing created without one is priced in: the configured one (`priced_in`),
    else the directory's usual currency (the spreadsheet has no currency column; its prices are
    the city's). Worked out once per session, since imports create listings by the thousand."""
    known = session.info.get(_CURRENCY_KEY)
    if isinstance(known, str):
        return known
    with session.no_autoflush:  # asked mid-write: half-built records stay unflushed
        currency = most_common_currency(session) or FALLBACK_CURRENCY
    session.info[_CURRENCY_KEY] = currency
    return currency
