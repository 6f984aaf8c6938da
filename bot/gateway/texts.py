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
