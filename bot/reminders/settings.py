"""The reminder worker's settings, read once from the environment by `python -m bot.reminders`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.observability.settings import log_format
from bot.settings import PROJECT_ROOT, RETENTION_DAYS, ServeSettings, retention_days, whole_number
from knowledge.settings import Settings as DirectorySettings

# Rasa's environment reaches PostgreSQL through psycopg2, ours through psycopg (3).
PSYCOPG = {"postgres", "postgresql", "postgresql+psycopg2"}


@dataclass(frozen=True)
class WorkerSettings:
    """How the worker reaches Rasa and the directory, how often it looks, where reminders go,
    where Rasa keeps the conversations, and after how many days without contact a learner's
    data is erased."""

    rasa_url: str
    rasa_token: str | None
    interval_s: int
    database_url: str
    gateway_url: str | None
    gateway_token: str | None
    tracker_url: str
    retention_days: int = RETENTION_DAYS
    timezone: str = "UTC"  # WAYFINDER_TIMEZONE: the city's, for the date uses are counted on
    metrics_port: int | None = None  # /metrics, /health and /ready; off when None
    metrics_host: str = "127.0.0.1"
    log_format: str = "text"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WorkerSettings:
        """WAYFINDER_RASA_URL, WAYFINDER_REMINDER_INTERVAL (30), WAYFINDER_DATABASE_URL,
        WAYFINDER_GATEWAY_URL, WAYFINDER_GATEWAY_TOKEN, WAYFINDER_TRACKER_URL,
        WAYFINDER_RETENTION_DAYS (365), WAYFINDER_TIMEZONE (the directory's setting),
        WAYFINDER_WORKER_METRICS_PORT (unset: no probe server),
        WAYFINDER_WORKER_METRICS_HOST (127.0.0.1) and WAYFINDER_LOG_FORMAT (text); a bad value is
        a ValueError that names the variable (the launcher's and the directory's variables are
        checked as they check them)."""
        serve, directory = ServeSettings.from_env(env), DirectorySettings.from_env(env)
        return cls(
            rasa_url=serve.rasa_url,
            rasa_token=serve.rasa_token,
            interval_s=serve.reminder_interval_s,
            database_url=directory.database_url,
            gateway_url=env.get("WAYFINDER_GATEWAY_URL", "").strip() or None,
            gateway_token=env.get("WAYFINDER_GATEWAY_TOKEN", "").strip() or None,
            tracker_url=_tracker_url(env),
            retention_days=retention_days(env),
            timezone=directory.timezone,
            metrics_port=_port(env, "WAYFINDER_WORKER_METRICS_PORT"),
            metrics_host=env.get("WAYFINDER_WORKER_METRICS_HOST", "").strip() or "127.0.0.1",
            log_format=log_format(env),
        )


def _port(env: Mapping[str, str], name: str) -> int | None:
    """A TCP port, or None when the variable is unset or empty."""
    if not env.get(name, "").strip():
        return None
    port = whole_number(env, name, 0)
    if not 1 <= port <= 65535:
        raise ValueError(f"{name} must be a port number from 1 to 65535, not {port}")
    return port


def _tracker_url(env: Mapping[str, str]) -> str:
    """WAYFINDER_TRACKER_URL as the Rasa server reads it (default: var/tracker.db, as `make run`
    sets it), with PostgreSQL's driver rewritten to the psycopg our environment has."""
    raw = env.get("WAYFINDER_TRACKER_URL", "").strip()
    if not raw:
        return f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    try:
        url = make_url(raw)
    except ArgumentError:  # the value may hold a password: it is not repeated
        raise ValueError(
            "WAYFINDER_TRACKER_URL must be a database URL (sqlite:///…, postgresql://…)"
        ) from None
    if url.drivername in PSYCOPG:
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)
