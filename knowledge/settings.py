"""Settings for the directory and its command-line tool, read once from the environment by the
process that uses them (its `main`) and passed down."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEZONE = "UTC"
DEFAULT_LOCALE = "en_US"
DEFAULT_FRESHNESS_DAYS = 60  # FRESHNESS_DAYS unset
DEFAULT_REMINDER_TIME = time(9, 0)  # WAYFINDER_REMINDER_TIME unset: a sensible hour to be reminded
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_LOCALE = re.compile(r"^([A-Za-z]{2,3})(?:[_-]([A-Za-z]{2}|\d{3}))?$")
_YES, _NO = {"1", "true", "yes"}, {"0", "false", "no"}


def _default_database_url() -> str:
    """SQLite under var/ so a fresh clone works with nothing configured."""
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'wayfinder.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything the directory needs to know about its surroundings."""

    database_url: str
    database_echo: bool = False
    # Listings not confirmed for this long get a nudge, then rank lower.
    freshness_days: int = DEFAULT_FRESHNESS_DAYS
    # The city's identity; None means "ask the directory" (knowledge.city).
    city_name: str | None = None
    timezone: str = DEFAULT_TIMEZONE  # IANA name: the learner's "today" and reminder times
    currency: str | None = None  # ISO 4217: what the spreadsheet's prices are in
    locale: str = DEFAULT_LOCALE
    # WAYFINDER_STATE_PROVINCE: the state or province of places that give none (HSDS addresses).
    state_province: str | None = None
    reminder_time: time = DEFAULT_REMINDER_TIME  # when reminders go out, in `timezone`
    seed_demo: bool | None = None  # WAYFINDER_SEED_DEMO: None = only into an empty directory

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read WAYFINDER_* variables; unset means the embedded SQLite default."""
        url = env.get("WAYFINDER_DATABASE_URL", "").strip() or _default_database_url()
        echo = env.get("WAYFINDER_DATABASE_ECHO", "").strip().lower() in _YES
        return cls(
            database_url=url,
            database_echo=echo,
            freshness_days=_freshness_days(env),
            city_name=" ".join(env.get("WAYFINDER_CITY_NAME", "").split()) or None,
            timezone=_timezone(env),
            currency=_currency(env),
            locale=_locale(env),
            state_province=" ".join(env.get("WAYFINDER_STATE_PROVINCE", "").split()) or None,
            reminder_time=_reminder_time(env),
            seed_demo=_seed_demo(env),
        )


def _freshness_days(env: Mapping[str, str]) -> int:
    """FRESHNESS_DAYS: a whole number of days, at least 1 (default 60)."""
    text = env.get("FRESHNESS_DAYS", "").strip()
    if not text:
        return DEFAULT_FRESHNESS_DAYS
    if not text.isdigit() or int(text) < 1:
        raise ValueError(
            f"FRESHNESS_DAYS must be a whole number of days, at least 1 (got {text!r})"
        )
    return int(text)


def _timezone(env: Mapping[str, str]) -> str:
    """WAYFINDER_TIMEZONE: an IANA name the time zone database knows (default UTC)."""
    text = env.get("WAYFINDER_TIMEZONE", "").strip()
    if not text:
        return DEFAULT_TIMEZONE
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            "WAYFINDER_TIMEZONE must be an IANA time zone such as America/New_York or "
            f"Europe/Berlin (got {text!r})"
        ) from None
    return text


def _currency(env: Mapping[str, str]) -> str | None:
    """WAYFINDER_CURRENCY: a three-letter ISO 4217 code, upper-cased; unset = from the directory."""
    text = env.get("WAYFINDER_CURRENCY", "").strip()
    if not text:
        return None
    if not _CURRENCY.match(text):
        raise ValueError(
            f"WAYFINDER_CURRENCY must be a three-letter ISO 4217 code such as USD or EUR "
            f"(got {text!r})"
        )
    return text.upper()


def _locale(env: Mapping[str, str]) -> str:
    """WAYFINDER_LOCALE: language and region as en_US (en-US and en_US.UTF-8 are read too)."""
    text = env.get("WAYFINDER_LOCALE", "").strip()
    if not text:
        return DEFAULT_LOCALE
    match = _LOCALE.match(re.split(r"[.@]", text, maxsplit=1)[0])
    if match is None:
        raise ValueError(
            f"WAYFINDER_LOCALE must be a language and region such as en_US or fr_CA (got {text!r})"
        )
    language, region = match[1].lower(), match[2]
    return f"{language}_{region.upper()}" if region else language


def _reminder_time(env: Mapping[str, str]) -> time:
    """WAYFINDER_REMINDER_TIME: the time of day, 24-hour HH:MM in the city's time zone, at which
    reminders go out (default 09:00)."""
    text = env.get("WAYFINDER_REMINDER_TIME", "").strip()
    if not text:
        return DEFAULT_REMINDER_TIME
    match = _CLOCK.match(text)
    if match is None:
        raise ValueError(
            "WAYFINDER_REMINDER_TIME must be a time of day as HH:MM on the 24-hour clock, such "
            f"as 09:00 or 17:30 (got {text!r})"
        )
    return time(int(match[1]), int(match[2]))


def _seed_demo(env: Mapping[str, str]) -> bool | None:
    """WAYFINDER_SEED_DEMO: 1 also adds the demo city to a directory that holds listings, 0
    never adds it; unset adds it only to an empty directory."""
    text = env.get("WAYFINDER_SEED_DEMO", "").strip().lower()
    if not text:
        return None
    if text in _YES | _NO:
        return text in _YES
    raise ValueError(f"WAYFINDER_SEED_DEMO must be 1, 0 or unset (got {text!r})")
