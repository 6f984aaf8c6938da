"""Settings for the action server, read from the environment on each use (cheap, test-friendly)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from knowledge.settings import Settings as DirectorySettings


@dataclass(frozen=True)
class ActionSettings:
    """What the actions need beyond the directory: how a learner reaches a person."""

    database_url: str
    navigator_chat_id: str | None
    help_contact: str | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ActionSettings:
        """NAVIGATOR_CHAT_ID set means navigators answer in chat; else WAYFINDER_HELP_CONTACT."""
        env = dict(os.environ) if env is None else env
        return cls(
            database_url=DirectorySettings.from_env(env).database_url,
            navigator_chat_id=env.get("NAVIGATOR_CHAT_ID", "").strip() or None,
            help_contact=env.get("WAYFINDER_HELP_CONTACT", "").strip() or None,
        )
