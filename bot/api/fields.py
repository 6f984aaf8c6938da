"""The API's JSON names for a listing's fields (Open Referral HSDS 3.0 service names where HSDS
has a flat one, else our spreadsheet's name), and the conversion to and from the text cells the
editing rules take, so the API's validation messages are the spreadsheet's own."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from bot.api import API_PREFIX
from bot.api.errors import FieldProblem
from knowledge.editing.fields import BY_ATTRIBUTE, FIELDS, parse_fields, value_of
from knowledge.listing_translations import translations_of
from knowledge.models import ChangeRequest, Opportunity
from knowledge.transfer.hsds.objects import HSDS_STATUS

# Spreadsheet/editing field name → JSON name.
JSON_NAMES: dict[str, str] = {
    "title": "name",
    "description": "description",
    "topics": "topics",
    "format": "format",
    "min_age": "minimum_age",
    "max_age": "maximum_age",
    "cost": "cost",
    "cost_notes": "fees_description",
    "days": "days",
    "start_time": "start_time",
    "end_time": "end_time",
    "start_date": "start_date",
    "end_date": "end_date",
    "application_deadline": "application_deadline",
    "seats_available": "seats_available",
    "status": "status",
    "languages": "languages",
    "eligibility": "eligibility_description",
    "enroll_url": "url",
    "contact_phone": "contact_phone",
    "contact_email": "email",
    "accessibility": "accessibility",  # notes of the listing's place (HSDS location.accessibility)
    "transport": "transportation",  # HSDS location.transportation
}
FIELD_OF = {json_name: name for name, json_name in JSON_NAMES.items()}
# Shown on every listing, set by the directory: a client may send them back unchanged.
READ_ONLY = (
    "id",
    "version",
    "provider",
    "external_id",
    "assured_date",
    "created_at",
    "modified_at",
)
WHOLE_NUMBERS = ("min_age", "max_age", "seats_available")
LISTS = {  # list fields, with an example each
    "topics": '["robotics", "coding"]',
    "days": '["Sat", "Sun"]',
    "languages": '["en", "es"]',
}

if set(JSON_NAMES) != set(FIELDS):  # a field added to the editing rules needs a JSON name
    raise RuntimeError(f"bot.api.fields.JSON_NAMES is out of date: {sorted(set(FIELDS))}")


def cells_from_json(
    body: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
) -> tuple[dict[str, str], list[FieldProblem]]:
    """The request's fields as spreadsheet cells (null clears a field), and the problems of those
    that cannot be one. Read-only fields are ignored when equal to `current` (a listing as read)."""
    cells: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for key, value in body.items():
        name = FIELD_OF.get(key)
        if name is None:
            if current is not None and key in READ_ONLY and current.get(key) == value:
                continue
            problems.append(FieldProblem(key, _not_a_field(key)))
            continue
        try:
            cells[name] = _cell(name, value)
        except ValueError as error:
            problems.append(FieldProblem(key, str(error)))
    return cells, problems


def _not_a_field(key: str) -> str:
    """Why a key is refused, with the nearest field name when it looks like a typo."""
    if key in READ_ONLY:
        return "is set by the directory and cannot be changed here; leave it out"
    close = difflib.get_close_matches(key, list(FIELD_OF), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"is not a field of a listing; {hint}the fields are: {', '.join(FIELD_OF)}"


def _cell(name: str, value: Any) -> str:
    """One JSON value as the text a spreadsheet cell would hold."""
    if value is None:
        return ""
    if name in LISTS:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"must be a list of strings, e.g. {LISTS[name]} (or null)")
        for item in value:
            checked_text(item)
            if ";" in item:
                raise ValueError(f"{item!r} contains ';'; give each item as its own string")
        return "; ".join(value)
    if name in WHOLE_NUMBERS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number such as 12 (or null to clear it)")
        return str(value)
    if name == "cost":
        if isinstance(value, str):
            return checked_text(value)
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise ValueError("must be a number such as 25 or 12.50, or null (0 = free)")
        return str(value)
    if not isinstance(value, str):
        raise ValueError("must be text (a JSON string), or null to clear it")
    return checked_text(value)


def checked_text(value: str) -> str:
    """Text the database can store: no NUL characters, no unpaired surrogates."""
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\u0000); remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text (it has an unpaired surrogate)") from None
    return value


def json_value(attribute: str, value: Any) -> Any:
    """A field's value (by listing attribute) as the API shows it."""
    if value is None:
        return None
    if attribute == "topics":
        return [getattr(topic, "name", topic) for topic in value]
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if attribute == "status":
        return HSDS_STATUS.get(value, value)
    return value


def stamp(moment: datetime | None) -> str | None:
    """A stored UTC time as ISO 8601 with its microseconds (what modified_after takes back)."""
    return None if moment is None else moment.isoformat(timespec="microseconds") + "Z"


def listing_json(opportunity: Opportunity) -> dict[str, Any]:
    """A listing as the API shows it: identity and version first, then every editable field."""
    body: dict[str, Any] = {
        "id": opportunity.id,
        "version": opportunity.version,
        "modified_at": stamp(opportunity.modified_at),
        "created_at": stamp(opportunity.created_at),
        "provider": {"id": opportunity.provider.id, "name": opportunity.provider.name},
        "external_id": opportunity.external_id,
        "assured_date": json_value("assured_date", opportunity.assured_date),
    }
    for name, field in FIELDS.items():
        body[JSON_NAMES[name]] = json_value(field.attribute, value_of(opportunity, field.attribute))
    body["translations"] = {  # written through bot.api.translations
        code: {"title": text.title, "description": text.description}
        for code, text in sorted(translations_of(opportunity).items())
    }
    return body


def request_json(request: ChangeRequest) -> dict[str, Any]:
    """A change waiting for (or past) an organiser's review, and what it would change."""
    changes: dict[str, Any]
    if request.kind == "import":
        changes = {"file": request.changes.get("name")}
    else:
        values, _ = parse_fields(request.changes)
        changes = {
            JSON_NAMES[BY_ATTRIBUTE[attribute].name]: json_value(attribute, value)
            for attribute, value in values.items()
        }
    return {
        "id": request.id,
        "kind": request.kind,
        "state": request.state,
        "reason": request.reason,
        "provider": {"id": request.provider.id, "name": request.provider.name},
        "opportunity_id": request.opportunity_id,
        "changes": changes,
        "created_at": stamp(request.created_at),
        "decided_at": stamp(request.decided_at),
        "url": f"{API_PREFIX}/requests/{request.id}",
    }
