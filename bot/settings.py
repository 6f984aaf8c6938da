"""Settings of the processes `make run` starts: ports, URLs and the reminder worker's pace."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
