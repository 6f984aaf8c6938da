"""Settings for the directory and its command-line tool, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    """SQLite under var/ so a fresh clone works with nothing configured."""
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'wayfinder.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything the directory needs to know about its surroundings."""

    database_url: str
    database_echo: bool = False
    freshness_days: int = 60  # listings not confirmed for this long get a nudge, then rank lower

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read WAYFINDER_* variables; unset means the embedded SQLite default."""
        env = dict(os.environ) if env is None else env
        url = env.get("WAYFINDER_DATABASE_URL", "").strip() or _default_database_url()
        echo = env.get("WAYFINDER_DATABASE_ECHO", "").strip().lower() in {"1", "true", "yes"}
        return cls(database_url=url, database_echo=echo, freshness_days=_freshness_days(env))


def _freshness_days(env: dict[str, str]) -> int:
    """FRESHNESS_DAYS: a whole number of days, at least 1 (default 60)."""
    text = env.get("FRESHNESS_DAYS", "").strip()
    if not text:
        return 60
    if not text.isdigit() or int(text) < 1:
        raise ValueError(
            f"FRESHNESS_DAYS must be a whole number of days, at least 1 (got {text!r})"
        )
    return int(text)
