"""The gateway's own words (texts.yml), loaded once; a missing key fails loudly at start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

TEXTS = Path(__file__).with_name("texts.yml")


@lru_cache(maxsize=1)
def _texts() -> dict[str, str]:
    """Every text by key."""
    loaded: Any = yaml.safe_load(TEXTS.read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in loaded.items()}


def say(key: str, **values: Any) -> str:
    """A text with its {placeholders} filled in."""
    return _texts()[key].format(**values)


def privacy_sections(retention_days: int) -> list[tuple[str, list[str]]]:
    """The privacy notice as (heading, lines) blocks, so the page and the chat say the same."""
    notice = say("privacy_notice", days=retention_days)
    sections = []
    for block in notice.split("\n\n"):
        heading, *lines = block.strip().splitlines()
        sections.append((heading, lines))
    return sections


def privacy_text(retention_days: int) -> str:
    """The privacy notice as one chat message."""
    parts = [say("privacy_title"), say("privacy_intro")]
    for heading, lines in privacy_sections(retention_days):
        items = [f"• {line[2:]}" if line.startswith("- ") else line for line in lines]
        parts.append("\n".join([heading, *items]))
    return "\n\n".join(parts)
