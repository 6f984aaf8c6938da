"""A listing's `translations` in the API: {"es": {"title": …, "description": …}}, read with the
listing and written beside its fields, checked by the listing fields' own rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.api.errors import FieldProblem, invalid
from bot.api.fields import checked_text
from knowledge.community import publishes_directly
from knowledge.history import Actor
from knowledge.listing_fields import FieldError
from knowledge.listing_translations import (
    TranslatedText,
    differs,
    parse_translation,
    translations_of,
    update_translations,
)
from knowledge.models import Member, Opportunity, Provider

KEY = "translations"
PARTS = ("title", "description")
EXAMPLE = '{"es": {"title": "Club de robótica", "description": "Construye robots."}}'

Translations = dict[str, TranslatedText | None]


def read_translations(body: dict[str, Any]) -> tuple[Translations, list[FieldProblem]]:
    """Takes `translations` out of a request body: each language's text (null or empty removes
    it; a language left out is left alone), and the problems of those that cannot be one."""
    given = body.pop(KEY, None)
    if given is None:
        return {}, []
    if not isinstance(given, dict):
        return {}, [FieldProblem(KEY, f"must be an object of languages, e.g. {EXAMPLE}")]
    found: Translations = {}
    problems: list[FieldProblem] = []
    for code, text in given.items():
        where = f"{KEY}.{code}"
        if text is None:
            text = {}
        if not isinstance(text, dict) or set(text) - set(PARTS):
            message = f"must be an object with title and description, e.g. {EXAMPLE}"
            problems.append(FieldProblem(where, message))
            continue
        parts = {}
        for part in PARTS:
            value = text.get(part)
            if value is not None and not isinstance(value, str):
                problems.append(FieldProblem(f"{where}.{part}", "must be text, or null"))
                value = None
            try:
                parts[part] = checked_text(value or "")
            except ValueError as error:
                problems.append(FieldProblem(f"{where}.{part}", str(error)))
                parts[part] = ""
        try:
            found[code] = parse_translation(code, parts["title"], parts["description"]) or None
        except FieldError as error:
            problems.append(FieldProblem(where, str(error)))
    return found, problems


def check_allowed(
    member: Member, provider: Provider, listing: Opportunity | None, given: Translations
) -> bool:
    """Whether the request changes translations the member may publish; 422 when a change that
    waits for review brings different ones: a reviewed change holds the listing's fields only."""
    current = {} if listing is None else translations_of(listing)
    if not given or not differs(given, current):
        return False
    if publishes_directly(member, provider):
        return True
    message = (
        "changes of an unverified provider wait for an organiser's review, which covers "
        "the listing's fields only; send translations in a spreadsheet upload (title_<code> "
        "and description_<code> columns), or once your provider is verified"
    )
    raise invalid([FieldProblem(KEY, message)])


def write_translations(
    session: Session, opportunity: Opportunity, given: Translations, actor: Actor
) -> None:
    """Set the translations a request gave (with history and a new version)."""
    update_translations(session, opportunity, given, actor)
    session.flush()
