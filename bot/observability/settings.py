"""The observability settings every process shares, read once from the environment by its main."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class ObservabilitySettings:
    """How a process writes its logs."""

    log_format: str = "text"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ObservabilitySettings:
        """WAYFINDER_LOG_FORMAT: text (when unset) or json."""
        return cls(log_format=log_format(env))


def log_format(env: Mapping[str, str]) -> str:
    """WAYFINDER_LOG_FORMAT: `text` (the default, for `make run`) or `json` (for log shippers)."""
    value = env.get("WAYFINDER_LOG_FORMAT", "").strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ValueError(f"WAYFINDER_LOG_FORMAT must be text or json, not {value!r}")
    return value
