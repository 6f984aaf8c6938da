"""The listing fields' vocabulary: how each value is written, its limits, day names, and the words
that refuse a bad value, so the seed, the spreadsheet and HSDS imports, chat and API edits and the
CLI accept the same values and refuse the others with the same message.

Each parser takes the text a person wrote (a spreadsheet cell, a seed or JSON value written out, a
command-line argument) and returns the typed value or raises FieldError; the caller says where the
value came from (a row and column, a seed file entry, an option). Pure: no database, no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from babel.core import get_global
from sqlalchemy import Column

from knowledge.languages import LanguageCodeError, canonical_tag
from knowledge.locales import SOURCE_LANGUAGE, supported_codes
from knowledge.models import DAYS, Credential, Location, Neighbourhood, Opportunity, Provider, Topic

MAX_AGE = 120
MAX_COST = Decimal("99999999.99")  # Numeric(10, 2)
CENT = Decimal("0.01")
MAX_SEATS = 100_000  # more is a typo (and past 2**31 the database cannot store it)
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# "mon", "monday", … (lower-case) → Mon…Sun, the days a listing stores.
DAY_NAMES = {day.lower(): day for day in DAYS} | dict(zip(WEEKDAY_NAMES, DAYS, strict=True))
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^[+-]?\d+$")
_SEPARATORS = re.compile(r"[\s-]+")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
# The characters a URI may hold (RFC 3986, percent-encoding included): what HSDS's "uri" takes.
_URI = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
WEB_SCHEMES = ("http", "https")
UNKNOWN_REGION = "ZZ"  # CLDR's code for "no region", not a country


class FieldError(ValueError):
    """A value a listing field cannot hold; the message says what to write instead."""


def _limits() -> dict[str, int]:
    """Longest text each field may hold, read from the models so the two cannot drift apart."""
    columns: dict[str, Any] = {
        "external_id": Opportunity.__table__.c.external_id,
        "title": Opportunity.__table__.c.title,
        "provider": Provider.__table__.c.name,
        "address": Location.__table__.c.address,
        "neighborhood": Neighbourhood.__table__.c.name,
        "city": Location.__table__.c.city,
        "state_province": Location.__table__.c.state_province,
        "postal_code": Location.__table__.c.postal_code,
        "location_url": Location.__table__.c.url,
        "credential": Credential.__table__.c.name,
        "enroll_url": Opportunity.__table__.c.enroll_url,
        "contact_phone": Opportunity.__table__.c.enroll_phone,
        "contact_email": Opportunity.__table__.c.enroll_email,
        "languages": Opportunity.__table__.c.languages,
    }
    return {name: _length(column) for name, column in columns.items()}


def _length(column: Column[Any]) -> int:
    """The declared length of a string column."""
    length = getattr(column.type, "length", None)
    assert isinstance(length, int), column
    return length


MAX_LENGTHS = _limits()  # by field (the spreadsheet's column names)
TOPIC_MAX_LENGTH = _length(Topic.__table__.c.name)  # type: ignore[arg-type]


def parse_text(field: str, value: str) -> str:
    """Text that fits the field's column."""
    limit = MAX_LENGTHS.get(field)
    if limit is not None and len(value) > limit:
        raise FieldError(f"is {len(value)} characters long; at most {limit} fit")
    return value


def parse_choice(value: str, allowed: Sequence[str]) -> str:
    """One of a fixed set of words, ignoring case and accepting spaces or hyphens for '_'."""
    key = (value, tuple(allowed))
    word = _CHOICES.get(key)
    if word is not None:
        return word
    word = _SEPARATORS.sub("_", value.lower())
    if word not in allowed:
        raise FieldError(f"{value!r} is not one of: {', '.join(allowed)}")
    return _remember(_CHOICES, key, word)


def parse_whole_number(value: str) -> int:
    """A whole number such as 12."""
    if not _WHOLE.match(value):
        raise FieldError(f"{value!r} is not a whole number")
    return int(value)


def parse_age(value: str) -> int:
    """An age in years, 0 to MAX_AGE."""
    age = parse_whole_number(value)
    return _plausible(age, MAX_AGE, "ages are 0 or more", f"age (at most {MAX_AGE})")


def parse_seats(value: str) -> int:
    """Seats left, 0 (full) to MAX_SEATS."""
    seats = parse_whole_number(value)
    full = "write 0 when the listing is full"
    return _plausible(seats, MAX_SEATS, full, f"number of seats (at most {MAX_SEATS:,})")


def _plausible(number: int, most: int, negative: str, what: str) -> int:
    """A count from 0 to `most`, refused as negative or as not a plausible `what`."""
    if number < 0:
        raise FieldError(f"{number} is negative; {negative}")
    if number > most:
        raise FieldError(f"{number} is not a plausible {what}")
    return number


def parse_cost(value: str) -> Decimal:
    """A price such as 25 or 12.50; 0 means free."""
    known = _COSTS.get(value)
    if known is not None:
        return known
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise FieldError(f"{value!r} is not a number; write e.g. 25 or 12.50 (0 = free)")
    if amount < 0:
        raise FieldError(f"{value} is negative; write 0 for free")
    if amount > MAX_COST or amount != amount.quantize(CENT):  # too big to quantize
        raise FieldError(f"{value} must have at most 2 decimals and be below 100,000,000")
    return _remember(_COSTS, value, amount.quantize(CENT))


def parse_coordinate(value: str, field: str, bound: int) -> float:
    """A latitude (bound 90) or longitude (bound 180) in decimal degrees."""
    known = _COORDINATES.get((value, bound))
    if known is not None:
        return known
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise FieldError(f"{value!r} is not a number in decimal degrees, e.g. 41.5013")
    if not -bound <= number <= bound:
        raise FieldError(f"{value} is out of range; {field} lies between -{bound} and {bound}")
    return _remember(_COORDINATES, (value, bound), number)


def parse_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 country code (any case), upper-cased: US, CA, GB."""
    code = value.upper()
    if not _COUNTRY.match(value):
        raise FieldError(
            f"{value!r} is not a country code; write the two letters of ISO 3166-1, such as "
            "US, CA or GB"
        )
    known = get_global("territory_languages")  # CLDR's regions: every country
    if code == UNKNOWN_REGION or code not in known:
        modern = get_global("territory_aliases").get(code)
        hint = f"write {modern[0]}" if modern and len(modern) == 1 else "such as US, CA or GB"
        raise FieldError(f"{value!r} is not an ISO 3166-1 country code; {hint}")
    return code


def parse_web_url(value: str) -> str:
    """A whole http(s) address with a host, in the characters a URI may hold (HSDS's "uri")."""
    try:
        parts = urlsplit(value)
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:  # e.g. an unclosed [ of an IPv6 host
        scheme, host = "", None
    if scheme not in WEB_SCHEMES or not host or not _URI.match(value):
        raise FieldError(
            f"{value!r} is not a web address; write it whole as a browser shows it, starting "
            "with https:// (or http://), without spaces, e.g. https://example.org/join"
        )
    return value


def parse_date(value: str) -> date:
    """A calendar date written YYYY-MM-DD."""
    known = _DATES.get(value)
    if known is not None:
        return known
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return _remember(_DATES, value, date.fromisoformat(value))
    except ValueError:
        raise FieldError(f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2027-01-09") from None


def parse_time(value: str) -> time:
    """A clock time written HH:MM (24-hour)."""
    known = _TIMES.get(value)
    if known is not None:
        return known
    match = _TIME.match(value)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return _remember(_TIMES, value, time(int(match[1]), int(match[2])))
    raise FieldError(f"{value!r} is not a time; write HH:MM (24-hour), e.g. 18:30")


def parse_day(value: str) -> str:
    """Mon…Sun from "Sat", "sat" or "Saturday"."""
    day = DAY_NAMES.get(value.strip().lower())
    if day is None:
        raise FieldError(f"{value!r} is not a day; use {';'.join(DAYS)}")
    return day


def parse_language(value: str) -> str:
    """A language tag (BCP 47: ISO 639-1 or 639-3 with any script or region), in its standard
    form: en, hmn, ase, zh-Hant, es-419."""
    try:
        return canonical_tag(value)
    except LanguageCodeError as error:
        raise FieldError(str(error)) from None


def parse_translation_language(value: str) -> str:
    """A language a listing's title and description may be translated into: one learners chat
    in (a folder of locales/), other than the source language the listing is written in."""
    code = parse_language(value)
    others = translation_languages()
    if code not in others:
        chosen = ", ".join(others) or "none yet"
        raise FieldError(
            f"{value!r} is not a language learners chat in; listings can be translated into: "
            f"{chosen} (a city adds a language under locales/, see docs/languages.md)"
        )
    return code


def translation_languages() -> tuple[str, ...]:
    """The chat languages other than the source language, which listings may be translated to."""
    return tuple(code for code in supported_codes() if code != SOURCE_LANGUAGE)


def parse_topic(value: str) -> str:
    """A topic name that fits the taxonomy's column (matched to the taxonomy later)."""
    if len(value) > TOPIC_MAX_LENGTH:
        raise FieldError(f"topic {value!r} is longer than {TOPIC_MAX_LENGTH} characters")
    return value


def parse_list(column: str, text: str) -> tuple[list[str], list[str]]:
    """A `;`-separated list cell (topics, days, languages): its values and each part's refusal.

    Days come back in week order; topics and languages in the order given, without repeats."""
    key = (column, text)
    known = _LISTS.get(key)
    if known is not None:
        return list(known), []
    parts = [part.strip() for part in text.split(";") if part.strip()]
    parse = {"topics": parse_topic, "days": parse_day, "languages": parse_language}[column]
    values: list[str] = []
    refusals: list[str] = []
    for part in parts:
        try:
            value = parse(part)
        except FieldError as error:
            refusals.append(str(error))
            continue
        if value.lower() not in (seen.lower() for seen in values):
            values.append(value)
    if column == "days":
        values = [day for day in DAYS if day in values]
    if column == "languages" and len(";".join(values)) > MAX_LENGTHS["languages"]:
        refusals.append(
            f"{';'.join(values)!r} is longer than {MAX_LENGTHS['languages']} characters; "
            "list fewer languages"
        )
    if not refusals:
        _remember(_LISTS, key, tuple(values))
    return values, refusals


def format_cost(amount: Decimal | None) -> str:
    """25 for whole amounts, 12.50 otherwise; empty when unknown."""
    if amount is None:
        return ""
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount.quantize(CENT)}"


def format_float(value: float | None) -> str:
    """The shortest text that reads back as the same float."""
    return "" if value is None else repr(float(value))


def format_time(value: time | None) -> str:
    """HH:MM."""
    return "" if value is None else value.strftime("%H:%M")


def format_date(value: date | None) -> str:
    """YYYY-MM-DD."""
    return "" if value is None else value.isoformat()


# What values that parsed without a problem parsed to, by their text: a spreadsheet repeats the
# same few choices, dates, times, prices, places, days and topics thousands of times. Only
# immutable values are kept (lists as tuples, each caller getting a list of its own).
_CHOICES: dict[tuple[str, tuple[str, ...]], str] = {}
_DATES: dict[str, date] = {}
_TIMES: dict[str, time] = {}
_COSTS: dict[str, Decimal] = {}
_COORDINATES: dict[tuple[str, int], float] = {}
_LISTS: dict[tuple[str, str], tuple[str, ...]] = {}  # (column, cell) → topics, days, languages
_REMEMBERED = 20_000  # at most, per kind


def _remember[Key, Value](known: dict[Key, Value], key: Key, value: Value) -> Value:
    """Keep a value for the next one written the same way; returns it."""
    if len(known) >= _REMEMBERED:
        known.clear()
    known[key] = value
    return value
