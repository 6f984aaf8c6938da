"""The gateway's own words, in the learner's language: locales/<language>/gateway.yml through
knowledge.locales (English when a language lacks a text; a key English lacks fails loudly)."""

from __future__ import annotations

from typing import Any

from knowledge.locales import SOURCE_LANGUAGE, supported, text

BOOK = "gateway"


def say(key: str, language: str | None = None, /, **values: Any) -> str:
    """A text in `language` (a supported code or tag; None: English), placeholders filled in."""
    return text(language, BOOK, key, **values)


def privacy_sections(
    retention_days: int, language: str | None = None
) -> list[tuple[str, list[str]]]:
    """The privacy notice as (heading, lines) blocks, so the page and the chat say the same."""
    notice = say("privacy_notice", language, days=retention_days)
    sections = []
    for block in notice.split("\n\n"):
        heading, *lines = block.strip().splitlines()
        sections.append((heading, lines))
    return sections


def privacy_text(retention_days: int, language: str | None = None) -> str:
    """The privacy notice as one chat message."""
    parts = [say("privacy_title", language), say("privacy_intro", language)]
    for heading, lines in privacy_sections(retention_days, language):
        items = [f"• {line[2:]}" if line.startswith("- ") else line for line in lines]
        parts.append("\n".join([heading, *items]))
    return "\n\n".join(parts)


def language_of(tag: str | None) -> str:
    """The supported language a tag names, else the source language (for pages' lang=)."""
    return supported(tag) or SOURCE_LANGUAGE
