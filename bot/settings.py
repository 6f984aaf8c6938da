"""Settings of the processes `make run` starts: ports, URLs, and the reminder worker's pace and
how long it keeps what no one has touched."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RETENTION_DAYS = 365
MAX_RETENTION_DAYS = 36500  # a hundred years: past it the cut-off date is not computable
# Rasa's environment reaches PostgreSQL through psycopg2, ours through psycopg (3).
PSYCOPG = {"postgres", "postgresql", "postgresql+psycopg2"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    """A whole-number setting; a bad value is an error that names the variable."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


@dataclass(frozen=True)
class ServeSettings:
    """Where the Rasa server and the action server listen and how the worker reaches Rasa."""

    rasa_port: int
    action_port: int
    gateway_port: int
    rasa_url: str
    rasa_token: str | None
    reminder_interval_s: int
    models_dir: Path
    log_dir: Path

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ServeSettings:
        """WAYFINDER_RASA_PORT (5005), WAYFINDER_ACTION_PORT (5055), WAYFINDER_RASA_URL, …"""
        env = dict(os.environ) if env is None else env
        rasa_port = _int(env, "WAYFINDER_RASA_PORT", 5005)
        return cls(
            rasa_port=rasa_port,
            action_port=_int(env, "WAYFINDER_ACTION_PORT", 5055),
            gateway_port=_int(env, "WAYFINDER_GATEWAY_PORT", 8080),
            rasa_url=env.get("WAYFINDER_RASA_URL", "").strip() or f"http://127.0.0.1:{rasa_port}",
            rasa_token=env.get("WAYFINDER_RASA_TOKEN", "").strip() or None,
            reminder_interval_s=_int(env, "WAYFINDER_REMINDER_INTERVAL", 30),
            models_dir=PROJECT_ROOT / "models",
            log_dir=PROJECT_ROOT / "var" / "log",
        )


@dataclass(frozen=True)
class WorkerSettings:
    """What the reminder worker needs besides ServeSettings: where reminders go, where Rasa keeps
    the conversations, and after how many days without contact a learner's data is erased."""

    gateway_url: str | None
    gateway_token: str | None
    tracker_url: str
    retention_days: int = RETENTION_DAYS

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> WorkerSettings:
        """WAYFINDER_GATEWAY_URL, WAYFINDER_GATEWAY_TOKEN, WAYFINDER_TRACKER_URL and
        WAYFINDER_RETENTION_DAYS (365); a bad value is a ValueError that names the variable."""
        env = dict(os.environ) if env is None else env
        return cls(
            gateway_url=env.get("WAYFINDER_GATEWAY_URL", "").strip() or None,
            gateway_token=env.get("WAYFINDER_GATEWAY_TOKEN", "").strip() or None,
            tracker_url=_tracker_url(env),
            retention_days=retention_days(env),
        )


def retention_days(env: dict[str, str]) -> int:
    """WAYFINDER_RETENTION_DAYS: whole days from 1 (the privacy notice tells the same number)."""
    days = _int(env, "WAYFINDER_RETENTION_DAYS", RETENTION_DAYS)
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(
            f"WAYFINDER_RETENTION_DAYS must be a whole number of days from 1 to "
            f"{MAX_RETENTION_DAYS}, not {days}"
        )
    return days


def _tracker_url(env: dict[str, str]) -> str:
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
