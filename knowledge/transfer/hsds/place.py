"""What an HSDS address needs that a place may not say (state, country), and how a place is
known across databases (its HSDS id comes from it, never from a database id)."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.models import Location
from knowledge.settings import Settings


@dataclass(frozen=True)
class AddressDefaults:
    """The city's state or province, country and time zone, for places that give none."""

    state_province: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    timezone: str = "UTC"  # IANA name: HSDS schedules carry its UTC offset

    @classmethod
    def of(cls, settings: Settings) -> AddressDefaults:
        """WAYFINDER_STATE_PROVINCE, the WAYFINDER_LOCALE region (en_US: US), WAYFINDER_TIMEZONE."""
        return cls(settings.state_province, country_of_locale(settings.locale), settings.timezone)


def country_of_locale(locale: str) -> str | None:
    """The ISO 3166-1 alpha-2 region of a locale (en_US → US); None for a bare or numeric one."""
    region = locale.partition("_")[2]
    return region.upper() if len(region) == 2 and region.isalpha() else None


def location_natural_key(place: Location) -> tuple[str, ...]:
    """A place by its provider, kind, name and point: the same in any database, and all of it
    in the package (an address may be left out, see objects._location)."""
    provider = place.provider.name if place.provider else None
    return natural_key(provider, place.location_type, place.name, place.latitude, place.longitude)


def natural_key(
    provider: str | None,
    location_type: str,
    name: str | None,
    latitude: float | None,
    longitude: float | None,
) -> tuple[str, ...]:
    """location_natural_key from the columns alone (the read API reads no whole places)."""
    return (
        (provider or "").lower(),
        provider or "",
        location_type,
        name or "",
        "" if latitude is None else repr(latitude),
        "" if longitude is None else repr(longitude),
    )
