"""Settings of `make run`'s launcher (bot/serve.py) and of `make shell`: ports, URLs, and the
readers of the variables the gateway and the reminder worker share with them. Each process reads
its settings once, in its `main`, and passes them down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RETENTION_DAYS = 365
MAX_RETENTION_DAYS = 36500  # a hundred years: past it the cut-off date is not computable


def whole_number(env: Mapping[str, str], name: str, default: int) -> int:
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
    telegram: bool = False  # TELEGRAM_BOT_TOKEN is set: the gateway starts the Telegram bot

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServeSettings:
        """WAYFINDER_RASA_PORT (5005), WAYFINDER_ACTION_PORT (5055), WAYFINDER_RASA_URL, …"""
        rasa_port = whole_number(env, "WAYFINDER_RASA_PORT", 5005)
        return cls(
            rasa_port=rasa_port,
            action_port=whole_number(env, "WAYFINDER_ACTION_PORT", 5055),
            gateway_port=whole_number(env, "WAYFINDER_GATEWAY_PORT", 8080),
            rasa_url=env.get("WAYFINDER_RASA_URL", "").strip() or f"http://127.0.0.1:{rasa_port}",
            rasa_token=env.get("WAYFINDER_RASA_TOKEN", "").strip() or None,
            reminder_interval_s=whole_number(env, "WAYFINDER_REMINDER_INTERVAL", 30),
            models_dir=PROJECT_ROOT / "models",
            log_dir=PROJECT_ROOT / "var" / "log",
            telegram=bool(env.get("TELEGRAM_BOT_TOKEN", "").strip()),
        )


def retention_days(env: Mapping[str, str]) -> int:
    """WAYFINDER_RETENTION_DAYS: whole days from 1 (the privacy notice tells the same number)."""
    days = whole_number(env, "WAYFINDER_RETENTION_DAYS", RETENTION_DAYS)
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(
            f"WAYFINDER_RETENTION_DAYS must be a whole number of days from 1 to "
            f"{MAX_RETENTION_DAYS}, not {days}"
        )
    return days
