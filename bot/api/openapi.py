"""The API's OpenAPI 3.1 document, kept in the repository as bot/api/openapi.yaml."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOCUMENT = Path(__file__).resolve().parent / "openapi.yaml"


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """The document as data (read once)."""
    loaded = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@lru_cache(maxsize=1)
def document_json() -> str:
    """The document as the JSON /api/v1/openapi.json serves."""
    return json.dumps(document(), ensure_ascii=False, indent=1)
