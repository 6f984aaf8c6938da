"""The gateway's settings, read once from the environment by `python -m bot.gateway` (see
.env.example) and passed down."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.settings import PROJECT_ROOT, ServeSettings, retention_days, whole_number
from knowledge.settings import Settings as DirectorySettings

KEY_FILE = PROJECT_ROOT / "var" / "secrets" / "pseudonym.key"
WEBHOOK_PATH = "/telegram/webhook"  # where Telegram posts updates in webhook mode


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the variable and what to do."""


@dataclass(frozen=True)
class GatewaySettings:
    """Where the gateway listens, how it reaches Rasa and Telegram, and who handles handoffs."""

    host: str
    port: int
    rasa_url: str
    database_url: str
    pseudonym_key: bytes
    telegram_token: str | None
    telegram_webhook_url: str | None
    telegram_webhook_secret: str | None
    telegram_api_url: str | None
    navigator_chat_id: str | None
    handoff_timeout_s: int
    cors_origins: tuple[str, ...]
    deliver_token: str | None
    api_rate_per_minute: int = 120  # requests per API token per minute (bot.api)
    web_rate_per_minute: int = 300  # per client address per minute: widget calls; plan files apart
    freshness_days: int = 60  # FRESHNESS_DAYS: listings unconfirmed this long get a nudge
    nudge_interval_s: int = 3600  # how often nudges and review decisions go out on Telegram
    retention_days: int = 365  # learners' data untouched this long is erased (privacy notice)
    public_url: str | None = None  # the gateway as learners reach it: links to /privacy
    currency: str | None = None  # WAYFINDER_CURRENCY: what new listings are priced in
    # WAYFINDER_REDIS_URL: where several gateways share chat order, rate limits, button payloads,
    # guided steps, Telegram's updates and widget wake-ups; unset: this process's memory.
    redis_url: str | None = None
    redis_prefix: str = "wayfinder"  # WAYFINDER_REDIS_PREFIX: every key's start in that Redis
    # The city's, for the plan files the gateway builds (bot.gateway.plan_files): its name, the
    # time zone of the calendar's sessions and the locale of dates and prices.
    city_name: str | None = None
    timezone: str = "UTC"
    locale: str = "en_US"
    state_province: str | None = None  # WAYFINDER_STATE_PROVINCE: HSDS addresses that give none
    # ORGANISER_CHAT_ID (unset: no digest; it may be the navigators' group): where the weekly
    # digest goes, at WAYFINDER_DIGEST_AT (weekday, hour, minute in the city's time; None: none).
    organiser_chat_id: str | None = None
    digest_at: tuple[int, int, int] | None = (0, 9, 0)

    @classmethod
    def from_env(cls, env: Mapping[str, str], key_file: Path = KEY_FILE) -> GatewaySettings:
        """WAYFINDER_GATEWAY_PORT (8080), TELEGRAM_BOT_TOKEN, NAVIGATOR_CHAT_ID, … (see
        .env.example)."""

        def text(name: str) -> str | None:
            return env.get(name, "").strip() or None

        webhook_url, webhook_secret = text("TELEGRAM_WEBHOOK_URL"), text("TELEGRAM_WEBHOOK_SECRET")
        if webhook_url and not webhook_secret:
            raise SettingsError(
                "TELEGRAM_WEBHOOK_URL is set, so TELEGRAM_WEBHOOK_SECRET is needed too: a random "
                "string of 1-256 letters, digits, _ or - that Telegram sends back with each update"
            )
        if webhook_url and not webhook_url.startswith("https://"):
            raise SettingsError(
                f"TELEGRAM_WEBHOOK_URL must be an https:// URL, not {webhook_url!r}"
            )
        origins = tuple(
            origin.strip().rstrip("/")
            for origin in (text("WAYFINDER_CORS_ORIGINS") or "").split(",")
            if origin.strip()
        )
        directory = DirectorySettings.from_env(env)
        return cls(
            host=text("WAYFINDER_GATEWAY_HOST") or "127.0.0.1",
            port=whole_number(env, "WAYFINDER_GATEWAY_PORT", 8080),
            rasa_url=ServeSettings.from_env(env).rasa_url,
            database_url=directory.database_url,
            pseudonym_key=_pseudonym_key(text("WAYFINDER_PSEUDONYM_KEY"), key_file),
            telegram_token=text("TELEGRAM_BOT_TOKEN"),
            telegram_webhook_url=webhook_url,
            telegram_webhook_secret=webhook_secret,
            telegram_api_url=text("TELEGRAM_API_BASE_URL"),
            navigator_chat_id=text("NAVIGATOR_CHAT_ID"),
            handoff_timeout_s=60 * whole_number(env, "WAYFINDER_HANDOFF_TIMEOUT_MIN", 30),
            cors_origins=origins,
            deliver_token=text("WAYFINDER_GATEWAY_TOKEN"),
            api_rate_per_minute=_positive(env, "WAYFINDER_API_RATE_PER_MINUTE", 120),
            web_rate_per_minute=_positive(env, "WAYFINDER_WEB_RATE_PER_MINUTE", 300),
            freshness_days=directory.freshness_days,
            nudge_interval_s=whole_number(env, "WAYFINDER_NUDGE_INTERVAL_S", 3600),
            retention_days=_gateway_retention(env),
            public_url=_public_url(text("WAYFINDER_PUBLIC_URL"), webhook_url),
            currency=directory.currency,
            redis_url=_redis_url(text("WAYFINDER_REDIS_URL")),
            redis_prefix=_redis_prefix(text("WAYFINDER_REDIS_PREFIX")),
            city_name=directory.city_name,
            timezone=directory.timezone,
            locale=directory.locale,
            state_province=directory.state_province,
            organiser_chat_id=text("ORGANISER_CHAT_ID"),
            digest_at=_digest_at(text("WAYFINDER_DIGEST_AT")),
        )


def _gateway_retention(env: Mapping[str, str]) -> int:
    """WAYFINDER_RETENTION_DAYS checked as the worker checks it: the notice tells its number."""
    try:
        return retention_days(env)
    except ValueError as error:
        raise SettingsError(str(error)) from None


# Weekdays as WAYFINDER_DIGEST_AT names them ("Mon" or "Monday"), Monday 0 as in date.weekday().
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAYS = {name: index for index, day in enumerate(WEEKDAYS) for name in (day, day[:3])}


def _digest_at(configured: str | None) -> tuple[int, int, int] | None:
    """WAYFINDER_DIGEST_AT: "Mon 09:00" (the default) as (weekday, hour, minute); "off": none."""
    if configured is not None and configured.lower() == "off":
        return None
    day, _, clock = (configured or "Mon 09:00").partition(" ")
    hour, _, minute = clock.strip().partition(":")
    clock_ok = hour.isdigit() and minute.isdigit() and len(minute) == 2
    if day.lower() in DAYS and clock_ok and int(hour) < 24 and int(minute) < 60:
        return DAYS[day.lower()], int(hour), int(minute)
    raise SettingsError(
        "WAYFINDER_DIGEST_AT must be a weekday and a 24-hour time in the city's time zone, "
        f"e.g. 'Mon 09:00', or 'off' for no weekly digest; not {configured!r}"
    )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole-number setting of at least 1."""
    value = whole_number(env, name, default)
    if value < 1:
        raise SettingsError(f"{name} must be 1 or more, not {value}")
    return value


def _redis_url(configured: str | None) -> str | None:
    """WAYFINDER_REDIS_URL, checked for a scheme redis-py knows (a password goes in the URL)."""
    if configured and not configured.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(
            "WAYFINDER_REDIS_URL must be a redis://, rediss:// or unix:// URL "
            "(e.g. redis://redis:6379/0), not the value given"
        )
    return configured


def _redis_prefix(configured: str | None) -> str:
    """WAYFINDER_REDIS_PREFIX (default wayfinder): letters, digits, _ - . (it starts every key)."""
    prefix = configured or "wayfinder"
    if not all(char.isalnum() or char in "_-." for char in prefix):
        raise SettingsError(
            f"WAYFINDER_REDIS_PREFIX may hold letters, digits, _ - . only, not {prefix!r}"
        )
    return prefix


def _public_url(configured: str | None, webhook_url: str | None) -> str | None:
    """Where learners reach the gateway: WAYFINDER_PUBLIC_URL, else the site Telegram's webhook
    calls (the same server), else unknown (the privacy notice is then sent in the chat)."""
    if configured:
        if not configured.startswith(("https://", "http://")):
            raise SettingsError(
                f"WAYFINDER_PUBLIC_URL must be an http(s):// address, not {configured!r}"
            )
        return configured.rstrip("/")
    webhook = (webhook_url or "").partition("?")[0]
    if webhook.endswith(WEBHOOK_PATH):  # https://chat.example.org/telegram/webhook
        return webhook.removesuffix(WEBHOOK_PATH)
    return None


def _pseudonym_key(configured: str | None, key_file: Path) -> bytes:
    """The key that turns chat ids into sender ids: set it, or one is made once for this install.

    Not a default: a random key is written to var/secrets/ on first start and kept, so sender ids
    (and with them profiles and plans) stay the same across restarts. Several gateways must share
    one: set WAYFINDER_PSEUDONYM_KEY for them.
    """
    if configured:
        if len(configured) < 32:
            raise SettingsError("WAYFINDER_PSEUDONYM_KEY must be at least 32 characters long")
        return configured.encode()
    if key_file.exists():
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    try:  # created owner-only: never readable by others, not even between two calls
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another gateway starting at the same moment made it first
        return key_file.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as out:
        out.write(key)
    return key
