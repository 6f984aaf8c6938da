"""The words the actions build around listings and filters, in the learner's chat language:
Spanish words, Babel's dates and prices in the city's region, and English exactly as before."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from actions.filters import active_filters, drop_buttons, summary
from actions.listing_lines import (
    ages_of,
    cost_of,
    day,
    description_of,
    line,
    place_of,
    schedule_of,
    title_of,
)
from knowledge.models import Opportunity, OpportunityTranslation
from knowledge.search.formats import SOURCE_VOICE, price, voice_of

SPANISH = voice_of("es", "en_US")
ENGLISH = voice_of(None, "en_US")


def listing(**fields: Any) -> Opportunity:
    """A listing held in memory only, with a provider and no places."""
    values: dict[str, Any] = {
        "title": "Sunday Chess Club",
        "description": "We play every week.",
        "format": "online",
        "is_free": True,
        "days": ["Sat", "Sun"],
        "min_age": 8,
        "max_age": 14,
    }
    values.update(fields)
    days = values.pop("days")
    found = Opportunity(**values)
    found.days = days
    found.provider = SimpleNamespace(name="Test Library")  # type: ignore[assignment]
    return found


def test_a_spanish_voice_speaks_the_city_region() -> None:
    assert SPANISH.locale == "es_US"
    assert ENGLISH == SOURCE_VOICE or ENGLISH.locale == "en_US"


def test_dates_days_and_times_in_spanish() -> None:
    assert day(date(2026, 12, 12), SPANISH) == "sáb 12 de dic de 2026"
    club = listing(start_time=time(16), end_time=time(17, 30), start_date=date(2026, 12, 12))
    assert (
        schedule_of(club, SPANISH)
        == "sábados, domingos 16:00–17:30; desde el sáb 12 de dic de 2026"
    )


def test_english_reads_exactly_as_before() -> None:
    assert day(date(2026, 12, 12), ENGLISH) == "Sat 12 Dec 2026"
    club = listing(start_time=time(16), start_date=date(2026, 12, 12))
    assert schedule_of(club, ENGLISH) == "Sat, Sun 16:00; from Sat 12 Dec 2026"
    assert line(1, club, ENGLISH) == (
        "1. Sunday Chess Club — Test Library · ages 8–14 · online · Sat, Sun · Free"
    )


def test_a_spanish_line_of_results() -> None:
    assert line(1, listing(), SPANISH) == (
        "1. Sunday Chess Club — Test Library · de 8 a 14 años · en línea · sábados, domingos · "
        "Gratis"
    )
    assert ages_of(listing(max_age=None), SPANISH) == "8 años o más"
    assert place_of(listing(), SPANISH) == "En línea"


def test_prices_through_babel_in_spanish_and_as_before_in_english() -> None:
    paid = listing(is_free=False, cost_amount=Decimal(40), cost_currency="USD")
    assert cost_of(paid, SPANISH) == "$40"
    assert cost_of(paid, ENGLISH) == "$40"
    assert price(Decimal("12.5"), "EUR", voice_of("es", "es_ES")) == "12,50\xa0€"
    assert price(Decimal(40), "SEK") == "40 SEK"


def test_a_listing_shows_its_spanish_text_else_the_original_with_a_note() -> None:
    club = listing()
    assert description_of(club, SPANISH) == "We play every week. (en inglés)"
    assert description_of(club, ENGLISH) == "We play every week."
    club.translations = [
        OpportunityTranslation(
            language="es", title="Club de ajedrez del domingo", description="Jugamos cada semana."
        )
    ]
    assert title_of(club, SPANISH) == "Club de ajedrez del domingo"
    assert description_of(club, SPANISH) == "Jugamos cada semana."
    assert title_of(club, ENGLISH) == "Sunday Chess Club"


def test_filters_and_their_drop_buttons_in_spanish() -> None:
    understood = {
        "topics": ["chess"],
        "age": 11,
        "free_only": True,
        "days": ["Sun"],
        "when": ["evening"],
        "format": "online",
        "language": "en",
        "near": [41.5, -81.7],
    }
    filters = active_filters(understood, "USD", SPANISH)
    assert summary(filters, "nephew", SPANISH) == (
        "chess · 11 años · sobrino · 📍 cerca de ti · gratis · domingos, noche · en línea · inglés"
    )
    assert drop_buttons(filters, SPANISH)[1]["title"] == "✕ 11 años"
    assert summary([], None, SPANISH) == "ti"
    limit = active_filters({"max_cost": 20.0}, "USD", SPANISH)
    assert [item.label for item in limit] == ["≤ $20"]
