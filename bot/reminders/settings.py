"""The reminder worker's settings, read once from the environment by `python -m bot.reminders`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.settings import PROJECT_ROOT, RETENTION_DAYS, ServeSettings, retention_days
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

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WorkerSettings:
        """WAYFINDER_RASA_URL, WAYFINDER_REMINDER_INTERVAL (30), WAYFINDER_DATABASE_URL,
        WAYFINDER_GATEWAY_URL, WAYFINDER_GATEWAY_TOKEN, WAYFINDER_TRACKER_URL and
        WAYFINDER_RETENTION_DAYS (365); a bad value is a ValueError that names the variable (the
        launcher's and the directory's variables are checked as they check them)."""
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
        )


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
