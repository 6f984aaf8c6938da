"""The action server's settings: read from its environment once, when it serves its first action,
and kept for the life of the process (rasa-sdk starts the server; no code of ours runs before)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from knowledge.settings import Settings as DirectorySettings


@dataclass(frozen=True)
class ActionSettings:
    """What the actions need: the directory's settings, and how a learner reaches a person."""

    directory: DirectorySettings
    navigator_chat_id: str | None
    help_contact: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ActionSettings:
        """NAVIGATOR_CHAT_ID set means navigators answer in chat; else WAYFINDER_HELP_CONTACT."""
        return cls(
            directory=DirectorySettings.from_env(env),
            navigator_chat_id=env.get("NAVIGATOR_CHAT_ID", "").strip() or None,
            help_contact=env.get("WAYFINDER_HELP_CONTACT", "").strip() or None,
        )


_serving: list[ActionSettings] = []  # the one the process serves with, once read


def action_settings() -> ActionSettings:
    """The settings this action server serves with; a bad value raises ValueError (naming the
    variable) on each action until it is fixed, as bot.serve reports it at start-up."""
    if not _serving:
        _serving.append(ActionSettings.from_env(os.environ))
    return _serving[0]


def serve_with(settings: ActionSettings | None) -> None:
    """Serve with these settings from now on (tests); None reads the environment again."""
    _serving.clear()
    if settings is not None:
        _serving.append(settings)
