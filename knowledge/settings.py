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

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read WAYFINDER_* variables; unset means the embedded SQLite default."""
        env = dict(os.environ) if env is None else env
        url = env.get("WAYFINDER_DATABASE_URL", "").strip() or _default_database_url()
        echo = env.get("WAYFINDER_DATABASE_ECHO", "").strip().lower() in {"1", "true", "yes"}
        return cls(database_url=url, database_echo=echo)
