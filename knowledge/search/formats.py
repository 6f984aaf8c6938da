"""Dates, times, weekdays, prices and language names as a learner reads them: in their chat
language and the city's region (Babel), with the words around them from locales/<code>/words.yml.
The source language keeps the exact formats its replies have always had."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from functools import cache
from typing import Any

from knowledge.locales import SOURCE_LANGUAGE, babel_locale, book, supported, text

WORDS = "words"
DAY_CODES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CURRENCY_SIGNS = {"USD": "$", "CAD": "$", "EUR": "€", "GBP": "£"}  # the source language's prices


@dataclass(frozen=True)
class Voice:
    """Whom a reply speaks to: their chat language (a supported code, None: the source one) and
    the Babel locale its dates and prices are written in."""

    language: str | None = None
    locale: str = SOURCE_LANGUAGE

    @property
    def code(self) -> str:
        """The supported language the words come from."""
        return supported(self.language) or SOURCE_LANGUAGE

    @property
    def is_source(self) -> bool:
        """The language the code and the domain are written in (its formats are pinned)."""
        return self.code == SOURCE_LANGUAGE

    def word(self, key: str, **values: Any) -> str:
        """One text of the words book in this language."""
        return text(self.code, WORDS, key, **values)


SOURCE_VOICE = Voice()


def voice_of(language: str | None, city_locale: str) -> Voice:
    """The voice for a learner chatting in `language` in a city whose locale is `city_locale`."""
    return Voice(supported(language), babel_locale(language, city_locale))


def dated(value: date, pattern_key: str, voice: Voice = SOURCE_VOICE) -> str:
    """A date in the words book's Babel pattern `pattern_key` ('March 1', '1 de marzo')."""
    from babel.dates import format_date

    return str(format_date(value, voice.word(pattern_key), locale=voice.locale))


def day(value: date, voice: Voice = SOURCE_VOICE) -> str:
    """'Fri 12 Dec 2026' ('vie 12 de dic de 2026'): unambiguous in every locale."""
    return dated(value, "date_pattern", voice)


def month_day(value: date, voice: Voice = SOURCE_VOICE) -> str:
    """'Dec 12' ('12 de dic'), for a date within the year."""
    return dated(value, "month_day_pattern", voice)


def clock(value: time, voice: Voice = SOURCE_VOICE) -> str:
    """'16:00'."""
    from babel.dates import format_time

    return format_time(value, voice.word("time_pattern"), locale=voice.locale)


def weekday(code: str, voice: Voice = SOURCE_VOICE) -> str:
    """A weekday ('Sat') as the language writes it in a schedule ('Sat', 'sábados'): the words
    book's `weekdays` when it lists them, else Babel's names of the book's `weekday_width`."""
    if code not in DAY_CODES:
        return code
    listed = book(voice.code, WORDS).get("weekdays")
    if isinstance(listed, list) and len(listed) == len(DAY_CODES):
        return str(listed[DAY_CODES.index(code)])
    if voice.is_source:
        return code
    return str(_day_names(voice.locale, voice.word("weekday_width"))[DAY_CODES.index(code)])


def weekdays(codes: Sequence[str], voice: Voice = SOURCE_VOICE) -> str:
    """Weekdays joined as a schedule lists them ('Sat, Sun')."""
    return ", ".join(weekday(code, voice) for code in codes)


@cache
def _day_names(locale: str, width: str) -> tuple[str, ...]:
    """Babel's weekday names, Monday first."""
    from babel.dates import get_day_names

    chosen = width if width in ("abbreviated", "narrow", "short", "wide") else "wide"
    names = get_day_names(chosen, locale=locale)  # type: ignore[arg-type]
    return tuple(str(names[index]) for index in range(7))


def price(amount: Decimal, currency: str, voice: Voice = SOURCE_VOICE) -> str:
    """'$45', '€12.50' or '45 SEK'; in another language Babel's way ('45 €', 'US$45')."""
    if voice.is_source:
        shown = f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"
        sign = CURRENCY_SIGNS.get(currency)
        return f"{sign}{shown}" if sign else f"{shown} {currency}"
    from babel import Locale
    from babel.numbers import format_currency

    pattern = Locale.parse(voice.locale).currency_formats["standard"].pattern
    if amount == amount.to_integral_value():
        pattern = pattern.replace(".00", "")
    return format_currency(amount, currency, pattern, locale=voice.locale, currency_digits=False)


def language_name(code: str, voice: Voice = SOURCE_VOICE, fallback: str | None = None) -> str:
    """A language code ('es', 'hmn') named in the learner's language ('Spanish', 'inglés');
    `fallback` (the source language's own name for it) where Babel has none or in the source."""
    if not voice.is_source:
        from babel import Locale

        found = Locale.parse(voice.locale).languages.get(code.replace("-", "_"))
        if found:
            return str(found)
    return fallback or code
